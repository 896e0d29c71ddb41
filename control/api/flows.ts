// ListFlows: the running site's flow records (kept by its engine), filtered, as wire messages.
import { ApiError } from './errors.js';
import type { ApiContext } from './context.js';
import type { ListFlowsRequest, ListFlowsResponse, FlowRecordMessage } from './types.js';
import type { FlowOutcome, FlowQuery, FlowRecord } from '../../dataplane/port/report.js';

/** Every outcome a record can show (port/report.ts FlowOutcome), in the order docs list them. */
export const FLOW_OUTCOMES: readonly FlowOutcome[] = ['closed', 'reset_by_client', 'reset_by_server', 'reset_by_network', 'aborted', 'refused', 'no_route'];
const STATES = ['active', 'recent', 'all'] as const;

/** The query a request asks for; INVALID_ARGUMENT naming the field for an unknown outcome or state. */
export function flowQuery(req: ListFlowsRequest): FlowQuery {
  const q: FlowQuery = {};
  if (req.routingKey) q.key = req.routingKey;
  if (req.site) q.site = req.site;
  if (req.outcome) {
    if (!(FLOW_OUTCOMES as readonly string[]).includes(req.outcome)) throw new ApiError('SVCNET_ERR_INVALID_ARGUMENT', `outcome: "${req.outcome.slice(0, 40)}" is not one of ${FLOW_OUTCOMES.join(', ')}`, 'outcome');
    q.outcome = req.outcome as FlowOutcome;
  }
  if (req.state) {
    if (!(STATES as readonly string[]).includes(req.state)) throw new ApiError('SVCNET_ERR_INVALID_ARGUMENT', `state: "${req.state.slice(0, 40)}" is not one of ${STATES.join(', ')}`, 'state');
    q.state = req.state as FlowQuery['state'];
  }
  if (req.limit) q.limit = req.limit;
  return q;
}

/** A record as the wire message (times ISO 8601, unknown ttfb -1). */
export function flowMessage(r: FlowRecord): FlowRecordMessage {
  return {
    id: r.id, role: r.role, routingKey: r.key, listenerSite: r.listenerSite, connectorSite: r.connectorSite, peerSite: r.peerSite, endpoint: r.endpoint,
    client: r.client, target: r.target, startedAt: new Date(r.startedAt).toISOString(), endedAt: r.endedAt === undefined ? '' : new Date(r.endedAt).toISOString(),
    bytesToServer: r.bytesToServer, bytesToClient: r.bytesToClient, ttfbMs: r.ttfbMs ?? -1, active: r.endedAt === undefined, outcome: r.outcome ?? '', error: r.error ?? '',
    requests: r.requests ?? [], requestCount: r.requestCount ?? 0, httpError: r.httpError ?? '',
  };
}

/** The site's flow records that match `req`, newest first. */
export async function listFlows(ctx: ApiContext, req: ListFlowsRequest): Promise<ListFlowsResponse> {
  const q = flowQuery(req);
  if (!ctx.site) throw new ApiError('SVCNET_ERR_NOT_RUNNING', `site ${ctx.store.readConfig().name} is not running, so it has no flows; start it with "svcnet site run"`);
  return { flows: (await ctx.site.flows(q)).map(flowMessage) };
}
