// Builds link bytes from a ForwardingCore's encode() the way the outbox writes them (head, inline
// bytes, payload), so tests can pass frames from one core to another.
import * as P from '../../wasm/assembly/protocol.js';
import type { ForwardingCore } from '../../dataplane/core/core.js';

/** One queued frame request. */
export interface Req { type: number; slot?: number; payload?: Buffer; aux?: number; flags?: number; link?: number }

/** Queues `reqs`, encodes, and returns the bytes of the frames that succeeded plus every status. */
export function wire(core: ForwardingCore, reqs: Req[]): { bytes: Buffer; status: number[]; heads: Buffer } {
  for (const r of reqs) core.queue(r.type, r.flags ?? 0, r.link ?? 0, r.slot ?? 0, r.payload?.length ?? 0, r.aux ?? 0);
  const { heads, status } = core.encode();
  const parts: Buffer[] = [];
  reqs.forEach((r, i) => {
    if (status[i] & 0xff) return;
    const inline = !r.payload && (r.type === P.FRAME_CREDIT || r.type === P.FRAME_RESET) ? 4 : 0;
    parts.push(heads.subarray(i * P.OUT_STRIDE, i * P.OUT_STRIDE + P.HEADER_SIZE + inline));
    if (r.payload) parts.push(r.payload);
  });
  return { bytes: Buffer.concat(parts), status: [...status], heads };
}
