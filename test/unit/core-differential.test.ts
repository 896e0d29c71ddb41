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

test('issue 11: wasm core and TsCore agree while stream windows drain, grow and shrink (one fake clock)', () => {
  const seed = runSeed();
  console.log(`# seed ${seed} (replay: SVCNET_SEED=${seed} node dist/test/unit/core-differential.test.js)`);
  const rng = new Prng(seed);
  const CEIL = 4 << 20;
  const twin = new Twin(CEIL, `seed ${seed}`);
  twin.same('linkOpen(0)', (c) => c.linkOpen(0, false));
  // Four peer streams (odd ids: the peer dialed), each a sender that spends its credit in random
  // DATA frames; the host consumes what arrives at random moments; the clock moves by round trips,
  // pauses and idle spells. Grants go back as CREDIT through encode(), as the data plane does.
  const streams = [1, 3, 5, 7].map((id) => {
    const ev = twin.decode(0, frame(P.FRAME_OPEN, id, Buffer.from('{}')));
    assert.is(ev[0][0], 'open');
    return { id, slot: ev[0][1] as number, allowed: CEIL, held: 0, phase: 'open' as 'open' | 'drained' | 'grown' | 'idle' };
  });
  // What the sender holds plus what the host still holds is the window in effect (to within the
  // grant being batched): at most the start window once drained, more only if the window grew.
  let maxAllowed = 0, grew = 0, shrankAfterIdle = 0;
  const deadline = Date.now() + SECONDS * 1000;
  for (let i = 0; i < 6000 && Date.now() < deadline; i++) {
    twin.context = `seed ${seed}, step ${i}`;
    const st = rng.pick(streams);
    const r = rng.int(100);
    if (r < 45 && st.allowed > 0) {
      const n = rng.chance(0.4) ? Math.min(st.allowed, P.MAX_DATA_FRAME) : 1 + rng.int(Math.min(st.allowed, 200_000));
      twin.decode(0, frame(P.FRAME_DATA, st.id, Buffer.alloc(n)));
      st.allowed -= n;
      st.held += n;
    } else if (r < 85 && st.held > 0) {
      const n = rng.chance(0.7) ? st.held : 1 + rng.int(st.held);
      st.held -= n;
      const g = twin.same(`consumed(${st.slot}, ${n})`, (c) => c.consumed(st.slot, n));
      if (g > 0) {
        twin.same(`queue(CREDIT ${st.slot} ${g})`, (c) => c.queue(P.FRAME_CREDIT, 0, 0, st.slot, 4, g));
        twin.encode();
        st.allowed += g;
      }
      const inEffect = st.allowed + st.held;
      if (st.phase === 'open' && inEffect <= P.WINDOW_START) st.phase = 'drained';
      else if (st.phase === 'drained' && inEffect > 2 * P.WINDOW_START) { st.phase = 'grown'; grew++; }
      else if (st.phase === 'idle' && inEffect <= P.WINDOW_START) { st.phase = 'drained'; shrankAfterIdle++; }
    } else {
      const dt = rng.pick([1, 40, 300, 2000, 30_000, 300_000, P.WINDOW_IDLE_US + 5]);
      twin.now = (twin.now + dt) >>> 0;
      if (dt > P.WINDOW_IDLE_US) for (const x of streams) if (x.phase === 'grown') x.phase = 'idle';
    }
    maxAllowed = Math.max(maxAllowed, st.allowed);
  }
  console.log(`# ${grew} windows grew past twice the start window, ${shrankAfterIdle} were back at the start window after an idle spell`);
  assert.ok(maxAllowed <= CEIL, 'never more credit than the HELLO window');
  assert.ok(grew > 0, 'some window grew past twice the start window after the first drain');
  assert.ok(shrankAfterIdle > 0, 'some grown window was back at the start window after an idle spell');
});

test.run();
