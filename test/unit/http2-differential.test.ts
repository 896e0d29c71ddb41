// Issue 13: differential test of the HTTP/2 observer: seeded random h2c conversations (interleaved
// streams, HPACK with its dynamic table, CONTINUATION, padding, 1xx, gRPC trailers, resets) and
// mutations of them and of real captures (Node's http2 client and server), chunked at random, fed to
// the wasm observer and its TypeScript twin in lockstep; every answer must agree. Bounded to
// MAX_CONVERSATIONS or SECONDS. Replay: SVCNET_SEED.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Prng, runSeed } from '../helpers/prng.js';
import { mutateTurns, type Turn } from '../helpers/http1-gen.js';
import { conversation } from '../helpers/http2-gen.js';
import { Http2Twin } from '../helpers/http2-twin.js';
import { standardCaptures } from '../helpers/http2-captures.js';

const MAX_CONVERSATIONS = 3000;
const SECONDS = 2;

test('issue 13: real captures are followed to the end: one observation per request, with its method, path and status', async () => {
  const rng = new Prng(1);
  const twin = new Http2Twin();
  for (const cap of await standardCaptures()) {
    twin.context = 'capture';
    const obs = twin.conversation(rng, cap.turns, false);
    assert.is(twin.failures, 0);
    const seen = obs.map((o) => `${o.segment} ${o.status} ${o.grpcStatus}`).sort();
    const want = cap.requests.map((q) => `${q.path.slice(1).split(/[/?#]/)[0]} ${q.status} ${q.grpcStatus ?? -1}`).sort();
    assert.equal(seen, want);
  }
});

test('issue 13: wasm observer and TsHttp2 agree on random and mutated conversations', async () => {
  const seed = runSeed();
  console.log(`# seed ${seed} (replay: SVCNET_SEED=${seed} node dist/test/unit/http2-differential.test.js)`);
  const rng = new Prng(seed);
  const twin = new Http2Twin();
  const captures: Turn[][] = (await standardCaptures()).map((c) => c.turns);
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
    const raw = rng.chance(0.2);
    const obs = twin.conversation(rng, turns, raw);
    if (generated && !mutated && !raw) {
      // A well-formed conversation is followed to its end: one observation per stream, no fallback.
      assert.is(twin.failures, failed, `${twin.context}: a well-formed conversation fell back (${[...twin.reasons]})`);
      assert.is(obs.length, generated.streams, `${twin.context}: observations`);
      clean++;
      cleanObs += obs.length;
    }
  }
  console.log(`# ${n} conversations (${clean} generated and unmutated, ${cleanObs} streams), ${twin.calls} calls each, ${twin.observations} observations, ${twin.failures} fell back (by reason ${JSON.stringify([...twin.reasons])})`);
  assert.ok(n >= 100, `only ${n} conversations in ${SECONDS} s`);
  assert.ok(twin.failures > 0 && twin.failures < n, 'mutations reach the fallback, and not always');
});

test.run();
