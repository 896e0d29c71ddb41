// Fuzz support: a time bound ($SVCNET_FUZZ_SECONDS), a worker-thread runner whose watchdog turns a
// decode that never returns into a failure naming the seed and iteration, input mutations, and a sink
// that checks every descriptor is sane (payload views inside the chunk, slots in range, codes known).
import { Worker, workerData } from 'node:worker_threads';
import * as P from '../../wasm/assembly/protocol.js';
import { RecordingSink } from './recording-sink.js';
import type { Prng } from './prng.js';

/** Seconds per fuzz test: $SVCNET_FUZZ_SECONDS, else `dflt` (a few seconds in CI). */
export function fuzzSeconds(dflt = 3): number {
  const v = Number(process.env.SVCNET_FUZZ_SECONDS);
  return Number.isFinite(v) && v > 0 ? v : dflt;
}

/** Data a fuzz worker gets: seed, time bound, and a shared progress cell it bumps per iteration. */
export interface FuzzJob { seed: number; seconds: number; progress: Int32Array }

/** In the worker: the job. */
export function fuzzJob(): FuzzJob { return workerData as FuzzJob; }

/** Runs `file` (this test file, as a worker) and resolves with what it posts; fails when it stops progressing. */
export function runFuzzWorker(file: URL, seed: number, seconds: number, stallMs = 15000): Promise<unknown> {
  const progress = new Int32Array(new SharedArrayBuffer(8));
  const worker = new Worker(file, { workerData: { seed, seconds, progress } satisfies FuzzJob });
  return new Promise((resolve, reject) => {
    let last = -1, lastAt = Date.now();
    const watchdog = setInterval(() => {
      const now = Atomics.load(progress, 0);
      if (now !== last) { last = now; lastAt = Date.now(); return; }
      if (Date.now() - lastAt < stallMs) return;
      clearInterval(watchdog);
      void worker.terminate();
      reject(new Error(`fuzz worker made no progress for ${stallMs} ms (a decode that does not return?): seed ${seed}, iteration ${now}`));
    }, 500);
    worker.once('message', (m) => { clearInterval(watchdog); resolve(m); });
    worker.once('error', (e) => { clearInterval(watchdog); reject(e); });
    worker.once('exit', (code) => { clearInterval(watchdog); if (code !== 0) reject(new Error(`fuzz worker exited with ${code}: seed ${seed}`)); });
  });
}

const LINK_TYPES = new Set([P.FRAME_HELLO, P.FRAME_PING, P.FRAME_PONG, P.FRAME_ROUTES, P.FRAME_GOAWAY, P.FRAME_TRAFFIC]);

/** A RecordingSink that throws at the first insane descriptor for `chunk`. */
export class CheckingSink extends RecordingSink {
  private linkError = false;
  constructor(private readonly chunk: Buffer, private readonly targets: ReadonlySet<number>) { super(); }

  private fail(what: string): never { throw new Error(`insane descriptor: ${what}`); }
  private slot(s: number, what: string): void {
    if (this.linkError) this.fail(`${what} after a link error`);
    if (!(s >= 1 && s < P.MAX_SLOTS)) this.fail(`${what} slot ${s}`);
  }
  /** A payload is a view inside the chunk, or (reassembled control payload) a copy of bounded size. */
  private view(p: Buffer, what: string, copyOk: boolean): void {
    const c = this.chunk;
    const inside = p.buffer === c.buffer && p.byteOffset >= c.byteOffset && p.byteOffset + p.length <= c.byteOffset + c.length;
    if (!inside && !(copyOk && p.length <= P.MAX_CONTROL_FRAME)) this.fail(`${what} payload outside the chunk`);
  }

