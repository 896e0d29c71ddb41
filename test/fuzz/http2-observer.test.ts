// Issue 13: fuzz of the HTTP/2 observer: random bytes, random frames (every type, flag and length,
// after a valid preface), random HPACK blocks, and mutated conversations and real captures, in random
// chunks, on the wasm observer and TsHttp2. Every call must return without throwing, every observation
// must be sane, and the two must agree.
// Seed: $SVCNET_SEED; time: $SVCNET_FUZZ_SECONDS (default 2); runs in a worker with a no-progress watchdog.
import { isMainThread, parentPort } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as H from '../../wasm/assembly/http2-consts.js';
import { Prng, runSeed } from '../helpers/prng.js';
import { fuzzJob, fuzzSeconds, runFuzzWorker } from '../helpers/fuzz.js';
import { mutateTurns, type Turn } from '../helpers/http1-gen.js';
import { conversation } from '../helpers/http2-gen.js';
import { Http2Twin } from '../helpers/http2-twin.js';
import { standardCaptures } from '../helpers/http2-captures.js';
import { PREFACE, frame, settings } from '../helpers/http2-frames.js';

interface Stats { iterations: number; bytes: number; observations: number; failures: number; reasons: [number, number][] }

/** A frame of random type, flags, stream and payload (a plausible HPACK start for header frames). */
function randomFrame(rng: Prng): Buffer {
  const type = rng.chance(0.8) ? rng.int(10) : rng.int(256);
  const len = rng.size(40, 20000, 0.05);
  const payload = rng.bytes(len);
  if ((type === H.FT_HEADERS || type === H.FT_CONTINUATION) && len > 0 && rng.chance(0.5)) payload[0] = rng.pick([0x82, 0x88, 0x40, 0x00, 0x10, 0x3f, 0xbe]);
  return frame(type, rng.int(256), rng.chance(0.7) ? 1 + 2 * rng.int(8) : rng.u32() >>> 1, payload);
}

async function fuzz(seed: number, seconds: number, progress: Int32Array): Promise<Stats> {
  const rng = new Prng(seed);
  const twin = new Http2Twin();
  const captures: Turn[][] = (await standardCaptures()).map((c) => c.turns);
  const corpus = captures.flat().map(([, b]) => b);
  const stats: Stats = { iterations: 0, bytes: 0, observations: 0, failures: 0, reasons: [] };
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const i = stats.iterations++;
    Atomics.store(progress, 0, i);
    twin.context = `seed ${seed}, iteration ${i}`;
    let turns: Turn[];
    const kind = rng.int(6);
    if (kind === 0) turns = Array.from({ length: 1 + rng.int(4) }, () => [rng.int(2) as 0 | 1, rng.bytes(rng.size(300, 70000, 0.05))]);
    else if (kind === 1) {
      turns = [[0, Buffer.concat([PREFACE, settings()])]];
      for (let k = 1 + rng.int(8); k > 0; k--) turns.push([rng.int(2) as 0 | 1, Buffer.concat(Array.from({ length: 1 + rng.int(4) }, () => randomFrame(rng)))]);
    } else turns = mutateTurns(rng, kind === 2 ? rng.pick(captures) : conversation(rng), corpus);
    stats.bytes += turns.reduce((s, [, b]) => s + b.length, 0);
    stats.observations += twin.conversation(rng, turns, rng.chance(0.3)).length;
  }
  stats.failures = twin.failures;
  stats.reasons = [...twin.reasons];
  return stats;
}

if (isMainThread) {
  test('issue 13: the HTTP/2 observer survives random and mutated input, with sane observations, and both agree', async () => {
    const seed = runSeed();
    const seconds = fuzzSeconds(2);
    console.log(`# seed ${seed}, ${seconds} s (replay: SVCNET_SEED=${seed} node dist/test/fuzz/http2-observer.test.js)`);
    const stats = await runFuzzWorker(new URL(import.meta.url), seed, seconds) as Stats;
    console.log(`# ${stats.iterations} inputs, ${(stats.bytes / 1e6).toFixed(1)} MB, ${stats.observations} observations, ${stats.failures} fell back (by reason ${JSON.stringify(stats.reasons)})`);
    assert.ok(stats.iterations >= 100, `only ${stats.iterations} inputs in ${seconds} s`);
    assert.ok(stats.observations > 0 && stats.failures > 0, 'the inputs reached both observations and the fallback');
  });
  test.run();
} else {
  const job = fuzzJob();
  parentPort!.postMessage(await fuzz(job.seed, job.seconds, job.progress));
}
