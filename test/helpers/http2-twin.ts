// The wasm HTTP/2 observer and its TypeScript twin driven in lockstep (issue 13): every call is made on
// both and every answer (consumed bytes, observations, skip, mode, failure) must agree.
import * as H from '../../wasm/assembly/http2-consts.js';
import { loadCore } from '../../dataplane/core/wasm-core.js';
import { TsHttp2 } from '../../dataplane/core/ts-http2.js';
import type { Http2Core, Http2Observation } from '../../dataplane/core/http2-core.js';
import { FEED_WINDOW } from '../../dataplane/http-observer.js';
import type { Prng } from './prng.js';
import type { Turn } from './http1-gen.js';

export class Http2Twin {
  readonly wasm: Http2Core = loadCore(65536).http2();
  readonly ts: Http2Core = new TsHttp2();
  context = '';
  calls = 0;
  observations = 0;
  failures = 0;
  /** fallbacks by H2_FAIL_* reason */
  readonly reasons = new Map<number, number>();

  /** Runs `f` on both observers; throws naming the call when they answer differently. */
  same<T>(label: string, f: (c: Http2Core) => T): T {
    this.calls++;
    const a = f(this.wasm), b = f(this.ts);
    if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`${this.context}: ${label}: wasm ${JSON.stringify(a)} != ts ${JSON.stringify(b)}`);
    return a;
  }

  private outs(label: string, n: number): Http2Observation[] {
    const obs = this.same(`${label} observations`, (c) => Array.from({ length: c.outs() }, (_, i) => c.observation(i)));
    if (obs.length !== n) throw new Error(`${this.context}: ${label}: ${n} reported, ${obs.length} listed`);
    for (const o of obs) checkObservation(o, this.context);
    this.observations += obs.length;
    return obs;
  }

  /** Replays `turns` on one observer of each, chunked at random, fed as the host does (skip, pass, feed windows)
   *  or, with `raw`, by feed() alone with arbitrary lengths and unchecked passes; then ends it. */
  conversation(rng: Prng, turns: Turn[], raw: boolean): Http2Observation[] {
    const o = this.same('open', (c) => c.open());
    const all: Http2Observation[] = [];
    let now = 1;
    for (const [d, bytes] of turns) {
      for (const chunk of rng.split(bytes, 5)) {
        now += rng.int(3);
        let off = 0;
        while (off < chunk.length) {
          const skip = this.same(`skip(${d})`, (c) => c.skip(o, d));
          if (!raw && skip > 0) {
            const n = Math.min(skip, chunk.length - off);
            all.push(...this.outs('pass', this.same(`pass(${d}, ${n})`, (c) => c.pass(o, d, n, now))));
            off += n;
            if (skip === H.H2_SKIP_ALL) break;
            continue;
          }
          const w = raw ? chunk.subarray(off, off + H.H2_IN_CAP) : chunk.subarray(off, off + FEED_WINDOW);
          const used = this.same(`feed(${d}, ${w.length})`, (c) => c.feed(o, d, w, now));
          if (used === 0 && this.wasm.outs() === 0) throw new Error(`${this.context}: feed made no progress`);
          all.push(...this.outs('feed', this.wasm.outs()));
          off += used;
        }
        if (raw && rng.chance(0.05)) { const n = rng.int(100); this.same(`pass(${d}, ${n}) unchecked`, (c) => c.pass(o, d, n, now)); }
      }
    }
    const mode = this.same('mode', (c) => c.mode(o));
    const why = this.same('failure', (c) => c.failure(o));
    if (mode === H.H2_FAILED) { this.failures++; this.reasons.set(why, (this.reasons.get(why) ?? 0) + 1); }
    all.push(...this.outs('end', this.same('end', (c) => c.end(o, now + 1))));
    this.same('close', (c) => c.close(o));
    return all;
  }
}

/** An observation's fields are in range whatever the input. */
export function checkObservation(o: Http2Observation, context: string): void {
  const bad = (what: string) => { throw new Error(`${context}: insane observation (${what}): ${JSON.stringify(o)}`); };
  if (!(o.method >= 0 && o.method <= 9)) bad('method');
  if (o.status !== 0 && !(o.status >= 200 && o.status <= 999)) bad('status');
  if (o.segment.length > H.H2_SEG_MAX) bad('segment');
  if (!(o.grpcStatus >= -1 && o.grpcStatus <= 9999)) bad('grpc-status');
  if (!(o.bytesToServer >= 0 && o.bytesToClient >= 0 && Number.isInteger(o.bytesToServer) && Number.isInteger(o.bytesToClient))) bad('bytes');
  if (!(o.endedAt >= o.startedAt)) bad('times');
}
