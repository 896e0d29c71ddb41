// Differential test: seeded random link traffic (split at random points) and random host operations
// on three links, run on the wasm core and on TsCore in lockstep; every result, sink event, frame
// head and encode status must agree. Bounded to MAX_ITER operations or SECONDS. Replay: SVCNET_SEED.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../../wasm/assembly/protocol.js';
import { Prng, runSeed } from '../helpers/prng.js';
import { PeerModel } from '../helpers/frame-gen.js';
import { Twin } from '../helpers/core-twin.js';
import { frame } from '../helpers/recording-sink.js';

const WINDOW = 65536;
const MAX_ITER = 8000;
const SECONDS = 5;
const LINKS = [false, true, false]; // link i: did the core dial it?

test('wasm core and TsCore agree on random traffic and host operations', () => {
  const seed = runSeed();
  console.log(`# seed ${seed} (replay: SVCNET_SEED=${seed} node dist/test/unit/core-differential.test.js)`);
  const rng = new Prng(seed);
  const twin = new Twin(WINDOW, `seed ${seed}`);
  const peers: PeerModel[] = [];
  const ourNext: number[] = [];
  const slots: number[] = [0, P.MAX_SLOTS, 40000];
  const slot = (): number => (rng.chance(0.9) && slots.length > 3 ? slots[3 + rng.int(slots.length - 3)] : rng.pick(slots.slice(0, 3)));
  const open = (l: number): void => {
    twin.same(`linkOpen(${l})`, (c) => c.linkOpen(l, LINKS[l]));
    const w = rng.pick([WINDOW, 1000, 1 << 20]);
    if (rng.chance(0.7)) twin.same(`linkSetPeerWindow(${l}, ${w})`, (c) => c.linkSetPeerWindow(l, w));
    peers[l] = new PeerModel(rng, LINKS[l], 0.02);
    ourNext[l] = LINKS[l] ? 1 : 2;
  };
  LINKS.forEach((_, l) => open(l));
  let events = 0, linkErrors = 0, encoded = 0;

  const carry: Buffer[] = LINKS.map(() => Buffer.alloc(0));
  /** Decodes `bytes` on `l` in random chunks, with host operations in between; part of the tail may wait
   *  for the next call (so frames straddle operations). After a link error the host drops the link. */
  const feed = (l: number, bytes: Buffer, maxCuts: number): void => {
    bytes = Buffer.concat([carry[l], bytes]);
    const keep = rng.chance(0.3) ? rng.int(Math.min(bytes.length, 3000)) : 0;
    carry[l] = Buffer.from(bytes.subarray(bytes.length - keep));
    for (const chunk of rng.split(bytes.subarray(0, bytes.length - keep), maxCuts)) {
      if (rng.chance(0.15)) hostOp(rng.int(LINKS.length));
      const ev = twin.decode(l, chunk);
      events += ev.length;
      for (const e of ev) if (e[0] === 'open') slots.push(e[1]);
      const last = ev[ev.length - 1];
      if (last && last[0] === 'error' && last[3] === 0 && last[4] === 0) {
        linkErrors++;
        if (rng.chance(0.7)) { twin.same(`linkClose(${l})`, (c) => c.linkClose(l)); open(l); carry[l] = Buffer.alloc(0); return; }
      }
    }
  };

  /** One random host operation on link `l`: what the data plane does between reads. */
  function hostOp(l: number): void {
    const op = 443 + rng.int(1000 - 443);
    if (op < 540) {
      const s = twin.same(`openStream(${l})`, (c) => c.openStream(l));
      if (s !== 0) { slots.push(s); peers[l].learn(ourNext[l]); ourNext[l] += 2; }
    } else if (op < 730) {
      const n = 1 + rng.int(20);
      const cancelled: number[] = [];
      for (let k = 0; k < n; k++) {
        const type = rng.chance(0.95) ? rng.pick([P.FRAME_DATA, P.FRAME_DATA, P.FRAME_OPEN, P.FRAME_CREDIT, P.FRAME_CLOSE, P.FRAME_RESET, P.FRAME_PING, P.FRAME_ROUTES]) : rng.int(256);
        const raw = type === P.FRAME_RESET && rng.chance(0.2);
        const len = rng.chance(0.02) ? P.MAX_DATA_FRAME + rng.int(3) : rng.size(2000, 70000, 0.05);
        const link = rng.chance(0.95) ? rng.int(LINKS.length) : rng.pick([5, 64, 65535]);
        const args = [type, raw ? P.REQ_FLAG_RAW_ID : (rng.chance(0.1) ? rng.int(256) : 0), link, raw ? 1 + rng.int(99) : slot(), len, rng.int(70000)] as const;
        const idx = twin.same(`queue(${args.join()})`, (c) => c.queue(...args));
        if (rng.chance(0.05)) cancelled.push(idx);
      }
      for (const idx of cancelled) twin.same(`cancel(${idx})`, (c) => c.cancel(idx));
      twin.same('queued()', (c) => c.queued());
      twin.encode();
      encoded += n;
    } else if (op < 820) {
      const s = slot(), n = rng.size(30000, 0x100000000, 0.02);
      twin.same(`reserveCredit(${s}, ${n})`, (c) => c.reserveCredit(s, n));
    } else if (op < 900) {
      const s = slot(), n = rng.size(20000, 0x100000000, 0.01);
      twin.same(`consumed(${s}, ${n})`, (c) => c.consumed(s, n));
    } else if (op < 930) {
      const s = slot();
      twin.same(`release(${s})`, (c) => c.release(s));
    } else if (op < 970) {
      const s = slot(), t = rng.chance(0.2) ? 0 : slot();
      twin.same(`setForward(${s}, ${t})`, (c) => c.setForward(s, t));
      if (rng.chance(0.5)) twin.same(`setForward(${t}, ${s})`, (c) => c.setForward(t, s)); // a relay pair
    } else if (op < 985) {
      if (rng.chance(0.5)) twin.same(`linkClose(${l})`, (c) => c.linkClose(l));
      open(l);
    } else {
      twin.same('usedSlots()', (c) => c.usedSlots());
      twin.same(`peerStreams(${l})`, (c) => c.peerStreams(l));
    }
  }

  const deadline = Date.now() + SECONDS * 1000;
  let i = 0;
  for (; i < MAX_ITER && Date.now() < deadline; i++) {
    twin.context = `seed ${seed}, iteration ${i}`;
    const l = rng.int(LINKS.length);
    const op = rng.int(1000);
    if (op < 430) {
      feed(l, peers[l].traffic(1 + rng.int(12)).bytes, 4);
    } else if (op < 440) {
      // More than IN_CAP in one chunk: the host splits it into several decode calls.
      const parts: Buffer[] = [];
      let n = 0;
      while (n < P.IN_CAP + 1000) { const b = peers[l].traffic(20).bytes; parts.push(b); n += b.length; }
      feed(l, Buffer.concat(parts), 0);
    } else if (op < 443) {
      // More frames than the descriptor table holds, in one chunk.
      feed(l, Buffer.concat(Array.from({ length: P.DESC_CAP + rng.int(300) }, () => frame(P.FRAME_PING, 0, rng.bytes(8)))), 0);
    } else {
      hostOp(l);
    }
  }
  twin.same('usedSlots()', (c) => c.usedSlots());
  console.log(`# ${i} operations, ${events} descriptors, ${encoded} encode requests, ${linkErrors} link errors compared`);
  assert.ok(i >= 300, `only ${i} operations ran in ${SECONDS} s`);
  assert.ok(events > 1000 && linkErrors > 0, 'the traffic exercised descriptors and link errors');
});

test.run();
