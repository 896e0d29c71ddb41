// Issue 13 step 1: the `type` of listeners and connectors (tcp, http1, http2) in svcnet YAML, in
// Skupper v2 documents (spec.type, and a Listener's spec.observer), through the desired state into the
// push (checked by the engine's push validation), and compared by the bindings diff.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseManifests, loadDocuments, ManifestError } from '../../control/resources/yaml-loader.js';
import { validateConnector } from '../../control/resources/connector.js';
import { validateListener } from '../../control/resources/listener.js';
import { desiredState } from '../../control/xds/snapshot.js';
import { validatePush } from '../../dataplane/xds/validate.js';
import { sameConnector, sameListener } from '../../dataplane/bindings.js';
import { fromResponse, toResponse } from '../../control/xds/wire.js';

const load = (text: string) => loadDocuments(parseManifests([{ source: 'f.yaml', text }]));
const doc = (kind: string, spec: string, api = 'svcnet.io/v1') => `apiVersion: ${api}\nkind: ${kind}\nmetadata: {name: web}\nspec: ${spec}\n`;
const specOf = (text: string) => load(text).resources[0].doc.spec as { type: string };

test('issue 13: type is tcp by default and takes http1 and http2, on listeners and connectors', () => {
  for (const kind of ['Listener', 'Connector']) {
    assert.is(specOf(doc(kind, '{routingKey: web, port: 8080}')).type, 'tcp');
    for (const t of ['tcp', 'http1', 'http2']) assert.is(specOf(doc(kind, `{routingKey: web, port: 8080, type: ${t}}`)).type, t);
  }
});

test('issue 13: an unknown type is refused naming spec.type and the allowed values', () => {
  for (const kind of ['Listener', 'Connector']) {
    for (const bad of ['udp', 'HTTP1', 'http', '1']) {
      try { load(doc(kind, `{routingKey: web, port: 8080, type: ${bad}}`)); assert.unreachable(`${kind} type ${bad} accepted`); } catch (err) {
        assert.instance(err, ManifestError);
        assert.is((err as ManifestError).field, 'spec.type');
        assert.match((err as Error).message, /spec\.type: must be tcp, http1, http2/);
      }
    }
  }
});

test('issue 13: Skupper v2 spec.type and Listener spec.observer map onto the type', () => {
  const sk = (kind: string, spec: string) => load(doc(kind, spec, 'skupper.io/v2alpha1'));
  assert.is((sk('Listener', '{routingKey: web, port: 80, type: tcp, observer: http1}').resources[0].doc.spec as { type: string }).type, 'http1');
  assert.is((sk('Listener', '{routingKey: web, port: 80, observer: http2}').resources[0].doc.spec as { type: string }).type, 'http2');
  const none = sk('Listener', '{routingKey: web, port: 80, observer: none}');
  assert.is((none.resources[0].doc.spec as { type: string }).type, 'tcp');
  assert.equal(none.warnings, [], 'observer none is what svcnet does for tcp: nothing ignored');
  const auto = sk('Listener', '{routingKey: web, port: 80, observer: auto}');
  assert.is((auto.resources[0].doc.spec as { type: string }).type, 'tcp');
  assert.match(auto.warnings.join('\n'), /spec\.observer \(auto\)/, 'protocol detection is not done: said so');
  assert.is((sk('Connector', '{routingKey: web, port: 80, type: http1}').resources[0].doc.spec as { type: string }).type, 'http1');
  assert.throws(() => sk('Listener', '{routingKey: web, port: 80, type: udp, observer: http1}'), /spec\.type: must be tcp, http1, http2/);
});

test('issue 13: the type reaches the push, survives the router wire, and the engine checks it', () => {
  const l = validateListener({ apiVersion: 'svcnet.io/v1', kind: 'Listener', metadata: { name: 'web' }, spec: { routingKey: 'web', port: 8080, type: 'http1' } });
  const c = validateConnector({ apiVersion: 'svcnet.io/v1', kind: 'Connector', metadata: { name: 'web' }, spec: { routingKey: 'web', port: 80, type: 'http2' } });
  const { state } = desiredState({ listeners: [l], connectors: [c], links: [], credentials: new Map(), exposes: () => true });
  assert.is(state.listeners[0].type, 'http1');
  assert.is(state.connectors[0].type, 'http2');
  const accepted = { server: [], admission: [], certificates: [], links: [], listeners: [], connectors: [] };
  const push = { type: 'listeners' as const, version: '1', nonce: 'n', resources: state.listeners };
  assert.is(validatePush(push, accepted), null);
  assert.equal((fromResponse(toResponse(push, { routerId: 'r', routerName: 'r' })).resources[0] as { type?: string }).type, 'http1');
  assert.match(validatePush({ ...push, resources: [{ ...state.listeners[0], type: 'gopher' as 'tcp' }] }, accepted) ?? '', /listener web: unknown type "gopher"/);
  assert.match(validatePush({ type: 'connectors', version: '1', nonce: 'n', resources: [{ ...state.connectors[0], type: 'x' as 'tcp' }] }, accepted) ?? '', /connector web: unknown type "x"/);
  assert.is(validatePush({ type: 'connectors', version: '1', nonce: 'n', resources: [{ ...state.connectors[0], type: undefined }] }, accepted), null, 'absent is tcp (an older controller)');
});

test('issue 13: a changed type makes the bindings reopen the listener or connector', () => {
  const l = { name: 'web', routingKey: 'web', host: '0.0.0.0', port: 1, type: 'tcp' as const };
  assert.ok(sameListener(l, { ...l }));
  assert.not.ok(sameListener(l, { ...l, type: 'http1' }));
  const c = { name: 'web', routingKey: 'web', host: '127.0.0.1', port: 1, type: 'tcp' as const };
  assert.not.ok(sameConnector(c, { ...c, type: 'http2' }));
});

test.run();
