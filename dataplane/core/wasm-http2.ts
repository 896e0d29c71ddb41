// The HTTP/2 observers of the wasm core (issue 13) behind Http2Core: thin calls of the h2* exports.
// WasmCore.http2() makes it over the core's own memory views (wasm-core.ts stays the only file that
// touches WebAssembly); memory never grows, so the views stay valid.
import * as H from '../../wasm/assembly/http2-consts.js';
import { readHttp2Observation, type Http2Core, type Http2Observation } from './http2-core.js';

/** The h2* exports of build/core.wasm (part of CoreExports; test/unit/wasm-exports checks them). */
export interface Http2Exports {
  h2Init(): number;
  h2Open(): number;
  h2Close(o: number): void;
  h2Mode(o: number): number;
  h2Failure(o: number): number;
  h2Outs(): number;
  h2Skip(o: number, d: number): number;
  h2Pass(o: number, d: number, n: number, now: number): number;
  h2Feed(o: number, d: number, len: number, now: number): number;
  h2End(o: number, now: number): number;
}

export const HTTP2_EXPORT_NAMES: readonly (keyof Http2Exports)[] = [
  'h2Init', 'h2Open', 'h2Close', 'h2Mode', 'h2Failure', 'h2Outs', 'h2Skip', 'h2Pass', 'h2Feed', 'h2End',
];

export class WasmHttp2 implements Http2Core {
  constructor(private readonly x: Http2Exports, private readonly u8: Uint8Array, private readonly dv: DataView) {
    const rc = x.h2Init();
    if (rc !== 0) throw new Error(`svcnet wasm core: h2Init failed with code ${rc}`);
  }

  open(): number { return this.x.h2Open(); }
  close(o: number): void { this.x.h2Close(o); }
  mode(o: number): number { return this.x.h2Mode(o); }
  failure(o: number): number { return this.x.h2Failure(o); }
  skip(o: number, dir: number): number { return this.x.h2Skip(o, dir) >>> 0; }
  pass(o: number, dir: number, n: number, now: number): number { this.x.h2Pass(o, dir, n, now); return this.x.h2Outs(); }
  feed(o: number, dir: number, bytes: Uint8Array, now: number): number {
    const n = Math.min(bytes.length, H.H2_IN_CAP);
    this.u8.set(n === bytes.length ? bytes : bytes.subarray(0, n), H.H2_IN);
    return this.x.h2Feed(o, dir, n, now) >>> 0;
  }
  end(o: number, now: number): number { return this.x.h2End(o, now); }
  outs(): number { return this.x.h2Outs(); }
  observation(i: number): Http2Observation { return readHttp2Observation(this.u8, this.dv, 0, i); }
}
