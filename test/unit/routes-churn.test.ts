// Issue 10 review C: ROUTES churn must not recompute routes once per frame. A real Dataplane (the
// TypeScript core, no sockets) is fed ROUTES payloads through onRoutes from a fake linked peer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pino from 'pino';
import { Dataplane } from '../../dataplane/dataplane.js';
import { RECOMPUTE_MS, type RoutingNode } from '../../dataplane/routing-node.js';
import { TsCore } from '../../dataplane/core/ts-core.js';
import { SiteIdentity } from '../../common/identity.js';
import { recordBytes, type SiteRecord } from '../../dataplane/routing/site-record.js';
import type { Link } from '../../dataplane/link.js';

const WINDOW = 256 * 1024;
const me = SiteIdentity.generate();
const peer = SiteIdentity.generate();

function makeDp(sitesBurst = 256): Dataplane {
  return new Dataplane({
    siteId: me.id, siteName: 'me', identity: me, core: new TsCore(WINDOW), window: WINDOW, log: pino({ level: 'silent' }),
    routesBudget: { bytesBurst: 64 << 20, bytesPerMinute: 64 << 20, sitesBurst, sitesPerMinute: 64, dropsBurst: 1024, dropsPerMinute: 256 },
  });
}

/** Our own record links to `sites` (links count only when both ends report them). */
function linkTo(dp: Dataplane, sites: SiteIdentity[]): void {
  dp.lsdb.updateSelf(sites.map((s) => ({ peer: s.id, cost: 1 })), []);
}

/** A linked peer as onRoutes sees it (nothing is flooded: the data plane has no ready links). */
const from = { name: 'peer-link', peer: { siteId: peer.id, siteName: 'peer' }, goAway: () => { throw new Error('the peer must not be reset'); } } as unknown as Link;

function signed(by: SiteIdentity, seq: number, keys: string[], links: SiteRecord['links'] = [{ peer: me.id, cost: 1 }]): SiteRecord {
  const u = { id: by.id, name: 'x', seq, links, keys, pub: by.pub };
  return { ...u, sig: by.sign(recordBytes(u)) };
}
const frame = (r: SiteRecord) => Buffer.from(JSON.stringify([r]));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('issue 10 review C: 1,000 changed records of one origin in a burst cause a bounded number of route recomputations; the latest wins', async () => {
  const dp = makeDp();
  const origin = SiteIdentity.generate();
  linkTo(dp, [origin]);
  const seq0 = Date.now() * 1000;
  const v0 = dp.routes.version;
  const t0 = performance.now();
  for (let i = 0; i < 1000; i++) dp.onRoutes(from, frame(signed(origin, seq0 + i, [`k${i}`])));
  const sync = dp.routes.version - v0;
  assert.ok(sync <= 2, `${sync} recomputations during the burst (one per frame before the fix)`);
  assert.ok(dp.routes.keys.has('k0'), 'the first change is routed at once (failover latency)');
  await sleep(3 * 60_000 / 120 + 200); // a few refills of the origin's version rate (2/s)
  const total = dp.routes.version - v0;
  assert.ok(total <= 10, `${total} recomputations in all`);
  assert.ok(dp.routes.keys.has('k999'), 'the newest record held back is applied when the origin\'s rate allows');
  assert.is(dp.lsdb.all.get(origin.id)!.seq, seq0 + 999);
  assert.ok(dp.refusals.SVCNET_ERR_ROUTES_RATE! > 900, JSON.stringify(dp.refusals));
  assert.ok(performance.now() - t0 < 10_000);
  dp.shutdown();
});

test('issue 10 review C: changes from many sites within 50 ms are coalesced into one recomputation, none lost', async () => {
  const dp = makeDp(1000);
  const seq = Date.now() * 1000;
  const sites = Array.from({ length: 200 }, () => SiteIdentity.generate());
  linkTo(dp, sites);
  const v0 = dp.routes.version;
  for (const [i, s] of sites.entries()) dp.onRoutes(from, frame(signed(s, seq, [`svc-${i}`])));
  assert.ok(dp.routes.version - v0 <= 1, `${dp.routes.version - v0} recomputations during the burst`);
  await sleep(RECOMPUTE_MS + 50);
  assert.is(dp.routes.version - v0, 2, 'one immediate, one at the end of the interval');
  for (let i = 0; i < 200; i++) assert.ok(dp.routes.keys.has(`svc-${i}`), `svc-${i}`);
  // After a quiet interval, the next change is routed at once again. The interval is RECOMPUTE_MS or
  // four times the last recomputation's cost, whichever is longer (a loaded machine makes it longer).
  await sleep((dp as unknown as { routing: RoutingNode }).routing.quietMs + 10);
  dp.onRoutes(from, frame(signed(sites[0], seq + 1, ['svc-new'])));
  assert.ok(dp.routes.keys.has('svc-new'));
  dp.shutdown();
});

test.run();
