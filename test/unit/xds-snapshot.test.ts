// The control side of the xDS-style push: desired = f(resources) as a table of cases, versions
// that change only with content, and the publisher's ADS order, nonce matching and NACK records.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pino from 'pino';
import { desiredState, SnapshotVersions, secretName, type SnapshotInput } from '../../control/xds/snapshot.js';
import { SnapshotPublisher } from '../../control/xds/publisher.js';
import { validateListener } from '../../control/resources/listener.js';
import { validateConnector } from '../../control/resources/connector.js';
import { validateLink } from '../../control/resources/link.js';
import type { Push } from '../../dataplane/port/push.js';
import { RESOURCE_TYPES } from '../../control/xds/resource-types.js';

const log = pino({ level: 'silent' });
const tls = { key: 'K', cert: 'C', ca: ['CA'] };
const listener = (name: string, spec: Record<string, unknown>) => validateListener({ apiVersion: 'svcnet.io/v1', kind: 'Listener', metadata: { name }, spec });
const connector = (name: string, key: string, port: number) => validateConnector({ apiVersion: 'svcnet.io/v1', kind: 'Connector', metadata: { name }, spec: { routingKey: key, port } });
const link = (name: string, cred: string, port = 9000) => validateLink({ apiVersion: 'svcnet.io/v1', kind: 'Link', metadata: { name }, spec: { tlsCredentials: cred, endpoints: [{ host: '127.0.0.1', port }], cost: 2 } });
const input = (o: Partial<SnapshotInput>): SnapshotInput => ({ listeners: [], connectors: [], links: [], credentials: new Map(), exposes: () => true, ...o });

const cases: { name: string; in: SnapshotInput; want: (s: ReturnType<typeof desiredState>) => void }[] = [
  { name: 'nothing stored: every type empty', in: input({}), want: (r) => assert.equal(r.state, { server: [], admission: [], certificates: [], links: [], listeners: [], connectors: [] }) },
  { name: 'single-key listener', in: input({ listeners: [listener('web', { routingKey: 'web', port: 8080 })] }),
    want: (r) => assert.equal(r.state.listeners, [{ name: 'web', routingKey: 'web', host: '0.0.0.0', port: 8080, mode: 'single', keys: [{ key: 'web', weight: 1 }], affinity: false, type: 'tcp' }]) },
  { name: 'priority listener: first key shown, keys in priority order', in: input({ listeners: [listener('db', { port: 5432, strategy: { priority: { routingKeysByPriority: ['db-a', 'db-b'] } } })] }),
    want: (r) => { assert.is(r.state.listeners[0].routingKey, 'db-a'); assert.is(r.state.listeners[0].mode, 'priority'); assert.equal(r.state.listeners[0].keys!.map((k) => k.key), ['db-a', 'db-b']); } },
  { name: 'connectors the policy hides are left out', in: input({ connectors: [connector('a', 'open', 1), connector('b', 'secret', 2)], exposes: (k) => k !== 'secret' }),
    want: (r) => assert.equal(r.state.connectors.map((c) => c.name), ['a']) },
  { name: 'a link refers to its credentials by secret name', in: input({ links: [link('to-b', 'to-b')], credentials: new Map([['to-b', tls]]) }),
    want: (r) => { assert.equal(r.state.links, [{ name: 'to-b', host: '127.0.0.1', port: 9000, cost: 2, secret: secretName('to-b'), proxy: undefined }]); assert.equal(r.state.certificates, [{ name: 'link/to-b', ...tls }]); } },
  { name: 'two links sharing credentials: one secret', in: input({ links: [link('x', 'c'), link('y', 'c', 9001)], credentials: new Map([['c', tls]]) }),
    want: (r) => { assert.is(r.state.links.length, 2); assert.is(r.state.certificates.length, 1); } },
  { name: 'a link without credentials is left out and reported', in: input({ links: [link('lost', 'gone'), link('ok', 'c')], credentials: new Map([['c', tls]]) }),
    want: (r) => { assert.equal(r.state.links.map((l) => l.name), ['ok']); assert.equal(r.problems.map((p) => [p.kind, p.name]), [['Link', 'lost']]); } },
];
for (const c of cases) test(`desiredState: ${c.name}`, () => c.want(desiredState(c.in)));

test('versions change only for the types whose content changed', () => {
  const v = new SnapshotVersions();
  const a = v.next(desiredState(input({ listeners: [listener('web', { routingKey: 'web', port: 8080 })] })).state);
  assert.equal([a.certificates.version, a.links.version, a.listeners.version, a.connectors.version], ['1', '1', '1', '1']);
  const same = v.next(desiredState(input({ listeners: [listener('web', { routingKey: 'web', port: 8080 })] })).state);
  assert.is(same.listeners, a.listeners);
  const b = v.next(desiredState(input({ listeners: [listener('web', { routingKey: 'web', port: 8081 })], connectors: [connector('c', 'k', 1)] })).state);
  assert.equal([b.certificates.version, b.links.version, b.listeners.version, b.connectors.version], ['1', '1', '2', '2']);
  assert.is.not(b.listeners.nonce, a.listeners.nonce);
});

test('publisher: full push in ADS order on attach, then only changed types; answers matched by nonce', () => {
  const v = new SnapshotVersions();
  const p = new SnapshotPublisher(log);
  p.update(v.next(desiredState(input({})).state));
  const sent: Push[] = [];
  const detach = p.attach({ node: 'router:r1', types: RESOURCE_TYPES, send: (x) => sent.push(x) });
  assert.equal(sent.map((x) => x.type), ['certificates', 'links', 'listeners', 'connectors']);
  for (const x of sent) p.answer('router:r1', { type: x.type, version: x.version, nonce: x.nonce });
  assert.ok(p.status()[0].types.listeners!.acked === '1' && !p.status()[0].types.listeners!.pending);
  sent.length = 0;
  p.update(v.next(desiredState(input({ listeners: [listener('web', { routingKey: 'web', port: 8080 })] })).state));
  assert.equal(sent.map((x) => [x.type, x.version]), [['listeners', '2']]);
  // An answer to an older nonce is ignored; the NACK to the current one is recorded.
  p.answer('router:r1', { type: 'listeners', version: '1', nonce: 'stale', error: 'old news' });
  assert.is(p.status()[0].types.listeners!.pending, true);
  p.answer('router:r1', { type: 'listeners', version: '1', nonce: sent[0].nonce, error: 'listener web: port 70080 is outside 1..65535' });
  const s = p.status()[0].types.listeners!;
  assert.equal([s.sent, s.acked, s.pending, s.refused?.version, s.refused?.error], ['2', '1', false, '2', 'listener web: port 70080 is outside 1..65535']);
  assert.is(p.nacks, 1);
  detach();
  assert.equal(p.status(), []);
});

test.run();
