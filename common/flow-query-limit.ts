// How many flow records one query returns: the engine applies it to its own records, and a site
// with several engines applies it again to their merged answers.

/** A query's default and largest limit. */
export const FLOW_QUERY_DEFAULT = 100;
export const FLOW_QUERY_MAX = 1000;

/** The limit a query asks for, clamped to 1..FLOW_QUERY_MAX. */
export function flowQueryLimit(limit: number | undefined): number {
  return Math.min(FLOW_QUERY_MAX, Math.max(1, Math.floor(limit ?? FLOW_QUERY_DEFAULT) || FLOW_QUERY_DEFAULT));
}
