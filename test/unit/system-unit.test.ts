// Issue 15 (edge hosts): the systemd unit `svcnet system install` writes, as a pure function — the
// command it runs, restart on failure, the hardening, the state directory as the only writable
// path — and the inputs it refuses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderUnit, unitFile, unitPathArg, userArg, stateDirArg, UNIT_MARK } from '../../control/cli/system-unit.js';
import { UsageError } from '../../control/cli/output.js';

const base = { name: 'edge', site: 'edge', dir: '/var/lib/svcnet/edge', node: '/usr/bin/node', script: '/opt/svcnet/bin/svcnet.js' };
const isUsage = (e: unknown) => e instanceof UsageError;
const lines = (text: string) => text.split('\n');

test('issue 15: the unit runs `site run --dir DIR`, restarts on failure and may write only DIR', () => {
  const u = renderUnit(base);
  assert.ok(u.startsWith(UNIT_MARK));
  for (const l of ['ExecStart=/usr/bin/node /opt/svcnet/bin/svcnet.js site run --dir /var/lib/svcnet/edge', 'Restart=on-failure', 'NoNewPrivileges=yes',
    'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'ReadWritePaths=/var/lib/svcnet/edge', 'WantedBy=multi-user.target']) {
    assert.ok(lines(u).includes(l), `missing ${l}`);
  }
  assert.is(lines(u).filter((l) => /^(ReadWritePaths|ReadWriteDirectories|StateDirectory)=/.test(l)).length, 1, 'one writable path');
  assert.not.ok(/^User=/m.test(u), 'root unless --user');
  assert.not.ok(/^MemoryDenyWriteExecute=yes/m.test(u), 'V8 needs executable memory');
  assert.is(unitFile('edge'), 'svcnet-edge.service');
});

test('issue 15: --user runs it as that user with only the two capabilities kept', () => {
  const u = renderUnit({ ...base, user: 'svcnet' });
  assert.ok(lines(u).includes('User=svcnet'));
  assert.ok(lines(u).includes('AmbientCapabilities=CAP_NET_BIND_SERVICE CAP_SYS_NICE'));
  assert.ok(lines(u).includes('CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_SYS_NICE'));
});

test('issue 15: a site or program under a home directory gets ProtectHome=read-only, which ReadWritePaths can open', () => {
  assert.ok(lines(renderUnit({ ...base, dir: '/home/ops/edge' })).includes('ProtectHome=read-only'));
  assert.ok(lines(renderUnit({ ...base, script: '/root/svcnet/bin/svcnet.js' })).includes('ProtectHome=read-only'));
  assert.ok(lines(renderUnit({ ...base, dir: '/homestead/edge' })).includes('ProtectHome=yes'));
});

test('issue 15: paths systemd would misread, temporary state directories and bad user names are usage errors', () => {
  for (const p of ['/var/lib/a b', '/var/lib/a%n', '/var/lib/a"b', '/var/lib/$HOME', '/var/lib/a\nb']) assert.throws(() => unitPathArg(p, '--dir'), isUsage, p);
  assert.is(unitPathArg('/var/lib/svcnet/edge', '--dir'), '/var/lib/svcnet/edge');
  for (const p of ['/tmp/site', '/var/tmp/site', '/tmp']) assert.throws(() => stateDirArg(p), isUsage, p);
  assert.is(stateDirArg('/tmpfs/site'), '/tmpfs/site');
  for (const u of ['x y', 'Root', '-x', '', 'a'.repeat(33), 'a;b']) assert.throws(() => userArg(u), isUsage, u);
  assert.is(userArg('svcnet'), 'svcnet');
});

test.run();
