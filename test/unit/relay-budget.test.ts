// Issue 10 review: what relays and refused OPENs may cost a site, on a real Dataplane with the TS core
// and fake links (frames in through core.decode, frames out parsed from the outbox): relays are
// charged to their inbound link and never eat the slots kept for listeners; only malformed OPENs
// cost a link its GOAWAY budget.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pino from 'pino';
import * as P from '../../wasm/assembly/protocol.js';
import { TsCore } from '../../dataplane/core/ts-core.js';
import { Dataplane } from '../../dataplane/dataplane.js';
import { LinkState } from '../../dataplane/link.js';
import { LINK_LIMITS, LinkBudget } from '../../dataplane/link-budget.js';
import { SiteIdentity } from '../../common/identity.js';
import type { RouteTable } from '../../dataplane/routing/route-table.js';
import { frame, type Frame } from '../helpers/link-peer.js';

const WINDOW = 256 * 1024;

/** A link as the data plane sees it: a decode sink in, a frame writer out; records what it is sent. */
class FakeLink {
  state = LinkState.Ready;
  readonly budget: LinkBudget;
  readonly sent: Frame[] = [];
  goAways: string[] = [];
  congested = false;
  private nextId = 1;

  constructor(private readonly dp: Dataplane, readonly index: number, siteId: string, limits: Partial<Record<keyof typeof LINK_LIMITS, number>> = {}) {
    this.budget = new LinkBudget(Date.now(), { ...LINK_LIMITS, ...limits } as typeof LINK_LIMITS);
    this.peer = { siteId, siteName: `peer-${index}`, cost: 1, window: WINDOW };
    dp.core.linkOpen(index, false);
    dp.core.linkSetPeerWindow(index, WINDOW);
    (dp.links as unknown[])[index] = this;
  }
  readonly peer: { siteId: string; siteName: string; cost: number; window: number };
  get name(): string { return this.peer.siteName; }

  /** The peer sends these bytes; the site decodes them and flushes its answers. */
  receive(bytes: Buffer): void {
    this.dp.core.decode(this.index, bytes, this);
    this.dp.outbox.flush();
  }
  /** `n` OPENs with this body, in one chunk; returns their stream ids (the peer dialed: odd). */
  opens(n: number, body: string): number[] {
    const ids = Array.from({ length: n }, () => { const id = this.nextId; this.nextId += 2; return id; });
    this.receive(Buffer.concat(ids.map((id) => frame(P.FRAME_OPEN, id, body))));
    return ids;
  }
  resets(code?: number): Frame[] { return this.sent.filter((f) => f.type === P.FRAME_RESET && (code === undefined || f.payload.readUInt32BE(0) === code)); }

  // DecodeSink, as Link forwards it
  onData(slot: number, payload: Buffer): void { this.dp.onData(slot, payload); }
  onForward(target: number, payload: Buffer): void { this.dp.onForward(target, payload); }
  onOpen(slot: number, payload: Buffer): void { this.dp.onOpen(this as never, slot, payload); }
  onCredit(slot: number): void { this.dp.onCredit(slot); }
  onClose(slot: number, released: boolean): void { this.dp.onClose(slot, released); }
  onReset(slot: number, code: number): void { this.dp.onReset(slot, code); }
  onControl(): void {}
  onError(code: number, _offset: number, slot: number, rawId: number): void {
    if (slot !== 0) this.dp.onStreamError(this as never, slot, code);
    else if (rawId !== 0) this.dp.onRefusedOpen(this as never, rawId, code);
    else throw new Error(`link error ${code}`);
  }
  overBudget(kind: string): void { this.goAways.push(kind); this.state = LinkState.Closed; }
  goAway(): void {}

  // FrameWriter
  cork(): void {}
  uncork(): void {}
  whenDrained(): void {}
  write(chunk: Buffer): void {
    for (let off = 0; off + P.HEADER_SIZE <= chunk.length;) {
      const len = chunk.readUInt32BE(off);
      this.sent.push({ type: chunk[off + 4], flags: chunk[off + 5], stream: chunk.readUInt32BE(off + 8), payload: Buffer.from(chunk.subarray(off + P.HEADER_SIZE, off + P.HEADER_SIZE + len)) });
      off += P.HEADER_SIZE + len;
    }
  }
}

const self = SiteIdentity.generate();
const mallory = SiteIdentity.generate().id;
const far = SiteIdentity.generate().id; // a site reached through a link that never answers
const sites: Dataplane[] = [];

function site(): Dataplane {
  const dp = new Dataplane({ siteId: self.id, siteName: 'victim', identity: self, core: new TsCore(WINDOW), window: WINDOW, log: pino({ level: 'silent' }) });
  sites.push(dp);
  return dp;
}

/** Routes `dst` through the neighbour `nextHop` (what ROUTES from a mallory-controlled site would do). */
function route(dp: Dataplane, paths: Record<string, string>): void {
  dp.routes = { ...dp.routes, paths: new Map(Object.entries(paths).map(([dst, nextHop]) => [dst, { nextHop }])) } as unknown as RouteTable;
}

const body = (dst: string, key = 'k') => JSON.stringify({ key, dst, src: mallory });
let relays = 0;
const relayEnds = (dp: Dataplane) => dp.on('relay-end', () => { relays++; });

test.after(() => { for (const dp of sites) dp.shutdown(); });

