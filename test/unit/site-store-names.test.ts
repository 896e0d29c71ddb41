// Issue 10 #5: every SiteStore method that joins a caller's name into a path refuses names that
// would leave their folder, before any I/O; the CA, site.json, revoked.json and policy.json survive;
// symlinks planted in the directory do not lead reads or removals outside it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { createSite } from '../../control/site-setup.js';
import { SiteStore, type ResourceKind } from '../../control/state/site-store.js';
import { isSafeName, assertInside } from '../../control/state/safe-name.js';
import { tempDir } from '../helpers/cli.js';

const root = tempDir();
const dir = path.join(root, 'site');
const victim = path.join(root, 'victim');
let store: SiteStore;
test.after(() => fs.rmSync(root, { recursive: true, force: true }));

const BAD = ['../x', '..', '.', 'a/b', '/etc/passwd', `${root}/victim`, 'a\0b', '', '../../pki/ca', '../../site', '../../pki/revoked', '../../pki/policy', '../../../victim', '.hidden', 'x'.repeat(201)];

/** Every file under `d` with its content. */
function snapshot(d: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (x: string) => { for (const e of fs.readdirSync(x, { withFileTypes: true })) { const p = path.join(x, e.name); if (e.isDirectory()) walk(p); else out[path.relative(d, p)] = e.isSymbolicLink() ? `-> ${fs.readlinkSync(p)}` : fs.readFileSync(p, 'utf8'); } };
  walk(d);
  return out;
}

test.before(async () => {
  await createSite(dir, 'east', { linkAccess: true, linkPort: 45100 });
  store = SiteStore.open(dir);
  await store.writePkiFile('revoked.json', '[]\n');
  await store.writePkiFile('policy.json', '{"allowedPeers":null}\n');
  await store.put('Listener', 'web', { apiVersion: 'svcnet.io/v1', kind: 'Listener', metadata: { name: 'web' }, spec: { routingKey: 'web', port: 8080 } });
  await store.writeLinkCredentials('good', { key: 'k', cert: 'c', ca: 'ca' });
  fs.mkdirSync(victim);
  fs.writeFileSync(path.join(victim, 'credentials.json'), JSON.stringify({ key: 'VICTIM-KEY', cert: 'VICTIM-CERT', ca: 'VICTIM-CA' }));
  fs.writeFileSync(path.join(victim, 'x.json'), '{"secret":true}');
});

test('issue 10 #5: names that are one safe path component, and only those', () => {
  for (const ok of ['web', 'link-west', 'grant-0a1b2c3d', 'Old_Name.v2', 'a', 'x'.repeat(200)]) assert.ok(isSafeName(ok), ok);
  for (const bad of BAD) assert.not.ok(isSafeName(bad), JSON.stringify(bad));
  for (const bad of [undefined, null, 5, {}]) assert.not.ok(isSafeName(bad));
});