  override onData(slot: number, p: Buffer): void { this.slot(slot, 'DATA'); this.view(p, 'DATA', false); super.onData(slot, p); }
  override onForward(t: number, p: Buffer): void {
    if (!this.targets.has(t)) this.fail(`FORWARD to ${t}, never a target`);
    this.view(p, 'FORWARD', false);
    super.onForward(t, p);
  }
  override onOpen(slot: number, p: Buffer): void { this.slot(slot, 'OPEN'); this.view(p, 'OPEN', true); super.onOpen(slot, p); }
  override onCredit(slot: number, n: number): void {
    this.slot(slot, 'CREDIT');
    if (!(n >= 0 && n <= 0x7fffffff)) this.fail(`CREDIT ${n}`);
    super.onCredit(slot, n);
  }
  override onClose(slot: number, released: boolean): void { this.slot(slot, 'CLOSE'); super.onClose(slot, released); }
  override onReset(slot: number, code: number): void { this.slot(slot, 'RESET'); super.onReset(slot, code); }
  override onControl(type: number, flags: number, p: Buffer): void {
    if (this.linkError) this.fail('CONTROL after a link error');
    if (!LINK_TYPES.has(type) || flags > 255) this.fail(`CONTROL type ${type} flags ${flags}`);
    this.view(p, 'CONTROL', true);
    super.onControl(type, flags, p);
  }
  override onError(code: number, offset: number, slot: number, rawId: number): void {
    if (this.linkError) this.fail('ERROR after a link error');
    if (!(code >= P.ERR_BAD_TYPE && code <= P.ERR_TABLE_FULL)) this.fail(`error code ${code}`);
    if (!(offset >= 0 && offset <= this.chunk.length)) this.fail(`error offset ${offset} of ${this.chunk.length}`);
    if (slot !== 0) this.slot(slot, 'stream error');
    this.linkError = slot === 0 && rawId === 0;
    super.onError(code, offset, slot, rawId);
  }
}

const LENGTHS = [0, 1, 3, 4, 5, 11, 12, 0x7fffffff, 0xffffffff, P.MAX_DATA_FRAME, P.MAX_DATA_FRAME + 1, P.MAX_CONTROL_FRAME, P.MAX_CONTROL_FRAME + 1];

/** 1 (mostly) to 4 mutations of `input`: bit flips, truncation, length/type/stream corruption, splicing, duplication. */
export function mutate(rng: Prng, input: Buffer, starts: number[], corpus: Buffer[]): Buffer {
  let b = Buffer.from(input);
  for (let m = rng.chance(0.3) ? 2 + rng.int(3) : 1; m > 0; m--) {
    const at = starts.length && rng.chance(0.7) ? rng.pick(starts) : rng.int(Math.max(1, b.length));
    switch (rng.int(8)) {
      case 0: for (let k = 1 + rng.int(4); k > 0 && b.length; k--) b[rng.int(b.length)] ^= 1 << rng.int(8); break;
      case 1: b = b.subarray(0, rng.int(b.length + 1)); break;
      case 2: if (at + 4 <= b.length) b.writeUInt32BE(rng.chance(0.5) ? rng.pick(LENGTHS) : (b.readUInt32BE(at) + rng.int(64) - 32) >>> 0, at); break;
      case 3: if (at + 5 <= b.length) b[at + 4] = rng.chance(0.5) ? rng.int(12) : rng.int(256); break;
      case 4: if (at + 12 <= b.length) b.writeUInt32BE(rng.pick([0, 1, 2, 3, 4, 0x7fffffff, 0xffffffff, rng.u32()]), at + 8); break;
      case 5: { // splice a slice of an earlier input in
        const src = corpus.length ? rng.pick(corpus) : b;
        const from = rng.int(src.length + 1);
        b = Buffer.concat([b.subarray(0, at), src.subarray(from, from + rng.int(2000)), b.subarray(at)]);
        break;
      }
      case 6: b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + rng.int(200)), b.subarray(at)]); break;
      default: b = Buffer.concat([b.subarray(0, at), rng.bytes(rng.int(40)), b.subarray(at)]);
    }
  }
  return b;
}
