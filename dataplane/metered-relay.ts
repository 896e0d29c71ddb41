// A relay half that also meters its flow for the flow record: bytes it sends on, the time of the
// first byte toward the client, and what ended the relay (relay.ts stays free of accounting).
import { RelayHalf } from './relay.js';
import type { EndCause } from './flow-record.js';
import type { AppCounters } from './flow-records.js';

export class MeteredRelayHalf extends RelayHalf {
  /** bytes sent on this half's slot */
  bytes = 0;
  /** performance.now() of the first byte sent on this half's slot; 0 before */
  firstByteAt = 0;
  /** the first abnormal end seen by this half (its slot's RESET, its link down, a local reset) */
  endCause: EndCause | undefined;

  override onData(payload: Buffer): void {
    if (this.bytes === 0) this.firstByteAt = performance.now();
    this.bytes += payload.length;
    super.onData(payload);
  }

  override onReset(code: number): void {
    if (!this.over) this.endCause ??= { by: 'peer', code };
    super.onReset(code);
  }

  override abort(code: number): void {
    if (!this.over) this.endCause ??= { by: 'link', code };
    super.abort(code);
  }

  override resetLocal(code: number, why: string): void {
    if (!this.over) this.endCause ??= { by: 'local', code };
    super.resetLocal(code, why);
  }
}

/** A relay's counts as a record reads them, with the client's side as the "app": `a` faces the
 *  client (what it sends goes to the client), `b` the server. */
export class RelayCounters implements AppCounters {
  constructor(private readonly a: MeteredRelayHalf, private readonly b: MeteredRelayHalf) {}
  get bytesFromApp(): number { return this.b.bytes; }
  get bytesToApp(): number { return this.a.bytes; }
  get firstFromAppAt(): number { return this.b.firstByteAt; }
  get firstToAppAt(): number { return this.a.firstByteAt; }
}