test('issue 10 review A: an OPEN is never relayed back to the site it came from (nor to a router replica of it)', () => {
  const dp = site();
  const m = new FakeLink(dp, 0, mallory);
  const replica = new FakeLink(dp, 1, `${mallory}/r1`);
  route(dp, { [mallory]: mallory, [`${mallory}/r1`]: `${mallory}/r1` });
  m.opens(100, body(mallory));
  m.opens(100, body(`${mallory}/r1`));
  assert.is(m.resets(P.ERR_NO_ROUTE).length, 200, 'every OPEN reset with ERR_NO_ROUTE');
  assert.is(m.sent.filter((f) => f.type === P.FRAME_OPEN).length + replica.sent.filter((f) => f.type === P.FRAME_OPEN).length, 0, 'nothing relayed');
  assert.is(dp.core.usedSlots(), 0);
  assert.is(m.budget.relays, 0);
  assert.equal(m.goAways, []);
});

test('issue 10 review A: relays per inbound link are capped, and the count returns to 0 whichever side ends them', () => {
  const dp = site();
  relayEnds(dp);
  const m = new FakeLink(dp, 0, mallory, { relaysPerLink: 100 });
  const z = new FakeLink(dp, 1, far);
  route(dp, { [far]: far });
  const ids = m.opens(150, body(far));
  assert.is(z.sent.filter((f) => f.type === P.FRAME_OPEN).length, 100, 'relayed up to the cap');
  assert.is(m.resets(P.ERR_STREAM_QUOTA).length, 50, 'the rest refused with ERR_STREAM_QUOTA');
  assert.is(m.budget.relays, 100);
  assert.is(dp.core.usedSlots(), 200);
  // Mallory resets half its relayed streams, the far side resets the other half.
  const before = relays;
  m.receive(Buffer.concat(ids.slice(0, 50).map((id) => frame(P.FRAME_RESET, id, Buffer.from([0, 0, 0, P.ERR_ABORTED])))));
  const outIds = z.sent.filter((f) => f.type === P.FRAME_OPEN).map((f) => f.stream).slice(50);
  z.receive(Buffer.concat(outIds.map((id) => frame(P.FRAME_RESET, id, Buffer.from([0, 0, 0, P.ERR_ABORTED])))));
  assert.is(m.budget.relays, 0, 'relay count back to 0');
  assert.is(relays - before, 100, 'one relay-end per relay');
  assert.is(dp.core.usedSlots(), 0);
  // Room again: new relays are taken.
  m.opens(10, body(far));
  assert.is(m.budget.relays, 10);
});

test('issue 10 review A: four links of one certificate flooding relays to a silent site leave the reserve free; a local flow still opens', () => {
  const dp = site();
  const z = new FakeLink(dp, 0, far);
  route(dp, { [far]: far });
  const links = [1, 2, 3, 4].map((i) => new FakeLink(dp, i, mallory));
  for (const m of links) m.opens(P.MAX_PEER_STREAMS, body(far));
  const used = dp.core.usedSlots();
  const free = P.MAX_SLOTS - 1 - used;
  console.log(`# used ${used}, free ${free}; relays per link ${links.map((m) => m.budget.relays).join(' ')}`);
  assert.ok(free >= LINK_LIMITS.relayReserveSlots, `${free} free slots left (reserve ${LINK_LIMITS.relayReserveSlots})`);
  assert.ok(links.reduce((n, m) => n + m.resets(P.ERR_STREAM_QUOTA).length, 0) > 0, 'relays past the reserve refused with ERR_STREAM_QUOTA');
  assert.ok(z.sent.filter((f) => f.type === P.FRAME_OPEN).length >= 4096, 'relays below the reserve still work');
  assert.ok(dp.core.openStream(z.index) > 0, 'a local flow still gets a slot');
  for (const m of links) assert.equal(m.goAways, []);
});

test('issue 10 review B: OPENs refused for the OPEN rate or the stream quota get RESETs only, never a GOAWAY', () => {
  const dp = site();
  const z = new FakeLink(dp, 0, far);
  route(dp, { [far]: far });
  // A tiny refusal budget: the old code dropped the link after 100 refusals.
  const tight = { refusalsBurst: 100, refusalsPerSec: 1 };
  const rate = new FakeLink(dp, 1, SiteIdentity.generate().id, { ...tight, opensBurst: 50, opensPerSec: 1 });
  rate.opens(500, body(far));
  assert.ok(rate.resets(P.ERR_STREAM_QUOTA).length >= 400, `${rate.resets(P.ERR_STREAM_QUOTA).length} OPENs refused for the rate`);
  assert.equal(rate.goAways, [], 'no GOAWAY for the OPEN rate');
  assert.is(rate.state, LinkState.Ready);
  const hub = new FakeLink(dp, 2, SiteIdentity.generate().id, tight);
  hub.opens(P.MAX_PEER_STREAMS + 500, body(far));
  assert.ok(hub.resets(P.ERR_STREAM_QUOTA).length >= 500, `${hub.resets(P.ERR_STREAM_QUOTA).length} OPENs refused for the quota`);
  assert.equal(hub.goAways, [], 'no GOAWAY for the stream quota');
  assert.is(hub.state, LinkState.Ready);
  assert.ok(dp.stats.opensRefused >= 900, `stats.opensRefused ${dp.stats.opensRefused}`);
  assert.ok(z.sent.length > 0);
});

test('issue 10 review B: a flood of malformed OPENs still costs the link its GOAWAY budget', () => {
  const dp = site();
  const m = new FakeLink(dp, 0, mallory, { refusalsBurst: 100, refusalsPerSec: 1 });
  for (let i = 0; i < 5 && m.state === LinkState.Ready; i++) {
    m.opens(50, '{not json');
    m.opens(50, JSON.stringify({ key: 7, dst: far }));
  }
  assert.equal(m.goAways, ['malformed OPENs']);
  assert.ok(m.resets(P.ERR_BAD_STATE).length >= 100);
});

test.run();
