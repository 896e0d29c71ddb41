// Fuzz of the whole ForwardingCore API: random calls with arguments in and far out of range (negative,
// huge, fractional, NaN) interleaved with random frames, on the wasm core and TsCore. Nothing may throw
// and every result must agree. Seed: $SVCNET_SEED; time: $SVCNET_FUZZ_SECONDS (default 3).
import { isMainThread, parentPort } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../../wasm/assembly/protocol.js';
import { Prng, runSeed } from '../helpers/prng.js';
import { PeerModel } from '../helpers/frame-gen.js';
import { Twin } from '../helpers/core-twin.js';
import { fuzzJob, fuzzSeconds, runFuzzWorker } from '../helpers/fuzz.js';

const ODD = [-1, -2, 0.5, 1.5, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 53, NaN, Infinity, -Infinity, 1e300];

/** The fuzz loop (in the worker); returns the number of calls made. */
function fuzz(seed: number, seconds: number, progress: Int32Array): number {
  const rng = new Prng(seed);
  const twin = new Twin(rng.pick([4, 1000, 65536, 1 << 20]), `seed ${seed}`);
  const peer = [new PeerModel(rng, false, 0.05), new PeerModel(rng, true, 0.05)];
  const num = (small: number): number => (rng.chance(0.15) ? rng.pick(ODD) : rng.int(small));
  const link = (): number => (rng.chance(0.85) ? rng.int(3) : num(P.MAX_LINKS + 2));
  const slot = (): number => (rng.chance(0.85) ? rng.int(40) : num(P.MAX_SLOTS + 2));
  const deadline = Date.now() + seconds * 1000;
  let calls = 0;
  while (Date.now() < deadline) {
    Atomics.store(progress, 0, calls);
    twin.context = `seed ${seed}, call ${calls}`;
    calls++;
    const a = [link(), slot(), num(100000), num(100000), slot(), rng.int(12), rng.int(256)];
    const d = rng.chance(0.5);
    switch (rng.int(15)) {
      case 0: twin.same(`linkOpen(${a[0]}, ${d})`, (c) => c.linkOpen(a[0], d)); break;
      case 1: twin.same(`linkClose(${a[0]})`, (c) => c.linkClose(a[0])); break;
      case 2: twin.same(`linkSetPeerWindow(${a[0]}, ${a[2]})`, (c) => c.linkSetPeerWindow(a[0], a[2])); break;
      case 3: case 4: twin.same(`openStream(${a[0]})`, (c) => c.openStream(a[0])); break;
      case 5:
        twin.same(`setForward(${a[1]}, ${a[4]})`, (c) => c.setForward(a[1], a[4]));
        if (d) twin.same(`setForward(${a[4]}, ${a[1]})`, (c) => c.setForward(a[4], a[1])); // a relay pair
        break;
      case 6: twin.same(`reserveCredit(${a[1]}, ${a[2]})`, (c) => c.reserveCredit(a[1], a[2])); break;
      case 7: twin.same(`consumed(${a[1]}, ${a[3]})`, (c) => c.consumed(a[1], a[3])); break;
      case 8: twin.same(`release(${a[1]})`, (c) => c.release(a[1])); break;
      case 9: case 10: twin.same(`queue(${a[5]}, ${a[6]}, ${a[0]}, ${a[1]}, ${a[2]}, ${a[3]})`, (c) => c.queue(a[5], a[6], a[0], a[1], a[2], a[3])); break;
      case 11: {
        const i = rng.int(P.REQ_CAP + 2) - 1; // integer indexes only: cancel() takes what queue() returned
        twin.same(`cancel(${i})`, (c) => c.cancel(i));
        twin.same('queued()', (c) => c.queued());
        break;
      }
      case 12: twin.encode(); break;
      case 13: // the host clock (µs) moves: round trips, idle spells (issue 11 windows), odd values, wrapping
        twin.now = rng.chance(0.1) ? rng.pick(ODD) : (twin.now >>> 0) + rng.pick([1, 90, 1000, 40000, 999_999, 1_000_001, 2 ** 32 - 7]);
        break;
      default: {
        const l = rng.int(2);
        for (const chunk of rng.split(peer[l].traffic(1 + rng.int(6)).bytes, 3)) twin.decode(rng.chance(0.95) ? l : a[0], chunk);
      }
    }
  }
  twin.same('usedSlots()', (c) => c.usedSlots());
  return calls;
}

if (isMainThread) {
  test('random API calls with odd arguments never throw and both cores agree', async () => {
    const seed = runSeed();
    const seconds = fuzzSeconds();
    console.log(`# seed ${seed}, ${seconds} s (replay: SVCNET_SEED=${seed} node dist/test/fuzz/core-api.test.js)`);
    const calls = await runFuzzWorker(new URL(import.meta.url), seed, seconds) as number;
    console.log(`# ${calls} calls`);
    assert.ok(calls >= 1000, `only ${calls} calls in ${seconds} s`);
  });
  test.run();
} else {
  const job = fuzzJob();
  parentPort!.postMessage(fuzz(job.seed, job.seconds, job.progress));
}
