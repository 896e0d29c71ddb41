// Issue 10 #1 #10 #12: HELLO validation — identity proven by a signature bound to the TLS session
// and matching the certificate, our own id refused, window and cost bounded with clear reasons.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import * as P from '../../wasm/assembly/protocol.js';
import { validHello, helloProofBytes, type HelloContext } from '../../dataplane/hello.js';
import { SiteIdentity } from '../../common/identity.js';

const alice = SiteIdentity.generate();
const mallory = SiteIdentity.generate();
const me = SiteIdentity.generate();
const binding = randomBytes(32);

/** A HELLO from `by`, claiming `f.siteId` (default its own), proved for `bind`. */
function hello(by: SiteIdentity, f: Record<string, unknown> = {}, bind = binding): Record<string, unknown> {
  const siteId = (f.siteId as string | undefined) ?? by.id;
  const siteName = (f.siteName as string | undefined) ?? 'alice';
  return { version: P.PROTOCOL_VERSION, siteId, siteName, window: 4 << 20, cost: 1, pub: by.pub, proof: by.sign(helloProofBytes(siteId, siteName, bind)), ...f };
}

const ctx = (o: Partial<HelloContext> = {}): HelloContext => ({ selfId: me.id, binding, expect: {}, ...o });

const cases: { name: string; raw: () => unknown; ctx?: Partial<HelloContext>; code?: number; reason?: RegExp }[] = [
  { name: 'a genuine HELLO is taken', raw: () => hello(alice) },
  { name: 'a genuine HELLO matching the registry entry and the certificate SAN is taken', raw: () => hello(alice), ctx: { expect: { siteId: alice.id, siteName: 'alice' }, certSan: `URI:urn:svcnet:site:${alice.id}` } },
  { name: 'a router replica of the expected site is taken', raw: () => hello(alice, { siteId: `${alice.id}/r1`, siteName: 'alice/r1' }), ctx: { expect: { siteId: alice.id, siteName: 'alice' } } },
  { name: '#1: another site\'s id, proved with the claimer\'s own key', raw: () => hello(mallory, { siteId: alice.id }), code: P.ERR_PEER_IDENTITY, reason: /does not belong to site id/ },
  { name: '#1: another site\'s id and public key, signed by the claimer', raw: () => ({ ...hello(mallory, { siteId: alice.id }), pub: alice.pub }), code: P.ERR_PEER_IDENTITY, reason: /proof does not verify/ },
  { name: '#1: a proof replayed from another TLS session', raw: () => hello(alice, {}, randomBytes(32)), code: P.ERR_PEER_IDENTITY, reason: /proof does not verify/ },
  { name: '#1: a genuine identity that is not the one the certificate was issued to', raw: () => hello(mallory, { siteName: 'mallory' }), ctx: { expect: { siteId: alice.id, siteName: 'alice' } }, code: P.ERR_PEER_IDENTITY, reason: /issued to site alice/ },
  { name: '#1: the right id under another name', raw: () => hello(alice, { siteName: 'bob' }), ctx: { expect: { siteId: alice.id, siteName: 'alice' } }, code: P.ERR_PEER_IDENTITY, reason: /site name "bob"/ },
  { name: '#1: a certificate SAN naming another site', raw: () => hello(mallory), ctx: { certSan: `DNS:localhost, URI:urn:svcnet:site:${alice.id}` }, code: P.ERR_PEER_IDENTITY, reason: /certificate was issued to site/ },
  { name: '#12: our own id', raw: () => hello(me), code: P.ERR_PEER_IDENTITY, reason: /this site's own id/ },
  { name: '#12: window 2^40', raw: () => hello(alice, { window: 2 ** 40 }), code: P.ERR_BAD_STATE, reason: /window 1099511627776 is outside 1024\.\.16777216 bytes/ },
  { name: '#12: window 0 (the message names the window)', raw: () => hello(alice, { window: 0 }), code: P.ERR_BAD_STATE, reason: /window 0 is outside/ },
  { name: 'window as a string', raw: () => hello(alice, { window: '65536' }), code: P.ERR_BAD_STATE, reason: /window "65536"/ },
  { name: '#1: cost 0.001', raw: () => hello(alice, { cost: 0.001 }), code: P.ERR_BAD_STATE, reason: /cost 0\.001 is not an integer 1\.\.1000000/ },
  { name: '#10: cost as a string', raw: () => hello(alice, { cost: '1' }), code: P.ERR_BAD_STATE, reason: /cost "1" is not an integer/ },
  { name: '#10: cost -5', raw: () => hello(alice, { cost: -5 }), code: P.ERR_BAD_STATE, reason: /cost -5/ },
  { name: 'cost HTML', raw: () => hello(alice, { cost: '<img src=x onerror=alert(1)>' }), code: P.ERR_BAD_STATE, reason: /cost/ },
  { name: 'a siteId that is not a site id', raw: () => hello(alice, { siteId: '../../x' }), code: P.ERR_PEER_IDENTITY, reason: /not a site id/ },
  { name: 'another protocol version', raw: () => hello(alice, { version: 2 }), code: P.ERR_BAD_STATE, reason: /unsupported HELLO version 2/ },
  { name: 'not an object', raw: () => [1], code: P.ERR_BAD_STATE },
];

for (const c of cases) {
  test(`issue 10 HELLO: ${c.name}`, () => {
    const r = validHello(c.raw(), ctx(c.ctx));
    if (c.code === undefined) {
      assert.ok('hello' in r, JSON.stringify(r));
      return;
    }
    assert.ok('code' in r, 'must be refused');
    if (!('code' in r)) return;
    assert.is(r.code, c.code, r.reason);
    if (c.reason) assert.match(r.reason, c.reason);
  });
}

test.run();
