// Runs every operation on the wasm core and on the TypeScript reference and fails, with the seed and
// the recent operations, at the first difference: results, sink events, encoded heads and statuses.
import * as assert from 'uvu/assert';
import type { ForwardingCore } from '../../dataplane/core/core.js';
import { loadCore, corePath } from '../../dataplane/core/wasm-core.js';
import { TsCore } from '../../dataplane/core/ts-core.js';
import { RecordingSink, type Event } from './recording-sink.js';

/** A pair of cores driven in lockstep, on one fake clock. */
export class Twin {
  readonly wasm: ForwardingCore;
  readonly ts: ForwardingCore;
  /** the clock both cores read (µs): set it between operations, so both see the same time */
  now = 0;
  private trail: string[] = [];

  /** `context` (seed, iteration) is printed with any difference. */
  constructor(window: number, public context: string, debug = false) {
    this.wasm = loadCore(window, corePath(debug), () => this.now);
    this.ts = new TsCore(window, () => this.now);
  }

  /** Runs `f` on both cores; the results must be deeply equal and neither may throw. */
  same<T>(what: string, f: (c: ForwardingCore) => T): T {
    this.trail.push(what);
    if (this.trail.length > 12) this.trail.shift();
    let stage = 'the wasm core threw in';
    try {
      const a = f(this.wasm);
      stage = 'TsCore threw in';
      const b = f(this.ts);
      stage = 'wasm core and TsCore differ at';
      assert.equal(b, a);
      return a;
    } catch (err) {
      const msg = `${stage} ${what}\n  ${this.context}\n  recent ops: ${this.trail.join(' | ')}`;
      console.error(msg);
      (err as Error).message = `${msg}\n${(err as Error).message}`;
      throw err;
    }
  }

  /** Decodes `chunk` on `link` in both; returns the (equal) events. `sinkFor` may supply a checking sink. */
  decode(link: number, chunk: Buffer, sinkFor: () => RecordingSink = () => new RecordingSink()): Event[] {
    return this.same(`decode(${link}, ${chunk.length} B)`, (c) => {
      const sink = sinkFor();
      c.decode(link, chunk, sink);
      return sink.events;
    });
  }

  /** Encodes the queued requests in both; returns heads (hex) and statuses. */
  encode(): { heads: string; status: number[] } {
    return this.same('encode()', (c) => {
      const b = c.encode();
      return { heads: b.heads.toString('hex'), status: [...b.status], count: b.count };
    });
  }
}
