// A flow's role at one site, shared by the flow records (report.ts) and the traffic summaries
// (traffic.ts), which would otherwise import each other. Types only.

/** Which part of a flow this site carried: the listener end, the connector end, a relay between
 *  two links, or both ends joined here (local). */
export type FlowRole = 'listener' | 'connector' | 'relay' | 'local';
