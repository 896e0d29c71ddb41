// Issue 10 #1 #11: a site's id is the hash of its identity key, made at `site create` (0600); a
// site without one (made by an earlier svcnet) or with a key of another id is refused with a
// one-line instruction; the server certificate names the site id in a URI SAN.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { createSite } from '../../control/site-setup.js';
import { SiteStore } from '../../control/state/site-store.js';
import { loadIdentity, IDENTITY_FILE } from '../../control/pki/site-identity.js';
import { renewServerCert } from '../../control/pki/rotation.js';
import { SiteIdentity, siteIdOf, isSiteId, baseSiteId, certSiteId } from '../../common/identity.js';
import { tempDir } from '../helpers/cli.js';

const root = tempDir();
test.after(() => fs.rmSync(root, { recursive: true, force: true }));

test('issue 10: site create derives the id from a fresh identity key stored 0600; certificates carry it', async () => {
  const dir = path.join(root, 'a');
  const cfg = await createSite(dir, 'alpha', { linkAccess: true, linkPort: 40011 });
  const store = new SiteStore(dir);
  const id = loadIdentity(store);
  assert.is(id.id, cfg.id);
  assert.ok(isSiteId(cfg.id));
  assert.is(siteIdOf(Buffer.from(id.pub, 'base64')), cfg.id);
  assert.is((fs.statSync(path.join(dir, 'pki', IDENTITY_FILE)).mode & 0o777).toString(8), '600');
  const san = new crypto.X509Certificate(store.readServerCert().cert).subjectAltName;
  assert.is(certSiteId(san), cfg.id);
  await renewServerCert(store);
  assert.is(certSiteId(new crypto.X509Certificate(store.readServerCert().cert).subjectAltName), cfg.id, 'a renewed server certificate keeps it');
});

test('issue 10: a site without an identity key, or with another site\'s key, is refused with what to do', async () => {
  const dir = path.join(root, 'b');
  await createSite(dir, 'bravo', { linkAccess: false });
  const store = new SiteStore(dir);
  const file = path.join(dir, 'pki', IDENTITY_FILE);
  const mine = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, SiteIdentity.generate().toPem());
  assert.throws(() => loadIdentity(store), /belongs to site id .* but site\.json says/);
  fs.rmSync(file);
  assert.throws(() => loadIdentity(store), /created by an earlier svcnet without an identity key .* re-create the site/);
  fs.writeFileSync(file, mine);
  assert.is(loadIdentity(store).id, store.readConfig().id);
});

const ids: { id: string; base: string | null }[] = [
  { id: '0123abcd-0123-4567-89ab-0123456789ab', base: '0123abcd-0123-4567-89ab-0123456789ab' },
  { id: '0123abcd-0123-4567-89ab-0123456789ab/r1', base: '0123abcd-0123-4567-89ab-0123456789ab' },
  { id: '0123abcd-0123-4567-89ab-0123456789ab/', base: null },
  { id: '0123abcd-0123-4567-89ab-0123456789ab/R1', base: null },
  { id: '0123ABCD-0123-4567-89ab-0123456789ab', base: null },
  { id: 'alpha', base: null },
  { id: '../../x', base: null },
];

for (const c of ids) {
  test(`issue 10 baseSiteId("${c.id}")`, () => assert.is(baseSiteId(c.id), c.base));
}

test.run();
