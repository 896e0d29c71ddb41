// How one end of a flow ended, and the outcome its record shows: the pure rules that turn the
// endpoint's end cause (who moved first, with which code) into a FlowOutcome for the site's role.
import * as P from '../wasm/assembly/protocol.js';
import type { FlowOutcome } from './port/report.js';

/**
 * What ended an endpoint that did not finish cleanly: its application socket (`app`: the client at
 * a listener, the server at a connector), the peer's RESET on its stream, its link going down, or
 * this site (a protocol error on the stream, a drained connector, shutdown). Set once, by the
 * endpoint, before it reports its end.
 */
export interface EndCause { by: 'app' | 'peer' | 'link' | 'local'; code: number }

/** Which way the endpoint's stream (or application socket) faces: toward the server or the client. */
export type Facing = 'server' | 'client';

/** The outcome of a RESET code arriving from the side `from` faces. */
function resetFrom(from: Facing, code: number): FlowOutcome {
  switch (code) {
    case P.ERR_NO_ROUTE: return 'no_route';
    case P.ERR_CONNECT_FAILED: case P.ERR_STREAM_QUOTA: case P.ERR_STREAM_LIMIT: return 'refused';
    // The far end resets with ERR_ABORTED when its application socket failed (or it shut down).
    case P.ERR_ABORTED: return from === 'server' ? 'reset_by_server' : 'reset_by_client';
    default: return 'reset_by_network';
  }
}

/**
 * The outcome of an endpoint whose application socket is `app` (the client at a listener, the
 * server at a connector; none for a relay) and whose stream faces the other way. No cause: closed.
 */
export function outcomeOf(cause: EndCause | undefined, app: Facing): FlowOutcome {
  if (!cause) return 'closed';
  switch (cause.by) {
    case 'app': return app === 'client' ? 'reset_by_client' : cause.code === P.ERR_CONNECT_FAILED ? 'refused' : 'reset_by_server';
    case 'peer': return resetFrom(app === 'client' ? 'server' : 'client', cause.code);
    case 'link': return 'reset_by_network';
    case 'local': return 'aborted';
  }
}

/** The outcome of a relay half's end: `facing` is the side its stream leads to. */
export function relayOutcomeOf(cause: EndCause | undefined, facing: Facing): FlowOutcome {
  if (!cause) return 'closed';
  if (cause.by === 'peer') return resetFrom(facing, cause.code);
  return cause.by === 'local' ? 'aborted' : 'reset_by_network';
}
