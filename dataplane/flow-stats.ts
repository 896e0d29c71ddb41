// Counters of flows at this site, shared by flow setup and the request-balanced clients it hands
// connections to (a file of its own so neither imports the other for it).

/** Counters of flows at this site (part of the data plane's stats). */
export interface FlowStats { flowsOpened: number; flowsFailed: number }
