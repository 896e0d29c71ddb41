// Issue 15 (edge hosts): `svcnet system install` writes a systemd unit for a real site directory that
// `systemd-analyze verify` accepts, says plainly when systemd cannot start it here and what to run
// instead, refuses bad input with one line and exit 2; `system uninstall` removes only its own
// units. The state directory is made under /var/lib (the tests run as root): the install refuses
// one under /tmp, which the unit's PrivateTmp= would hide.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { svcnet, svcnetOk, tempDir } from '../helpers/cli.js';

const units = tempDir();
const root = fs.mkdtempSync('/var/lib/svcnet-test-');
const SITE = path.join(root, 'edge');
const SYSTEM_DIR = '/etc/systemd/system';

/** systemd-analyze verify on a unit file: its exit code and what it printed. */
function verify(file: string): { code: number; out: string } {
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  if (r.error) throw new Error(`systemd-analyze is needed for this test (Debian package "systemd"): ${r.error.message}`);
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}`.trim() };
}

/** A usage error: exit 2 and one line on stderr matching `re`. */
async function usage(args: string[], re: RegExp): Promise<void> {
  const r = await svcnet(args);
  assert.is(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, re);
}

test.before(async () => {
  await svcnetOk(['site', 'create', 'edge', '--dir', SITE]);
});

test.after(() => {
  fs.rmSync(units, { recursive: true, force: true });
  fs.rmSync(root, { recursive: true, force: true });
});

test('issue 15: system install writes a unit that systemd-analyze verify accepts, and says what to run', async () => {
  const r = await svcnet(['system', 'install', '--dir', SITE, '--unit-dir', units]);
  assert.is(r.code, 0, r.stderr);
  const file = path.join(units, 'svcnet-edge.service');
  assert.equal(r.stdout.trim().split('\n'), [
    `wrote ${file}: site edge from ${SITE}`,
    `${units} is not where systemd reads units; run these on the host where the site should run:`,
    `  cp ${file} ${SYSTEM_DIR}/`,
    '  systemctl daemon-reload',
    '  systemctl enable --now svcnet-edge.service',
  ]);
  const unit = fs.readFileSync(file, 'utf8');
  assert.match(unit, new RegExp(`^ExecStart=${process.execPath} \\S+/bin/svcnet\\.js site run --dir ${SITE}$`, 'm'));
  assert.match(unit, new RegExp(`^ReadWritePaths=${SITE}$`, 'm'));
  assert.match(unit, /^Restart=on-failure$/m);
  assert.match(unit, /^ProtectSystem=strict$/m);
  const v = verify(file);
  assert.is(v.code, 0, v.out);
  assert.is(v.out, '', 'no warnings');
  // The ExecStart it wrote runs this svcnet.
  const exec = /^ExecStart=(\S+) (\S+)/m.exec(unit)!;
  assert.match(execFileSync(exec[1], [exec[2], 'version'], { encoding: 'utf8' }), /svcnet/);
});

test('issue 15: --name and --user (a note when the user is missing or does not own the state); installing again updates the unit', async () => {
  const user = 'svcnet-test-nouser';
  const out = await svcnetOk(['system', 'install', '--dir', SITE, '--unit-dir', units, '--name', 'web', '--user', user]);
  const file = path.join(units, 'svcnet-web.service');
  assert.match(out, new RegExp(`^wrote ${file}: site edge from ${SITE} as user ${user}$`, 'm'));
  assert.match(out, new RegExp(`^note: there is no user ${user} on this host yet; create it before the unit starts$`, 'm'));
  assert.match(fs.readFileSync(file, 'utf8'), new RegExp(`^User=${user}$`, 'm'));
  assert.is(verify(file).code, 0);
  const nobody = await svcnetOk(['system', 'install', '--dir', SITE, '--unit-dir', units, '--name', 'web', '--user', 'nobody']);
  assert.match(nobody, new RegExp(`^note: ${SITE} is not owned by nobody; give it to them: chown -R nobody ${SITE}$`, 'm'));
  assert.match(await svcnetOk(['system', 'install', '--dir', SITE, '--unit-dir', units, '--name', 'web']), /^updated /);
  assert.not.match(fs.readFileSync(file, 'utf8'), /^User=/m);
});

test('issue 15: bad input is refused with one line and exit 2; no site in --dir is exit 1', async () => {
  await usage(['system', 'install', '--dir', SITE, '--unit-dir', units, '--name', 'Web!'], /--name "Web!" is not a resource name/);
  await usage(['system', 'install', '--dir', SITE, '--unit-dir', units, '--user', 'a b'], /--user "a b" is not a user name/);
  await usage(['system', 'install', '--dir', SITE, '--unit-dir', path.join(units, 'none')], /--unit-dir ".*none" is not a directory/);
  await usage(['system', 'install', '--dir', '/var/lib/a site', '--unit-dir', units], /--dir "\/var\/lib\/a site" holds a space/);
  await usage(['system', 'install', '--dir', '/tmp/edge', '--unit-dir', units], /--dir "\/tmp\/edge" is under \/tmp, which the service's PrivateTmp= hides/);
  await usage(['system', 'install', '--unit-dir', units], /required option '--dir <dir>' not specified/);
  await usage(['system', 'uninstall', '--unit-dir', units], /give the unit by --name NAME or by the site in --dir DIR/);
  await usage(['system', 'uninstall', '--name', 'web', '--dir', SITE, '--unit-dir', units], /one of them/);
  const none = await svcnet(['system', 'install', '--dir', path.join(root, 'nothing'), '--unit-dir', units]);
  assert.is(none.code, 1);
  assert.match(none.stderr, /no site in .*nothing: create one with "svcnet site create NAME --dir/);
  assert.not.ok(fs.existsSync(path.join(units, 'svcnet-nothing.service')));
});

test('issue 15: system uninstall removes its own units only', async () => {
  assert.match(await svcnetOk(['system', 'uninstall', '--name', 'web', '--unit-dir', units]), /^removed .*svcnet-web\.service; the site's state directory is kept$/m);
  assert.not.ok(fs.existsSync(path.join(units, 'svcnet-web.service')));
  const again = await svcnet(['system', 'uninstall', '--name', 'web', '--unit-dir', units]);
  assert.is(again.code, 1);
  assert.match(again.stderr, /no unit svcnet-web\.service in /);
  fs.writeFileSync(path.join(units, 'svcnet-other.service'), '[Service]\nExecStart=/bin/true\n');
  const foreign = await svcnet(['system', 'uninstall', '--name', 'other', '--unit-dir', units]);
  assert.is(foreign.code, 1);
  assert.match(foreign.stderr, /was not written by `svcnet system install`; left as it is/);
  assert.ok(fs.existsSync(path.join(units, 'svcnet-other.service')));
  assert.match(await svcnetOk(['system', 'uninstall', '--dir', SITE, '--unit-dir', units]), /removed .*svcnet-edge\.service/);
  assert.ok(fs.existsSync(path.join(SITE, 'site.json')), 'the site stays');
});

test('issue 15: into /etc/systemd/system on a host without a running systemd: written, and the commands printed', async () => {
  if (fs.existsSync('/run/systemd/system')) {
    console.log('  (systemd runs on this host: install would start the unit for real; case not run)');
    return;
  }
  const file = path.join(SYSTEM_DIR, 'svcnet-edge-test.service');
  assert.not.ok(fs.existsSync(file), `${file} exists already`);
  fs.mkdirSync(SYSTEM_DIR, { recursive: true });
  try {
    const out = await svcnetOk(['system', 'install', '--dir', SITE, '--name', 'edge-test']);
    assert.match(out, /^systemd is not running on this host \(no \/run\/systemd\/system: a container, or another init\); run these on the host where the site should run:$/m);
    assert.match(out, /^ {2}systemctl enable --now svcnet-edge-test\.service$/m);
    assert.is(verify(file).code, 0);
    const un = await svcnetOk(['system', 'uninstall', '--name', 'edge-test']);
    assert.match(un, /^removed \/etc\/systemd\/system\/svcnet-edge-test\.service; the site's state directory is kept$/m);
    assert.match(un, /^ {2}systemctl disable --now svcnet-edge-test\.service$/m);
  } finally {
    fs.rmSync(file, { force: true });
  }
});

test.run();
