// Property (issue 10 #3): a frame the host queued for a stream goes out on that stream or not at all,
// whatever releases, reuses, peer RESETs, stream errors and mid-dispatch encodes happen in between.
// Random host and peer operations on each core; every encoded stream head is checked against the
// (link, stream id) its slot held when the request was queued. Bounded by MAX_OPS and SECONDS.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as P from '../../wasm/assembly/protocol.js';
import type { DecodeSink, ForwardingCore } from '../../dataplane/core/core.js';
import { loadCore } from '../../dataplane/core/wasm-core.js';
import { TsCore } from '../../dataplane/core/ts-core.js';
import { Prng, runSeed } from '../helpers/prng.js';
import { frame, u32 } from '../helpers/recording-sink.js';

const MAX_OPS = 30_000;
const SECONDS = 2;
const STREAM_TYPES = [P.FRAME_DATA, P.FRAME_CREDIT, P.FRAME_CLOSE, P.FRAME_RESET];

/** Runs the random walk on `core`; returns [stream frames sent, requests whose stream ended before the encode]. */
function walk(core: ForwardingCore, seed: number): [number, number] {
  const rng = new Prng(seed);
  core.linkOpen(0, true);
  core.linkOpen(1, false);
  const nextOurs = [1, 2];
  const nextPeer = [2, 1];
  /** slot -> the stream it holds, as the host believes: "link:id" */
  const owner = new Map<number, string>();
  const peerIds: [number, number][] = [];
  let queued: { slot: number; want: string | undefined }[] = [];
  let sent = 0, stale = 0;

  const give = (slot: number, link: number, id: number) => { owner.set(slot, `${link}:${id}`); };
  const queue = (slot: number) => {
    const type = rng.pick(STREAM_TYPES);
    const link = Number(owner.get(slot)?.split(':')[0] ?? rng.int(2));
    if (type === P.FRAME_DATA && core.reserveCredit(slot, 10) === 0) return;
    if (core.queue(type, 0, link, slot, type === P.FRAME_DATA ? 10 : 0, 1) < 0) encode();
    else queued.push({ slot, want: owner.get(slot) });
  };
  function encode(): void {
    const { heads, status, count } = core.encode();
    for (let i = 0; i < count; i++) {
      const q = queued[i];
      const st = status[i];
      if (q.want !== undefined && owner.get(q.slot) !== q.want) stale++; // released (maybe taken again) since it was queued
      if ((st & 0xff) !== 0) continue;
      const got = `${heads.readUInt32BE(i * P.OUT_STRIDE + 8) === 0 ? -1 : ''}${heads.readUInt32BE(i * P.OUT_STRIDE + 8)}`;
      assert.ok(q.want !== undefined, `a frame went out for slot ${q.slot}, which held no stream when it was queued (seed ${seed})`);
      assert.is(`${q.want!.split(':')[0]}:${got}`, q.want, `slot ${q.slot}: frame queued for ${q.want} went out for id ${got} (seed ${seed})`);
      sent++;
      if (st & P.ENC_RELEASED) owner.delete(q.slot);
    }
    queued = [];
  }
  const sink: DecodeSink = {
    onData() {}, onForward() {}, onCredit() {}, onControl() {},
    onOpen(slot, payload) {
      const [link, id] = payload.toString().split(':').map(Number);
      give(slot, link, id);
      if (rng.chance(0.3)) queue(slot);
    },
    onClose(slot, released) { if (released) owner.delete(slot); },
    onReset(slot) { owner.delete(slot); },
    onError(_code, _off, slot) {
      if (slot === 0) return;
      queue(slot);
      if (rng.chance(0.3)) { core.release(slot); owner.delete(slot); }
      if (rng.chance(0.2)) encode(); // a full request table flushes mid-dispatch
      if (rng.chance(0.3)) { const l = rng.int(2); const s = core.openStream(l); if (s) { give(s, l, nextOurs[l]); nextOurs[l] += 2; } }
    },
  };
  const deadline = Date.now() + SECONDS * 1000;
  for (let i = 0; i < MAX_OPS && Date.now() < deadline; i++) {
    const live = [...owner.keys()];
    const op = rng.int(100);
    if (op < 20) {
      const l = rng.int(2);
      const s = core.openStream(l);
      if (s) { give(s, l, nextOurs[l]); nextOurs[l] += 2; }
    } else if (op < 45) {
      // Peer frames on one link: new OPENs, RESETs and bad CREDITs of its streams, CLOSEs.
      const l = rng.int(2);
      const parts: Buffer[] = [];
      for (let k = 1 + rng.int(6); k > 0; k--) {
        const r = rng.int(10);
        if (r < 4 || peerIds.length === 0) { const id = nextPeer[l]; nextPeer[l] += 2; peerIds.push([l, id]); parts.push(frame(P.FRAME_OPEN, id, Buffer.from(`${l}:${id}`))); }
        else {
          const [pl, id] = rng.pick(peerIds);
          if (pl !== l) continue;
          parts.push(r < 6 ? frame(P.FRAME_CREDIT, id, u32(0xffffffff)) : r < 8 ? frame(P.FRAME_RESET, id, u32(0)) : frame(P.FRAME_CLOSE, id));
        }
      }
      core.decode(l, Buffer.concat(parts), sink);
    } else if (op < 75 && live.length > 0) {
      queue(rng.pick(live));
    } else if (op < 80 && live.length > 0) {
      queue(rng.int(40) + 1); // a slot that may hold nothing
    } else if (op < 88 && live.length > 0) {
      const s = rng.pick(live);
      core.release(s);
      owner.delete(s);
    } else {
      encode();
    }
  }
  encode();
  return [sent, stale];
}

test('issue 10 #3: queued stream frames go out on the stream they were queued for, or not at all (wasm and TypeScript cores)', () => {
  const seed = runSeed();
  console.log(`# seed ${seed} (replay: SVCNET_SEED=${seed} node dist/test/fuzz/core-slot-reuse.test.js)`);
  for (const [name, core] of [['wasm', loadCore(65536)], ['ts', new TsCore(65536)]] as const) {
    const [sent, stale] = walk(core, seed);
    console.log(`# ${name}: ${sent} stream frames sent; ${stale} requests outlived their stream before the encode`);
    assert.ok(sent > 500 && stale > 20, `${name}: only ${sent} frames sent, ${stale} stale requests`);
  }
});

test.run();
