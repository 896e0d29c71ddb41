// Issue 13: fuzz of the HTTP/1.1 observer: random bytes, random HTTP-ish tokens, and mutated
// conversations and real captures, in random chunks, on the wasm observer and TsHttp1. Every call
// must return without throwing, every observation must be sane, and the two must agree.
// Seed: $SVCNET_SEED; time: $SVCNET_FUZZ_SECONDS (default 2); runs in a worker with a no-progress watchdog.
import { isMainThread, parentPort } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Prng, runSeed } from '../helpers/prng.js';
import { fuzzJob, fuzzSeconds, runFuzzWorker } from '../helpers/fuzz.js';
import { conversation, mutateTurns, type Turn } from '../helpers/http1-gen.js';
import { Http1Twin } from '../helpers/http1-twin.js';
import { loadCaptures } from '../helpers/http1-captures.js';

interface Stats { iterations: number; bytes: number; observations: number; failures: number }

const TOKENS = ['GET ', 'HTTP/1.1', ' 200 ', '\r\n', '\r\n\r\n', 'Content-Length: ', 'Transfer-Encoding: chunked', 'Connection: close', 'Upgrade: x\r\nConnection: upgrade', '0\r\n\r\n', 'ffffffffffffff', ';', ':', '/', ' ', '9999999999999999999'];

function fuzz(seed: number, seconds: number, progress: Int32Array): Stats {
  const rng = new Prng(seed);
  const twin = new Http1Twin();
  const captures: Turn[][] = loadCaptures().map((c) => c.events);
  const corpus = captures.flat().map(([, b]) => b);
  const stats: Stats = { iterations: 0, bytes: 0, observations: 0, failures: 0 };
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const i = stats.iterations++;
    Atomics.store(progress, 0, i);
    twin.context = `seed ${seed}, iteration ${i}`;
    let turns: Turn[];
    const kind = rng.int(6);
    if (kind === 0) turns = Array.from({ length: 1 + rng.int(4) }, () => [rng.int(2) as 0 | 1, rng.bytes(rng.size(300, 70000, 0.05))]);
    else if (kind === 1) turns = Array.from({ length: 1 + rng.int(6) }, () => [rng.int(2) as 0 | 1, Buffer.from(Array.from({ length: rng.int(30) }, () => rng.pick(TOKENS)).join(''))]);
    else turns = mutateTurns(rng, kind === 2 ? rng.pick(captures) : conversation(rng), corpus);
    stats.bytes += turns.reduce((s, [, b]) => s + b.length, 0);
    stats.observations += twin.conversation(rng, turns, rng.chance(0.3)).length;
  }
  stats.failures = twin.failures;
  return stats;
}

if (isMainThread) {
  test('issue 13: the HTTP/1.1 observer survives random and mutated input, with sane observations, and both agree', async () => {
    const seed = runSeed();
    const seconds = fuzzSeconds(2);
    console.log(`# seed ${seed}, ${seconds} s (replay: SVCNET_SEED=${seed} node dist/test/fuzz/http1-observer.test.js)`);
    const stats = await runFuzzWorker(new URL(import.meta.url), seed, seconds) as Stats;
    console.log(`# ${stats.iterations} inputs, ${(stats.bytes / 1e6).toFixed(1)} MB, ${stats.observations} observations, ${stats.failures} fell back`);
    assert.ok(stats.iterations >= 100, `only ${stats.iterations} inputs in ${seconds} s`);
    assert.ok(stats.observations > 0 && stats.failures > 0, 'the inputs reached both observations and the fallback');
  });
  test.run();
} else {
  const job = fuzzJob();
  parentPort!.postMessage(fuzz(job.seed, job.seconds, job.progress));
}
