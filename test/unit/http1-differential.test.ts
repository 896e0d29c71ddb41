// Issue 13: differential test of the HTTP/1.1 observer: seeded random conversations (every framing,
// pipelining, upgrades, CONNECT) and mutations of them and of the real captures, chunked at random,
// fed to the wasm observer and its TypeScript twin in lockstep; every answer must agree. Bounded to
// MAX_CONVERSATIONS or SECONDS. Replay: SVCNET_SEED.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Prng, runSeed } from '../helpers/prng.js';
import { conversation, mutateTurns, type Turn } from '../helpers/http1-gen.js';
import { Http1Twin } from '../helpers/http1-twin.js';
import { loadCaptures } from '../helpers/http1-captures.js';
import { HTTP1_METHODS } from '../../dataplane/core/http1-core.js';

const MAX_CONVERSATIONS = 4000;
const SECONDS = 2;

test('issue 13: wasm observer and TsHttp1 agree on random and mutated conversations', () => {
  const seed = runSeed();
  console.log(`# seed ${seed} (replay: SVCNET_SEED=${seed} node dist/test/unit/http1-differential.test.js)`);
  const rng = new Prng(seed);
  const twin = new Http1Twin();
  const captures: Turn[][] = loadCaptures().map((c) => c.events);
  const corpus = captures.flat().map(([, b]) => b);
  const deadline = Date.now() + SECONDS * 1000;
  let n = 0, clean = 0, cleanObs = 0;
  for (; n < MAX_CONVERSATIONS && Date.now() < deadline; n++) {
    twin.context = `seed ${seed}, conversation ${n}`;
    const generated = rng.chance(0.8) ? conversation(rng) : undefined;
    const base = generated ?? rng.pick(captures);
    const mutated = rng.chance(0.5);
    const turns = mutated ? mutateTurns(rng, base, corpus) : base;
    const failed = twin.failures;
    const raw = rng.chance(0.2); // feed() alone, with unchecked passes that may overrun a body
    const obs = twin.conversation(rng, turns, raw);
    if (generated && !mutated && !raw) {
      // A well-formed conversation is followed to its end: one observation per exchange, no fallback.
      assert.is(twin.failures, failed, `${twin.context}: a well-formed conversation fell back`);
      assert.is(obs.length, generated.exchanges, `${twin.context}: observations`);
      clean++;
      cleanObs += obs.length;
    }
    for (const o of obs) assert.ok(HTTP1_METHODS[o.method] !== undefined);
  }
  console.log(`# ${n} conversations (${clean} generated and unmutated, ${cleanObs} requests), ${twin.calls} calls each, ${twin.observations} observations, ${twin.failures} fell back`);
  assert.ok(n >= 200, `only ${n} conversations in ${SECONDS} s`);
  assert.ok(twin.failures > 0 && twin.failures < n, 'mutations reach the fallback, and not always');
});

test.run();
