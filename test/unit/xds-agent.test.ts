// The data-plane side of the push: validatePush as a table of refusals, and the agent's ACK/NACK
// logic on a stand-in data plane (a refused push changes nothing; the last good state stays).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pino from 'pino';
import { createCa, issueLeaf } from '../../control/pki/ca.js';
import { validatePush } from '../../dataplane/xds/validate.js';
import { DataplaneAgent } from '../../dataplane/xds/agent.js';
import type { Dataplane } from '../../dataplane/dataplane.js';
import type { Push, SecretResource } from '../../dataplane/port/push.js';

const log = pino({ level: 'silent' });
const L = (name: string, port: number) => ({ name, routingKey: 'k', host: '127.0.0.1', port });
const C = (name: string, port: number) => ({ name, routingKey: 'k', host: '127.0.0.1', port });
const K = (name: string, secret: string, cost = 1) => ({ name, host: '127.0.0.1', port: 1, cost, secret });
const PEM = { key: '-----BEGIN PRIVATE KEY-----\nx', cert: '-----BEGIN CERTIFICATE-----\nx', ca: ['-----BEGIN CERTIFICATE-----\nx'] };
const push = (type: Push['type'], resources: unknown[], version = '1'): Push => ({ type, version, nonce: `n${version}`, resources } as Push);

const refusals: [string, Push, string | null][] = [
  ['good listeners', push('listeners', [L('a', 80), L('b', 81)]), null],
  ['listener port 0', push('listeners', [L('a', 0)]), 'listener a: port 0 is outside 1..65535'],
  ['listener port 70000', push('listeners', [L('a', 70000)]), 'listener a: port 70000 is outside 1..65535'],
  ['duplicate listener', push('listeners', [L('a', 80), L('a', 81)]), 'listeners a: duplicate name'],
  ['connector without host', push('connectors', [{ ...C('c', 80), host: '' }]), 'connector c: host and routing key are required'],
  ['link with an unknown credential', push('links', [K('to-b', 'link/nope')]), 'link to-b: unknown link credential "link/nope" (not in the accepted certificates)'],
  ['link with a known credential', push('links', [K('to-b', 'link/ok')]), null],
  ['link cost 0', push('links', [K('to-b', 'link/ok', 0)]), 'link to-b: cost must be positive'],
  ['secret that is not PEM', push('certificates', [{ ...PEM, name: 's', key: 'hello' }]), 'secret s: key is not a PEM private key'],
  ['secret without CA', push('certificates', [{ ...PEM, name: 's', ca: [] }]), 'secret s: no trusted CA'],
  ['missing version', push('listeners', [], ''), 'listeners: missing version'],
  ['unknown type', push('routes' as Push['type'], []), 'unknown resource type "routes"'],
];
for (const [name, p, want] of refusals) test(`validatePush: ${name}`, () => assert.is(validatePush(p, { certificates: [{ name: 'link/ok', ...PEM }] }), want));

/** A data plane that records what it was told. */
function fakeDp() {
  const calls: { listeners: unknown[][]; connectors: unknown[][] } = { listeners: [], connectors: [] };
  const dp = { setListeners: (s: unknown[]) => calls.listeners.push(s), setConnectors: (s: unknown[]) => calls.connectors.push(s), attachLink: () => undefined, once: () => dp, on: () => dp, off: () => dp };
  return { dp: dp as unknown as Dataplane, calls };
}

test('agent: ACK applies; NACK keeps the last good state, answers with the kept version and is reported', () => {
  const { dp, calls } = fakeDp();
  const agent = new DataplaneAgent(dp, { log });
  const nacks: unknown[] = [];
  agent.on('nack', (a) => nacks.push(a));
  assert.equal(agent.apply(push('listeners', [L('a', 80)], '1')), { type: 'listeners', version: '1', nonce: 'n1' });
  assert.equal(calls.listeners, [[L('a', 80)]]);
  const nack = agent.apply(push('listeners', [L('a', 80), L('b', 0)], '2'));
  assert.equal(nack, { type: 'listeners', version: '1', nonce: 'n2', error: 'listener b: port 0 is outside 1..65535' });
  assert.is(calls.listeners.length, 1, 'the refused push was not applied');
  assert.is(nacks.length, 1);
  const st = agent.status().listeners;
  assert.equal([st.version, st.refused?.version, st.refused?.error], ['1', '2', 'listener b: port 0 is outside 1..65535']);
  // The same version again is acknowledged without applying it twice; a good push clears the refusal.
  agent.apply(push('listeners', [L('a', 80)], '1'));
  assert.is(calls.listeners.length, 1);
  assert.ok(agent.apply(push('listeners', [L('c', 90)], '3')).error === undefined);
  assert.equal(calls.listeners.at(-1), [L('c', 90)]);
  assert.is(agent.status().listeners.refused, undefined);
});

test('agent: listener offset (replica) moves ports, and a port pushed past 65535 by it is refused', () => {
  const { dp, calls } = fakeDp();
  const agent = new DataplaneAgent(dp, { log, listenerPortOffset: 1000 });
  assert.is(agent.apply(push('listeners', [L('a', 8080)])).error, undefined);
  assert.equal(calls.listeners, [[L('a', 9080)]]);
  assert.is(agent.apply(push('listeners', [L('a', 65000)], '2')).error, 'listener a: port 66000 is outside 1..65535');
  assert.equal(calls.listeners, [[L('a', 9080)]]);
  const quiet = new DataplaneAgent(fakeDp().dp, { log, listeners: false });
  assert.is(quiet.apply(push('listeners', [L('a', 80)])).error, undefined);
});

test('agent: links dial with their secret; a link naming a secret not accepted yet is NACKed; new credentials keep the dialer', async () => {
  const ca = await createCa('unit');
  const leaf = await issueLeaf(ca, { commonName: 'unit-link', client: true });
  const secret = (name: string, cert = leaf.cert): SecretResource => ({ name, key: leaf.key, cert, ca: [ca.cert] });
  const { dp } = fakeDp();
  const agent = new DataplaneAgent(dp, { log });
  try {
    assert.match(agent.apply(push('links', [K('to-b', 'link/b')])).error ?? '', /unknown link credential "link\/b"/);
    assert.is(agent.dialers.size, 0);
    assert.is(agent.apply(push('certificates', [secret('link/b')])).error, undefined);
    assert.is(agent.apply(push('links', [K('to-b', 'link/b')], '2')).error, undefined);
    const d = agent.dialers.get('to-b')!;
    assert.ok(d);
    const renewed = await issueLeaf(ca, { commonName: 'unit-link', client: true });
    assert.is(agent.apply(push('certificates', [{ ...secret('link/b'), key: renewed.key, cert: renewed.cert }], '2')).error, undefined);
    assert.is(agent.dialers.get('to-b'), d, 'credentials-only change keeps the dialer');
    assert.is(d.target.tls.cert, renewed.cert);
    assert.is(agent.apply(push('links', [], '3')).error, undefined);
    assert.is(agent.dialers.size, 0);
    assert.is(d.status, 'stopped');
  } finally { agent.stop(); }
});

test.run();
