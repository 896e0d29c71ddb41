// Issue 15, "Missing" 1 through the real CLI: `svcnet version`, `site delete` (stops a running
// site, removes its state after confirmation or --yes) and `--wait[=ready] --timeout` on the
// create commands (progress printed, exit 1 at the timeout).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { svcnet, svcnetOk, runSite, stopAll, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';

const root = tempDir();
const E = path.join(root, 'east');
const W = path.join(root, 'west');
let ports: number[];
let server: net.Server;

test.before(async () => {
  ports = await freePorts(6);
  await svcnetOk(['site', 'create', 'east', '--dir', E, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await svcnetOk(['site', 'create', 'west', '--dir', W]);
  server = net.createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(ports[2], '127.0.0.1', r));
});
test.after(async () => {
  await stopAll();
  server.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const running = (dir: string) => waitFor(`site ${dir} running`, () => runtimeStatus(dir)?.network && fs.existsSync(path.join(dir, 'run', 'api.sock')), 20_000);

test('issue 15: svcnet version and --version print the release, link protocol and Node.js', async () => {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
  const line = `svcnet ${pkg.version} (link protocol 1, node ${process.version})\n`;
  assert.is(await svcnetOk(['version']), line);
  assert.is(await svcnetOk(['--version']), line);
  assert.equal(JSON.parse(await svcnetOk(['version', '-o', 'json'])), { version: pkg.version, linkProtocol: 1, node: process.version });
});

test('issue 15: site update changes ports, link access and host (usage errors exit 2)', async () => {
  const S = path.join(root, 'north');
  await svcnetOk(['site', 'create', 'north', '--dir', S]);
  assert.match(await svcnetOk(['site', 'update', '--link-access', '--link-host', 'north.example.com', '--link-port', String(ports[5]), '--console-port', '9999', '--dir', S]), /site north updated; it applies at the next start/);
  const st = JSON.parse(await svcnetOk(['site', 'status', '-o', 'json', '--dir', S]));
  assert.equal(st.linkAccess, { enabled: true, host: 'north.example.com', port: ports[5] });
  assert.is(st.consolePort, 9999);
  await svcnetOk(['site', 'update', '--link-host', '10.0.0.7', '--dir', S]); // one field: the others keep their value
  assert.equal(JSON.parse(await svcnetOk(['site', 'status', '-o', 'json', '--dir', S])).linkAccess, { enabled: true, host: '10.0.0.7', port: ports[5] });
  await svcnetOk(['site', 'update', '--no-link-access', '--console-port', '0', '--dir', S]);
  const st2 = JSON.parse(await svcnetOk(['site', 'status', '-o', 'json', '--dir', S]));
  assert.equal([st2.linkAccess.enabled, st2.linkAccess.port, st2.consolePort], [false, ports[5], undefined]);
  assert.match(await svcnetOk(['site', 'update', '--no-link-access', '--dir', S]), /site north unchanged/);
  for (const [args, re] of [[[], /nothing to change/], [['--link-port', '0'], /port 0 is outside 1\.\.65535/], [['--link-host', 'a b'], /--link-host "a b"/], [['--api-port', 'x'], /--api-port must be a number/]] as [string[], RegExp][]) {
    const r = await svcnet(['site', 'update', ...args, '--dir', S]);
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, re);
  }
});

test('issue 15: --wait on a stopped site, or with a bad condition, fails in one line', async () => {
  const bad = await svcnet(['listener', 'create', 'early', String(ports[3]), '-r', 'k', '--wait=soon', '--dir', W]);
  assert.is(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--wait takes no value or "ready", not "soon"/);
  assert.is((await svcnet(['get', 'listener', 'early', '--dir', W])).code, 1, 'nothing was created');
  const stopped = await svcnet(['listener', 'create', 'early', String(ports[3]), '-r', 'k', '--wait', '--dir', W]);
  assert.is(stopped.code, 1);
  assert.match(stopped.stderr, /listener early is stored, but site west is not running, so it cannot become ready/);
  await svcnetOk(['listener', 'delete', 'early', '--dir', W]);
});

test('issue 15: connector create --wait returns once ready; listener create --wait prints progress and exits 1 at the timeout', async () => {
  runSite(E);
  await running(E);
  const c = await svcnetOk(['connector', 'create', 'web', String(ports[2]), '-r', 'web', '--wait', '--dir', E]);
  assert.match(c, /connector web created[^\n]*\nconnector web: ready/);
  const t0 = Date.now();
  const l = await svcnet(['listener', 'create', 'lonely', String(ports[3]), '-r', 'nobody', '--host', '127.0.0.1', '--wait', '--timeout', '2s', '--dir', E]);
  assert.is(l.code, 1, l.stderr);
  assert.match(l.stdout, /listener lonely: no-route \(no connector for the routing key is reachable\)/);
  assert.match(l.stderr, /^error: listener lonely is not ready after 2 s: no-route/);
  assert.is(l.stderr.trim().split('\n').length, 1);
  assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
  const ok = await svcnetOk(['listener', 'create', 'web', String(ports[4]), '-r', 'web', '--host', '127.0.0.1', '--wait=ready', '--dir', E]);
  assert.match(ok, /listener web: ready \(listening on 127\.0\.0\.1:\d+\)\n$/);
});

test('issue 15: token redeem --wait returns once the link is up', async () => {
  runSite(W);
  await running(W);
  const tok = path.join(root, 'east.token');
  await svcnetOk(['token', 'issue', tok, '--dir', E]);
  const out = await svcnetOk(['token', 'redeem', tok, '--wait', '--timeout', '30s', '--dir', W]);
  assert.match(out, /link link-east: ready[^\n]*\n$/);
  // Asked through the API as --wait did (run/status.json is a snapshot written on a 500 ms cadence and may lag).
  const links = JSON.parse(await svcnetOk(['link', 'status', '--dir', W, '-o', 'json'])) as { name: string; status: string }[];
  assert.is(links.find((x) => x.name === 'link-east')?.status, 'ready');
});

test('issue 15: site delete asks (no terminal: refused, exit 2), stops a running site and removes its state', async () => {
  const refused = await svcnet(['site', 'delete', '--dir', W]);
  assert.is(refused.code, 2);
  assert.match(refused.stderr, /no terminal to confirm on: add --yes/);
  assert.ok(fs.existsSync(path.join(W, 'site.json')));
  const pid = (runtimeStatus(W) as unknown as { pid: number }).pid;
  fs.writeFileSync(path.join(W, 'notes.txt'), 'mine');
  const out = await svcnetOk(['site', 'delete', '--yes', '--dir', W]);
  assert.match(out, new RegExp(`site west stopped and deleted; ${W.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is kept: it holds other files \\(notes\\.txt\\)`));
  assert.throws(() => process.kill(pid, 0), 'the site process is gone');
  assert.equal(fs.readdirSync(W), ['notes.txt']);
  const gone = await svcnet(['site', 'status', '--dir', W]);
  assert.is(gone.code, 1);
  assert.match(gone.stderr, /no site in/);
  // A stopped site with nothing else in its directory: the directory goes too.
  const S = path.join(root, 'south');
  await svcnetOk(['site', 'create', 'south', '--dir', S]);
  assert.is(await svcnetOk(['site', 'delete', '-y', '--dir', S]), 'site south deleted\n');
  assert.not.ok(fs.existsSync(S));
});

test.run();
