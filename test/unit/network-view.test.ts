// Issue 15: `network status` shows listeners and the connectors of every routing key; a remote
// connector is "site (cost N)", never empty fields; a connector withheld by policy says so.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { networkDocument, networkTables } from '../../control/cli/network-view.js';
import { statusOf } from '../../control/api/status.js';
import type { Network } from '../../control/api/types.js';
import type { RuntimeStatus } from '../../control/state/site-store.js';

const net: Network = {
  siteId: 'id-edge', siteName: 'edge',
  sites: [
    { id: 'id-edge', name: 'edge', reachable: true, cost: 0, links: [{ peerId: 'id-east', peerName: 'east', cost: 1 }], routingKeys: ['db'] },
    { id: 'id-east', name: 'east', reachable: true, cost: 2, links: [{ peerId: 'id-edge', peerName: 'edge', cost: 1 }], routingKeys: ['hello'] },
  ],
  services: [
    { routingKey: 'db', listeners: [], connectors: [{ site: 'edge', cost: 0, name: 'pg', host: '127.0.0.1', port: 5432, ready: false }] },
    { routingKey: 'hello', listeners: [{ site: 'edge', name: 'hello', host: '127.0.0.1', port: 9091, state: 'ready' }], connectors: [{ site: 'east', cost: 2, name: '', host: '', port: 0, ready: true }] },
  ],
};

test('issue 15: remote connectors carry what is known of them, not empty names and ports', () => {
  const doc = networkDocument(net);
  assert.equal(doc.services[1].connectors, [{ site: 'east', cost: 2, remote: true }]);
  assert.equal(doc.services[0].connectors, [{ site: 'edge', cost: 0, name: 'pg', host: '127.0.0.1', port: 5432, ready: false }]);
  assert.equal(doc.services[1].listeners, [{ site: 'edge', name: 'hello', host: '127.0.0.1', port: 9091, state: 'ready' }]);
  assert.is(doc.sites[0].cost, 0);
});

test('issue 15: the table lists every routing key with its listeners and connectors', () => {
  const [sites, services] = networkTables(net);
  assert.equal(sites.rows[0], ['edge (this site)', 0, 'east(1)', 'db']);
  assert.equal(services.headers, ['ROUTING KEY', 'LISTENERS (this site)', 'CONNECTORS']);
  assert.equal(services.rows, [
    ['db', '-', 'pg -> 127.0.0.1:5432 not ready (this site)'],
    ['hello', 'hello 127.0.0.1:9091 ready', 'east (cost 2)'],
  ]);
});

test('issue 15: this site\'s links come last, a refused one with why', () => {
  const refused = 'refused: certificate revoked by site east (revoked); not redialing until this link\'s credentials change';
  const withLinks: Network = { ...net, links: [{ name: 'link-east', direction: 'outbound', peerSite: '', ready: false, state: 'revoked', message: refused, cost: 1 }] };
  const tables = networkTables(withLinks);
  assert.is(tables.length, 3);
  assert.equal(tables[2].headers, ['LINK', 'DIRECTION', 'PEER', 'STATUS', 'MESSAGE']);
  assert.equal(tables[2].rows, [['link-east', 'outbound', '-', 'revoked', refused]]);
  assert.equal(networkDocument(withLinks).links, [{ name: 'link-east', direction: 'outbound', peer: '', state: 'revoked', message: refused }]);
  assert.is(networkTables(net).length, 2, 'no links, no table');
});

test('issue 15: a connector withheld by the policy says so instead of "pending / not applied yet"', () => {
  const rt = { pid: 1, connectors: [], listeners: [], links: [], network: { sites: [] } } as unknown as RuntimeStatus;
  const doc = { metadata: { name: 'secret' }, spec: { routingKey: 'secret', host: '127.0.0.1', port: 1 } };
  const withheld = statusOf('Connector', doc, rt, { exposed: (k) => k !== 'secret' });
  assert.is(withheld.state, 'withheld');
  assert.match(withheld.message, /routing key secret is not exposed by this site's policy/);
  assert.is(withheld.ready, false);
  assert.is(statusOf('Connector', doc, rt, { exposed: () => true }).state, 'pending', 'exposed but not applied yet: pending');
});

test.run();