test('issue 10 #5: every path-taking SiteStore method refuses traversal, absolute, NUL and dot names; nothing changes or is read', async () => {
  const before = snapshot(dir);
  const victimBefore = snapshot(victim);
  const kinds: ResourceKind[] = ['Listener', 'Connector', 'Link', 'AccessGrant', 'AccessToken'];
  for (const bad of BAD) {
    const calls: [string, () => unknown][] = [
      ...kinds.flatMap((k): [string, () => unknown][] => [
        [`get ${k}`, () => store.get(k, bad)],
        [`put ${k}`, () => store.put(k, bad, { metadata: { name: bad } })],
        [`delete ${k}`, () => store.delete(k, bad)],
        [`commit put ${k}`, () => store.commit([{ kind: 'Listener', name: 'fine', doc: {} }, { kind: k, name: bad, doc: {} }])],
        [`commit remove ${k}`, () => store.commit([{ kind: k, name: bad, remove: true }, { kind: 'Listener', name: 'web', remove: true }])],
      ]),
      ['readLinkCredentials', () => store.readLinkCredentials(bad)],
      ['writeLinkCredentials', () => store.writeLinkCredentials(bad, { key: 'k', cert: 'c', ca: 'ca' })],
      ['deleteLinkCredentials', () => store.deleteLinkCredentials(bad)],
      ['readPkiFile', () => store.readPkiFile(bad)],
      ['writePkiFile', () => store.writePkiFile(bad, 'x')],
      ['deletePkiFile', () => store.deletePkiFile(bad)],
    ];
    for (const [what, call] of calls) {
      let threw = false;
      try { await call(); } catch { threw = true; }
      assert.ok(threw, `${what}(${JSON.stringify(bad)}) must be refused`);
    }
  }
  // An unknown kind is no path either.
  assert.throws(() => store.get('../../pki' as ResourceKind, 'ca'), /unknown resource kind/);
  assert.throws(() => store.list('..' as ResourceKind), /unknown resource kind/);
  assert.equal(snapshot(dir), before, 'nothing in the site directory may change');
  assert.equal(snapshot(victim), victimBefore, 'nothing beside it may change');
  assert.ok(fs.existsSync(path.join(dir, 'pki', 'ca.json')) && fs.existsSync(path.join(dir, 'site.json')));
  assert.ok(fs.existsSync(path.join(dir, 'pki', 'revoked.json')) && fs.existsSync(path.join(dir, 'pki', 'policy.json')));
  assert.is(store.readCa().key.includes('PRIVATE KEY'), true);
});

test('issue 10 #5: symlinks planted in the directory do not lead reads or removals outside it', async () => {
  fs.symlinkSync(victim, path.join(dir, 'links', 'evil'));
  fs.mkdirSync(path.join(dir, 'resources', 'Connector'), { recursive: true });
  fs.symlinkSync(path.join(victim, 'x.json'), path.join(dir, 'resources', 'Connector', 'leak.json'));
  const victimBefore = snapshot(victim);
  assert.throws(() => store.readLinkCredentials('evil'), /outside the site directory/);
  await store.deleteLinkCredentials('evil').then(() => assert.unreachable('removal through a symlink that leads outside'), (err: Error) => assert.match(err.message, /outside the site directory/));
  await store.writeLinkCredentials('evil', { key: 'k', cert: 'c', ca: 'ca' }).then(() => assert.unreachable('write through a symlink'), () => {});
  assert.throws(() => store.get('Connector', 'leak'), /outside the site directory/);
  assert.not.ok(store.list('Connector').some((d) => (d as { secret?: boolean }).secret), 'list does not read through it');
  await store.delete('Connector', 'leak').then(() => assert.unreachable('delete through a symlink'), () => {});
  assert.equal(snapshot(victim), victimBefore);
  // A symlink whose target stays inside is only ever unlinked, never followed out.
  fs.symlinkSync(path.join(dir, 'links', 'good'), path.join(dir, 'links', 'alias'));
  assert.equal(store.readLinkCredentials('alias'), store.readLinkCredentials('good'));
  await store.deleteLinkCredentials('alias');
  assert.ok(fs.existsSync(path.join(dir, 'links', 'good', 'credentials.json')));
  assert.throws(() => assertInside(dir, dir), /outside/);
});

test('issue 10 #5: state with other safe names (written by hand) is still listed, read and deleted', async () => {
  fs.writeFileSync(path.join(dir, 'resources', 'Connector', 'Old_Name.v2.json'), JSON.stringify({ metadata: { name: 'Old_Name.v2' }, spec: {} }));
  assert.ok(store.list('Connector').some((d) => (d as { metadata: { name: string } }).metadata.name === 'Old_Name.v2'));
  assert.ok(store.get('Connector', 'Old_Name.v2'));
  assert.is(await store.delete('Connector', 'Old_Name.v2'), true);
  assert.is(await store.delete('Listener', 'web'), true);
});

test.run();
