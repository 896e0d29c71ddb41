// Fakes for unit tests of stream endpoints (flow.ts, relay.ts, local-splice.ts): a StreamIO whose
// core grants credit from a per-slot budget and whose outbox records frames, a frame writer, and an
// application socket that records what was done to it.
import { EventEmitter } from 'node:events';
import * as P from '../../wasm/assembly/protocol.js';
import type { StreamIO, FrameWriter } from '../../dataplane/endpoint.js';

export interface SentFrame { link: number; type: number; slot: number; bytes: number; aux: number; /** DATA sent with its header in the payload's headroom */ headroom?: boolean }

export const FRAME_NAMES: Record<number, string> = {
  [P.FRAME_DATA]: 'DATA', [P.FRAME_CLOSE]: 'CLOSE', [P.FRAME_RESET]: 'RESET', [P.FRAME_CREDIT]: 'CREDIT', [P.FRAME_OPEN]: 'OPEN',
};

/** A StreamIO with `credit[slot]` bytes of send credit; records frames, finished endpoints and illegal moves. */
export function fakeIO(credit: Record<number, number> = {}) {
  const sent: SentFrame[] = [];
  const done: number[] = [];
  const illegal: string[] = [];
  const forward: [number, number][] = [];
  const io = {
    core: {
      reserveCredit: (slot: number, n: number) => { const c = Math.min(credit[slot] ?? 0, n); credit[slot] = (credit[slot] ?? 0) - c; return c; },
      consumed: (_slot: number, n: number) => n,
      setForward: (slot: number, target: number) => { forward.push([slot, target]); },
    },
    outbox: {
      stream: (w: FrameWriter, type: number, slot: number, payload: Buffer | null, aux = 0) => { sent.push({ link: w.index, type, slot, bytes: payload?.length ?? 0, aux }); },
      data: (w: FrameWriter, slot: number, payload: Buffer, headroom: boolean) => { sent.push({ link: w.index, type: P.FRAME_DATA, slot, bytes: payload.length, aux: 0, headroom }); },
      cancelSlot: () => {},
    },
    done: (ep: { slot: number }) => { done.push(ep.slot); },
    uncorkLater: (s: { uncork(): void }) => { s.uncork(); },
    illegal: (machine: string, from: string, to: string) => { illegal.push(`${machine} ${from}->${to}`); },
  };
  /** frames as short strings: "CLOSE@1", "RESET@2:7" (code), "DATA@2:5" (bytes) */
  const frames = () => sent.map((f) => `${FRAME_NAMES[f.type]}@${f.slot}${f.type === P.FRAME_RESET ? `:${f.aux}` : f.type === P.FRAME_DATA ? `:${f.bytes}` : ''}`);
  return { io: io as unknown as StreamIO, sent, done, illegal, forward, credit, frames };
}

/** A link's frame writer; `congested` can be set by the test. */
export function fakeWriter(index: number) {
  return { index, congested: false, cork() {}, uncork() {}, write() {}, whenDrained() {} } as FrameWriter & { congested: boolean };
}

/** The net.Socket surface a flow uses; records writes, ends, pauses and destruction. */
export class FakeAppSocket extends EventEmitter {
  written = 0;
  ended = 0;
  resets = 0;
  paused = false;
  destroyed = false;
  writableLength = 0;
  remoteAddress = '127.0.0.1';
  remotePort = 40000;
  setNoDelay(): this { return this; }
  cork(): void {}
  uncork(): void {}
  pause(): this { this.paused = true; return this; }
  resume(): this { this.paused = false; return this; }
  write(b: Buffer): boolean { this.written += b.length; return true; }
  end(): this { this.ended++; return this; }
  resetAndDestroy(): this { this.resets++; this.destroyed = true; return this; }
  destroy(): this { this.destroyed = true; return this; }
}
