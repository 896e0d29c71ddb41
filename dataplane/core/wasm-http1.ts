// The HTTP/1.1 observers of the wasm core (issue 13) behind Http1Core: thin calls of the h1* exports.
// WasmCore.http1() makes it over the core's own memory views (wasm-core.ts stays the only file that
// touches WebAssembly); memory never grows, so the views stay valid.
import * as H from '../../wasm/assembly/http1-consts.js';
import { readObservation, type Http1Core, type Http1Observation } from './http1-core.js';

/** The h1* exports of build/core.wasm (part of CoreExports; test/unit/wasm-exports checks them). */
export interface Http1Exports {
  h1Init(): number;
  h1Open(): number;
  h1Close(o: number): void;
  h1Mode(o: number): number;
  h1Failure(o: number): number;
  h1Outs(): number;
  h1Skip(o: number, d: number): number;
  h1Pass(o: number, d: number, n: number, now: number): number;
  h1Feed(o: number, d: number, len: number, now: number): number;
  h1End(o: number, now: number): number;
}

export const HTTP1_EXPORT_NAMES: readonly (keyof Http1Exports)[] = [
  'h1Init', 'h1Open', 'h1Close', 'h1Mode', 'h1Failure', 'h1Outs', 'h1Skip', 'h1Pass', 'h1Feed', 'h1End',
];

export class WasmHttp1 implements Http1Core {
  constructor(private readonly x: Http1Exports, private readonly u8: Uint8Array, private readonly dv: DataView) {
    const rc = x.h1Init();
    if (rc !== 0) throw new Error(`svcnet wasm core: h1Init failed with code ${rc}`);
  }

  open(): number { return this.x.h1Open(); }
  close(o: number): void { this.x.h1Close(o); }
  mode(o: number): number { return this.x.h1Mode(o); }
  failure(o: number): number { return this.x.h1Failure(o); }
  skip(o: number, dir: number): number { return this.x.h1Skip(o, dir) >>> 0; }
  pass(o: number, dir: number, n: number, now: number): number { this.x.h1Pass(o, dir, n, now); return this.x.h1Outs(); }
  feed(o: number, dir: number, bytes: Uint8Array, now: number): number {
    const n = Math.min(bytes.length, H.H1_IN_CAP);
    this.u8.set(n === bytes.length ? bytes : bytes.subarray(0, n), H.H1_IN);
    return this.x.h1Feed(o, dir, n, now) >>> 0;
  }
  end(o: number, now: number): number { return this.x.h1End(o, now); }
  outs(): number { return this.x.h1Outs(); }
  observation(i: number): Http1Observation { return readObservation(this.u8, this.dv, 0, i); }
}
