// Asks the data-plane engine for flow records through the port (list-flows → flow-list) and
// matches each answer to its question. The records stay in the engine; nothing is cached here.
// A site with several engines asks each and merges the answers (mergeFlowLists).
import type { EngineCommand, FlowQuery, FlowRecord } from '../../dataplane/port/report.js';
import { flowQueryLimit } from '../../common/flow-query-limit.js';

/** An engine that does not answer within this time (it died, or is restarting) answers nothing. */
export const FLOW_QUERY_TIMEOUT_MS = 5000;

export class FlowQueries {
  private readonly waiting = new Map<number, { resolve: (r: FlowRecord[]) => void; timer: NodeJS.Timeout }>();
  private next = 1;

  /** `send` delivers a command to the engine, or returns false when there is none running. */
  constructor(private readonly send: (cmd: EngineCommand) => boolean) {}

  /** The engine's records that match `query`; none while it is down or when it does not answer in time. */
  list(query: FlowQuery): Promise<FlowRecord[]> {
    const id = this.next++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.answer(id, []), FLOW_QUERY_TIMEOUT_MS);
      timer.unref(); // a question left open never keeps a stopping site alive
      this.waiting.set(id, { resolve, timer });
      if (!this.send({ kind: 'list-flows', id, query })) this.answer(id, []);
    });
  }

  /** The engine's answer (flow-list) to question `id`. */
  answer(id: number, records: FlowRecord[]): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    clearTimeout(w.timer);
    w.resolve(records);
  }

  /** The engine went away: its questions will not be answered. */
  abandon(): void {
    for (const id of [...this.waiting.keys()]) this.answer(id, []);
  }
}

/** The answers of several engines as one engine would give them: active flows first, newest start
 *  first, then ended ones, newest end first, at most the query's limit. */
export function mergeFlowLists(lists: FlowRecord[][], query: FlowQuery): FlowRecord[] {
  const all = lists.flat();
  const active = all.filter((r) => r.endedAt === undefined).sort((a, b) => b.startedAt - a.startedAt);
  const ended = all.filter((r) => r.endedAt !== undefined).sort((a, b) => b.endedAt! - a.endedAt!);
  return [...active, ...ended].slice(0, flowQueryLimit(query.limit));
}

/** Asks every engine of a site and merges their answers. */
export async function listAllFlows(engines: FlowQueries[], query: FlowQuery): Promise<FlowRecord[]> {
  if (engines.length === 1) return engines[0].list(query);
  return mergeFlowLists(await Promise.all(engines.map((e) => e.list(query))), query);
}
