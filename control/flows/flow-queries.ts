// Asks the data-plane engine for flow records through the port (list-flows → flow-list) and
// matches each answer to its question. The records stay in the engine; nothing is cached here.
import type { EngineCommand, FlowQuery, FlowRecord } from '../../dataplane/port/report.js';

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
