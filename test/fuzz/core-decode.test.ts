// Fuzz of decode(): random bytes and mutated valid traffic (bit flips, truncation, length/type/stream
// corruption, splicing) in random chunks, on the wasm core and TsCore. Every decode must return without
// throwing, every descriptor must be sane (CheckingSink), and the two cores must agree.
// Seed: $SVCNET_SEED; time: $SVCNET_FUZZ_SECONDS (default 3); runs in a worker with a no-progress watchdog.
import { isMainThread, parentPort } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../../wasm/assembly/protocol.js';
import { Prng, runSeed } from '../helpers/prng.js';
import { PeerModel } from '../helpers/frame-gen.js';
import { Twin } from '../helpers/core-twin.js';
import { CheckingSink, fuzzJob, fuzzSeconds, mutate, runFuzzWorker } from '../helpers/fuzz.js';

const WINDOW = 65536;
const DIALER = [false, true];

interface Stats { iterations: number; bytes: number; events: number; linkErrors: number }

/** The fuzz loop (in the worker). */
function fuzz(seed: number, seconds: number, progress: Int32Array): Stats {
  const rng = new Prng(seed);
  const twin = new Twin(WINDOW, `seed ${seed}`, rng.chance(0.5));
  const targets = new Set<number>();
  const peers = DIALER.map((d) => new PeerModel(rng, d, 0.01));
  const reopen = (l: number): void => {
    twin.same(`linkClose(${l})`, (c) => c.linkClose(l));
    twin.same(`linkOpen(${l})`, (c) => c.linkOpen(l, DIALER[l]));
    peers[l] = new PeerModel(rng, DIALER[l], 0.01);
  };
  DIALER.forEach((_, l) => reopen(l));
  const corpus: Buffer[] = [];
  const stats: Stats = { iterations: 0, bytes: 0, events: 0, linkErrors: 0 };
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const i = stats.iterations++;
    Atomics.store(progress, 0, i);
    twin.context = `seed ${seed}, iteration ${i}`;
    const l = rng.int(DIALER.length);
    let input: Buffer;
    const kind = rng.int(10);
    if (kind === 0) input = rng.bytes(rng.size(200, 5000, 0.2));
    else {
      const t = peers[l].traffic(1 + rng.int(20));
      input = kind === 1 ? t.bytes : mutate(rng, t.bytes, t.starts, corpus);
    }
    if (corpus.length < 32) corpus.push(input); else corpus[rng.int(32)] = input;
    stats.bytes += input.length;
    let broken = false;
    for (const chunk of rng.split(input, 6)) {
      const ev = twin.decode(l, chunk, () => new CheckingSink(chunk, targets));
      stats.events += ev.length;
      const last = ev[ev.length - 1];
      if (last && last[0] === 'error' && last[3] === 0 && last[4] === 0) { broken = true; stats.linkErrors++; break; }
      // Between chunks the host acts: opens and relays streams, frees slots.
      const op = rng.int(20);
      const s = 1 + rng.int(40);
      if (op === 0) twin.same('openStream', (c) => c.openStream(l));
      else if (op === 1) twin.same(`release(${s})`, (c) => c.release(s));
      else if (op === 2) { const t = 1 + rng.int(40); targets.add(t); twin.same(`setForward(${s}, ${t})`, (c) => c.setForward(s, t)); }
      else if (op === 3) {
        twin.same(`queue RESET ${s}`, (c) => c.queue(P.FRAME_RESET, 0, l, s, 0, P.ERR_ABORTED));
        twin.encode();
      }
    }
    if (broken || rng.chance(0.6)) reopen(l);
  }
  twin.same('usedSlots()', (c) => c.usedSlots());
  return stats;
}

if (isMainThread) {
  test('decode survives random and mutated input, with sane descriptors, and both cores agree', async () => {
    const seed = runSeed();
    const seconds = fuzzSeconds();
    console.log(`# seed ${seed}, ${seconds} s (replay: SVCNET_SEED=${seed} node dist/test/fuzz/core-decode.test.js)`);
    const stats = await runFuzzWorker(new URL(import.meta.url), seed, seconds) as Stats;
    console.log(`# ${stats.iterations} inputs, ${(stats.bytes / 1e6).toFixed(1)} MB, ${stats.events} descriptors, ${stats.linkErrors} link errors`);
    assert.ok(stats.iterations >= 100, `only ${stats.iterations} inputs in ${seconds} s`);
    assert.ok(stats.linkErrors > 0 && stats.events > stats.iterations, 'the inputs reached both errors and valid frames');
  });
  test.run();
} else {
  const job = fuzzJob();
  parentPort!.postMessage(fuzz(job.seed, job.seconds, job.progress));
}
