// The state directory: key and certificate stored as one file (never a new key beside an old
// certificate), durable async writes that leave no temp files, exclusive sections shared by every
// SiteStore of one directory, and sites written with the earlier one-file-per-PEM layout.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { SiteStore } from '../../control/state/site-store.js';
import { tempDir } from '../helpers/cli.js';

const root = tempDir();
test.after(() => fs.rmSync(root, { recursive: true, force: true }));

test('a key and its certificate are written together, 0600, with no temp file left behind', async () => {
  const s = new SiteStore(path.join(root, 'pair'));
  await s.writeServerCert({ key: 'KEY-1', cert: 'CERT-1' });
  await s.writeServerCert({ key: 'KEY-2', cert: 'CERT-2' });
  assert.equal(s.readServerCert(), { key: 'KEY-2', cert: 'CERT-2' });
  const files = fs.readdirSync(path.join(s.dir, 'pki'));
  assert.equal(files, ['server.json']);
  assert.is(fs.statSync(path.join(s.dir, 'pki', 'server.json')).mode & 0o777, 0o600);
  await s.writeLinkCredentials('l1', { key: 'k', cert: 'c', ca: 'ca', grantUrl: 'h:1' });
  assert.equal(s.readLinkCredentials('l1'), { key: 'k', cert: 'c', ca: 'ca', grantUrl: 'h:1' });
});

test('a damaged pair file is refused with its path, not read as empty credentials', async () => {
  const s = new SiteStore(path.join(root, 'bad'));
  await s.writePkiFile('ca.json', JSON.stringify({ key: 'only a key' }));
  assert.throws(() => s.readCa(), /ca\.json is not a key and certificate pair/);
});

test('exclusive sections of one directory run one at a time, across SiteStore objects, and a failure does not block the next', async () => {
  const dir = path.join(root, 'lock');
  const a = new SiteStore(dir);
  const b = new SiteStore(dir);
  const trace: string[] = [];
  const section = (s: SiteStore, name: string, fail = false) => s.exclusive(async () => {
    trace.push(`${name}+`);
    await new Promise((r) => setTimeout(r, 20));
    trace.push(`${name}-`);
    if (fail) throw new Error(`${name} failed`);
    return name;
  });
  const results = await Promise.allSettled([section(a, 'x'), section(b, 'y', true), section(a, 'z')]);
  assert.equal(trace, ['x+', 'x-', 'y+', 'y-', 'z+', 'z-']);
  assert.equal(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  // Another directory is not held up by this one.
  const other = new SiteStore(path.join(root, 'other'));
  let order = '';
  await Promise.all([a.exclusive(async () => { await new Promise((r) => setTimeout(r, 30)); order += 'a'; }), other.exclusive(() => { order += 'o'; })]);
  assert.is(order, 'oa');
});

test('delete says whether there was something to delete', async () => {
  const s = new SiteStore(path.join(root, 'del'));
  await s.put('Listener', 'l', { metadata: { name: 'l' } });
  assert.is(await s.delete('Listener', 'l'), true);
  assert.is(await s.delete('Listener', 'l'), false);
  assert.is(s.get('Listener', 'l'), undefined);
});

test('a batch is all or nothing across a crash: commit journals it, recover finishes it', async () => {
  const s = new SiteStore(path.join(root, 'batch'));
  await s.put('Listener', 'old', { metadata: { name: 'old' } });
  const [v1, v2] = await s.commit([{ kind: 'Listener', name: 'a', doc: { metadata: { name: 'a' } } }, { kind: 'Connector', name: 'b', doc: { metadata: { name: 'b' } } }, { kind: 'Listener', name: 'old', remove: true }]);
  assert.ok(Number(v2) > Number(v1));
  assert.is((s.get('Listener', 'a') as { metadata: { resourceVersion: string } }).metadata.resourceVersion, v1);
  assert.is(s.get('Listener', 'old'), undefined);
  assert.not.ok(fs.existsSync(path.join(s.dir, 'pending-batch.json')), 'no journal left after a commit');
  // A crash after the journal and the first write: the second resource and the removal are missing.
  const journal = [
    { kind: 'Listener', name: 'c', doc: { metadata: { name: 'c', resourceVersion: '900' } }, version: '900' },
    { kind: 'Listener', name: 'd', doc: { metadata: { name: 'd', resourceVersion: '901' } }, version: '901' },
    { kind: 'Connector', name: 'b', remove: true },
  ];
  fs.writeFileSync(path.join(s.dir, 'pending-batch.json'), JSON.stringify(journal));
  fs.writeFileSync(path.join(s.dir, 'resources', 'Listener', 'c.json'), JSON.stringify(journal[0].doc));
  assert.is(await new SiteStore(s.dir).recover(), true);
  assert.equal(s.get('Listener', 'd'), { metadata: { name: 'd', resourceVersion: '901' } });
  assert.is(s.get('Connector', 'b'), undefined);
  assert.is(await s.recover(), false, 'nothing left to finish');
  fs.writeFileSync(path.join(s.dir, 'pending-batch.json'), '[{"kind":');
  await s.recover().then(() => assert.unreachable('an unreadable journal must not be ignored'), (err: Error) => assert.match(err.message, /pending-batch\.json is unreadable/));
});

test('sites made with the earlier layout (separate .key and .crt files) are still read', () => {
  const dir = path.join(root, 'legacy');
  fs.mkdirSync(path.join(dir, 'pki'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'links', 'old'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'pki', 'ca.key'), 'CAKEY');
  fs.writeFileSync(path.join(dir, 'pki', 'ca.crt'), 'CACERT');
  for (const [f, v] of [['tls.key', 'K'], ['tls.crt', 'C'], ['ca.crt', 'A'], ['grant-url', 'h:2\n']]) fs.writeFileSync(path.join(dir, 'links', 'old', f), v);
  const s = new SiteStore(dir);
  assert.equal(s.readCa(), { key: 'CAKEY', cert: 'CACERT' });
  assert.equal(s.readLinkCredentials('old'), { key: 'K', cert: 'C', ca: 'A', grantUrl: 'h:2' });
});

test.run();
