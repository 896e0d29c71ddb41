// Issue 12 item 2: the engine's traffic node with fake links and a fake clock — it floods its own
// summary to every ready link, floods a peer's new summary on to every link but the one it came
// from (unchanged), stays quiet on echoes, resets a peer that sent a forgery, and coalesces reports.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pino from 'pino';
import * as P from '../../wasm/assembly/protocol.js';
import { SiteIdentity } from '../../common/identity.js';
import { TrafficNode, REPORT_GAP_MS } from '../../dataplane/traffic/traffic-node.js';
import { decodeSummary, sealBody, summaryBody } from '../../dataplane/traffic/summary-codec.js';
import type { Link } from '../../dataplane/link.js';
import type { HeldTraffic } from '../../dataplane/port/traffic.js';

const me = SiteIdentity.generate();
const alice = SiteIdentity.generate();
const mallory = SiteIdentity.generate();
const T0 = 1_800_000_000_000;

function setup() {
  const clock = { t: T0 };
  const sent: [string, Buffer][] = [];
  const goAways: [string, number, string][] = [];
  const link = (name: string, peer: SiteIdentity) => ({ name, peer: { siteId: peer.id, siteName: name }, goAway: (code: number, reason: string) => goAways.push([name, code, reason]) }) as unknown as Link;
  const links = [link('alice', alice), link('bob', SiteIdentity.generate()), link('mallory', mallory)];
  const reports: HeldTraffic[][] = [];
  const refusals: Record<string, number> = {};
  const node = new TrafficNode({
    siteId: me.id, siteName: 'me', identity: me, log: pino({ level: 'silent' }), refusals, intervalMs: 60_000, now: () => clock.t,
    report: (h) => reports.push(h),
    net: {
      readyLinks: () => links, send: (l, p) => sent.push([l.name, p]), known: () => true, reachable: (id) => id === alice.id,
      own: () => ({ active: [], links: [{ name: 'alice', direction: 'outbound', status: 'ready', message: '', peer: 'alice', bytesIn: 10, bytesOut: 20 }] }),
    },
  });
  return { node, clock, sent, goAways, links, reports, refusals };
}

const aliceSummary = (seq: number, signer = alice) => sealBody(summaryBody({ origin: alice.id, name: 'alice', seq, intervalMs: 5000, keys: [], links: [], omitted: 0 }, signer.pub), (b) => signer.sign(b));

test('issue 12: our summary is signed, held, sent to every ready link and reported', () => {
  const { node, sent, reports } = setup();
  node.tick();
  node.stop();
  assert.equal(sent.map(([n]) => n), ['alice', 'bob', 'mallory']);
  const w = decodeSummary(sent[0][1])!;
  assert.equal([w.summary.origin, w.summary.name, w.summary.links[0].bytesOut], [me.id, 'me', 20]);
  assert.is(reports.length, 1);
  assert.equal(reports[0].map((h) => [h.self, h.reachable]), [[true, true]]);
});

test('issue 12: a peer\'s new summary goes on, unchanged, to every link but its sender; an echo goes nowhere', async () => {
  const { node, sent, links, reports, clock } = setup();
  const p = aliceSummary(T0);
  node.onTraffic(links[0], p);
  assert.equal(sent.map(([n]) => n), ['bob', 'mallory']);
  assert.ok(sent.every(([, b]) => b.equals(p)), 'forwarded byte for byte');
  node.onTraffic(links[1], p);
  assert.is(sent.length, 2, 'the copy that came back is not flooded again');
  assert.is(reports.length, 1, 'reported at once (no report before)');
  clock.t += 10; // a second new summary within the gap: reported later, once
  node.onTraffic(links[1], aliceSummary(T0 + 10));
  assert.is(reports.length, 1);
  await new Promise((r) => setTimeout(r, REPORT_GAP_MS + 50));
  clock.t += REPORT_GAP_MS;
  assert.is(reports.length, 2);
  assert.is(reports[1].find((h) => !h.self)!.summary.seq, T0 + 10);
  node.stop();
});

test('issue 12: a forged summary resets its sender, is counted, and is neither held nor flooded', () => {
  const { node, sent, goAways, links, refusals } = setup();
  node.onTraffic(links[2], aliceSummary(T0, mallory));
  node.stop();
  assert.equal(sent, []);
  assert.is(goAways.length, 1);
  assert.equal(goAways[0].slice(0, 2), ['mallory', P.ERR_ROUTES_BUDGET]);
  assert.match(goAways[0][2], /SVCNET_ERR_TRAFFIC_FORGED/);
  assert.is(refusals.SVCNET_ERR_TRAFFIC_FORGED, 1);
  assert.equal(node.held().filter((h) => !h.self), []);
});

test('issue 12: an oversized summary is dropped and counted; the sender stays linked', () => {
  const { node, sent, goAways, links, refusals } = setup();
  node.onTraffic(links[2], Buffer.alloc(40 * 1024));
  node.stop();
  assert.equal([sent.length, goAways.length, refusals.SVCNET_ERR_TRAFFIC_TOO_LARGE], [0, 0, 1]);
});

test.run();
