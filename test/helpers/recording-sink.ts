// A DecodeSink that records every callback as a plain tuple, for comparing cores and asserting.
import type { DecodeSink } from '../../dataplane/core/core.js';

export type Event =
  | ['data', number, string]
  | ['forward', number, string]
  | ['open', number, string]
  | ['credit', number, number]
  | ['close', number, boolean]
  | ['reset', number, number]
  | ['control', number, number, string]
  | ['error', number, number, number, number];

export class RecordingSink implements DecodeSink {
  events: Event[] = [];
  onData(slot: number, p: Buffer): void { this.events.push(['data', slot, p.toString('hex')]); }
  onForward(t: number, p: Buffer): void { this.events.push(['forward', t, p.toString('hex')]); }
  onOpen(slot: number, p: Buffer): void { this.events.push(['open', slot, p.toString('utf8')]); }
  onCredit(slot: number, n: number): void { this.events.push(['credit', slot, n]); }
  onClose(slot: number, released: boolean): void { this.events.push(['close', slot, released]); }
  onReset(slot: number, code: number): void { this.events.push(['reset', slot, code]); }
  onControl(type: number, flags: number, p: Buffer): void { this.events.push(['control', type, flags, p.toString('hex')]); }
  onError(code: number, offset: number, slot: number, rawId: number): void { this.events.push(['error', code, offset, slot, rawId]); }

  /** Consecutive DATA events of a slot merged, so chunking does not change the record. */
  merged(): Event[] {
    const out: Event[] = [];
    for (const e of this.events) {
      const last = out[out.length - 1];
      if ((e[0] === 'data' || e[0] === 'forward') && last && last[0] === e[0] && last[1] === e[1]) last[2] = (last[2] as string) + e[2];
      else out.push([...e] as Event);
    }
    return out;
  }
}

/** Builds a raw frame: 12-byte header + payload. */
export function frame(type: number, stream: number, payload: Buffer = Buffer.alloc(0), flags = 0, lengthOverride?: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt32BE(lengthOverride ?? payload.length, 0);
  h.writeUInt8(type, 4);
  h.writeUInt8(flags, 5);
  h.writeUInt32BE(stream, 8);
  return Buffer.concat([h, payload]);
}

export function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v, 0);
  return b;
}
