// Issue 11: RoutingNode.pick (routing-node.ts) answers, from one route snapshot, the target of a new
// flow and either the next-hop link toward it or the local connector — as grpc-js tests its pickers:
// a fixed snapshot, fake links in the link table, a table of cases.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pino from 'pino';
import { TsCore } from '../../dataplane/core/ts-core.js';
import { Outbox } from '../../dataplane/outbox.js';
import { LinkTable } from '../../dataplane/link-table.js';
import { RoutingNode, type Pick } from '../../dataplane/routing-node.js';
import { LinkState } from '../../dataplane/link.js';
import { ConnectorTarget } from '../../dataplane/connector.js';
import { buildRouteTable } from '../../dataplane/routing/route-table.js';
import type { SiteRecord } from '../../dataplane/routing/site-record.js';
import { SiteIdentity } from '../../common/identity.js';

const log = pino({ level: 'silent' });
const me = SiteIdentity.generate();
// Site ids sort B < D, so equal-cost targets are listed B first.
const [B, C, D] = ['b0000000-0000-4000-8000-000000000000', 'c0000000-0000-4000-8000-000000000000', 'd0000000-0000-4000-8000-000000000000'];

const rec = (id: string, name: string, links: [string, number][], keys: string[]): SiteRecord =>
  ({ id, name, seq: 1, links: links.map(([peer, cost]) => ({ peer, cost })), keys, pub: '', sig: '' });

/** me — B (1) — C, and me — D (1); db here and at B, web at B and D, far only at C. */
const records = new Map<string, SiteRecord>([
  [me.id, rec(me.id, 'me', [[B, 1], [D, 1]], ['db'])],
  [B, rec(B, 'b', [[me.id, 1], [C, 1]], ['db', 'web', 'only-b'])],
  [C, rec(C, 'c', [[B, 1]], ['far'])],
  [D, rec(D, 'd', [[me.id, 1]], ['web'])],
]);

interface FakeLink { index: number; state: LinkState; peer: { siteId: string; cost: number } }

function makeNode(links: FakeLink[], connectors: ConnectorTarget[]) {
  const core = new TsCore(65536);
  const table = new LinkTable(core, new Outbox(core), { hello: { version: 1, siteId: me.id, siteName: 'me', window: 65536, pub: me.pub }, sign: () => '' }, log);
  for (const l of links) (table.links as unknown[])[l.index] = l;
  const node = new RoutingNode({ siteId: me.id, siteName: 'me', identity: me, log }, table, new Outbox(core), {
    localKeys: () => [], connectors: () => connectors, applied: () => {},
  });
  node.routes = buildRouteTable(me.id, records, 1);
  return node;
}

const link = (index: number, siteId: string, cost = 1, state = LinkState.Ready): FakeLink => ({ index, state, peer: { siteId, cost } });
const db = new ConnectorTarget({ name: 'db-1', routingKey: 'db', host: '127.0.0.1', port: 1 });

/** A pick as a short string: "remote C via link 1", "local db-1", "none", "none (target B)". */
function show(p: Pick): string {
  if (p.kind === 'remote') return `remote ${p.target.siteName} via link ${p.link.index}`;
  if (p.kind === 'local') return `local ${p.connector.spec.name}`;
  return p.target ? `none (target ${p.target.siteName})` : 'none';
}

const cases: { name: string; links: FakeLink[]; connectors?: ConnectorTarget[]; key: string; load?: Record<string, number>; hash?: number; want: string }[] = [
  { name: 'a key nobody serves', links: [link(0, B)], key: 'nope', want: 'none' },
  { name: 'a neighbour\'s key goes through the link to it', links: [link(0, D), link(3, B)], key: 'only-b', want: 'remote b via link 3' },
  { name: 'of two links to the neighbour, the cheaper', links: [link(0, B, 5), link(1, B, 2)], key: 'only-b', want: 'remote b via link 1' },
  { name: 'a site two hops away: the link to the first hop', links: [link(0, B), link(1, D)], key: 'far', want: 'remote c via link 0' },
  { name: 'the next hop\'s link is still in HELLO: routed, but no link now', links: [link(0, B, 1, LinkState.Hello)], key: 'only-b', want: 'none (target b)' },
  { name: 'a local connector wins over a remote one (cost 0)', links: [link(0, B)], connectors: [db], key: 'db', want: 'local db-1' },
  { name: 'routed here but no ready connector: no target to use', links: [link(0, B)], connectors: [], key: 'db', want: 'none (target me)' },
  { name: 'equal-cost targets: the one with fewer open flows', links: [link(0, B), link(1, D)], key: 'web', load: { [B]: 3, [D]: 0 }, want: 'remote d via link 1' },
  { name: 'equal-cost targets, equal load: the first listed', links: [link(0, B), link(1, D)], key: 'web', want: 'remote b via link 0' },
  { name: 'affinity: the client hash chooses among equal-cost targets, whatever the load', links: [link(0, B), link(1, D)], key: 'web', load: { [B]: 9 }, hash: 2, want: 'remote b via link 0' },
  { name: 'affinity: another hash, the other target', links: [link(0, B), link(1, D)], key: 'web', hash: 7, want: 'remote d via link 1' },
];

for (const c of cases) {
  test(`issue 11 RoutingNode.pick: ${c.name}`, () => {
    const node = makeNode(c.links, c.connectors ?? []);
    try {
      assert.is(show(node.pick(c.key, (s) => c.load?.[s] ?? 0, c.hash)), c.want);
    } finally {
      node.stop();
    }
  });
}

test('issue 11 RoutingNode.nextLink: a relay\'s next hop toward a site, or none', () => {
  const node = makeNode([link(0, B), link(1, D)], []);
  assert.is(node.nextLink(C)?.index, 0);
  assert.is(node.nextLink(D)?.index, 1);
  assert.is(node.nextLink('e0000000-0000-4000-8000-000000000000'), undefined);
  node.stop();
});

test.run();
