// Issue 11: listener/connector diff (bindings.ts) compares specs field by field: the same spec with
// its fields in another order (as a push may deliver it) keeps the running port or connector, and
// every real change replaces it. JSON.stringify, used before, was sensitive to key order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pino from 'pino';
import { Bindings, sameListener, sameConnector } from '../../dataplane/bindings.js';
import type { ListenerSpec, ConnectorSpec } from '../../dataplane/port/push.js';

const L: ListenerSpec = { name: 'l', routingKey: 'a', host: '127.0.0.1', port: 8080, mode: 'priority', keys: [{ key: 'a', weight: 1 }, { key: 'b', weight: 2 }], affinity: true };
const C: ConnectorSpec = { name: 'c', routingKey: 'a', host: '127.0.0.1', port: 9090 };
/** the same object with its keys in reverse order */
const reordered = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).reverse()) as T;

const listenerCases: [string, ListenerSpec, boolean][] = [
  ['same fields in another order', reordered(L), true],
  ['port', { ...L, port: 8081 }, false],
  ['host', { ...L, host: '0.0.0.0' }, false],
  ['routing key', { ...L, routingKey: 'b' }, false],
  ['mode', { ...L, mode: 'weighted' }, false],
  ['affinity off', { ...L, affinity: false }, false],
  ['affinity absent', { ...L, affinity: undefined }, false],
  ['a key\'s weight', { ...L, keys: [{ key: 'a', weight: 1 }, { key: 'b', weight: 3 }] }, false],
  ['key order (priority)', { ...L, keys: [{ key: 'b', weight: 2 }, { key: 'a', weight: 1 }] }, false],
  ['a key fewer', { ...L, keys: [{ key: 'a', weight: 1 }] }, false],
  ['keys absent', { ...L, keys: undefined }, false],
  ['weighted key with its fields reordered', { ...L, keys: [{ weight: 1, key: 'a' }, { weight: 2, key: 'b' }] }, true],
];
for (const [name, b, want] of listenerCases) test(`issue 11 sameListener: ${name} → ${want ? 'equal' : 'changed'}`, () => assert.is(sameListener(L, b), want));

const connectorCases: [string, ConnectorSpec, boolean][] = [
  ['same fields in another order', reordered(C), true],
  ['port', { ...C, port: 1 }, false],
  ['host', { ...C, host: 'db.local' }, false],
  ['routing key', { ...C, routingKey: 'b' }, false],
];
for (const [name, b, want] of connectorCases) test(`issue 11 sameConnector: ${name} → ${want ? 'equal' : 'changed'}`, () => assert.is(sameConnector(C, b), want));

function bindings() {
  let keysChanged = 0;
  const b = new Bindings({ onClient: () => {}, reachable: () => false, localKeysChanged: () => { keysChanged++; } }, pino({ level: 'silent' }));
  return { b, keysChanged: () => keysChanged };
}

test('issue 11 Bindings: a re-pushed listener with reordered fields keeps its port object; a changed one is replaced', () => {
  const { b } = bindings();
  b.setListeners([L]);
  const first = b.listenerPorts.get('l')!;
  first.flowsOpened = 7;
  b.setListeners([reordered(L)]);
  assert.is(b.listenerPorts.get('l'), first, 'kept, counters and all');
  b.setListeners([{ ...L, port: 8081 }]);
  assert.is.not(b.listenerPorts.get('l'), first);
  assert.is(b.listenerPorts.get('l')!.spec.port, 8081);
  b.setListeners([]);
  assert.is(b.listenerPorts.size, 0);
});

test('issue 11 Bindings: a re-pushed connector with reordered fields is not retired; a changed one drains', () => {
  const { b, keysChanged } = bindings();
  b.setConnectors([C]);
  const first = b.connectors.get('c')!;
  b.setConnectors([reordered(C)]);
  assert.is(b.connectors.get('c'), first);
  assert.not.ok(first.retired);
  b.setConnectors([{ ...C, port: 1 }]);
  assert.ok(first.retired, 'the old connector drains');
  assert.is(b.connectors.get('c')!.spec.port, 1);
  assert.equal(b.localKeys(), ['a']);
  assert.is(keysChanged(), 3, 'every push re-originates the site record');
});

test.run();
