// Issue 15 through the real CLI: listener/connector update work (stopped and running site), one
// exit-code rule for usage errors in every command (2, one line, nothing changed), and hosts
// validated as host names or IP literals.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { svcnet, svcnetOk, runSite, stopAll, tempDir, waitFor, runtimeStatus, BIN } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';

const root = tempDir();
const E = path.join(root, 'east');
let ports: number[];

test.before(async () => {
  ports = await freePorts(8);
  await svcnetOk(['site', 'create', 'east', '--dir', E, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
});
test.after(async () => {
  await stopAll();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Runs a bash command line; its output. */
const sh = (cmd: string) => new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
  execFile('bash', ['-c', cmd], { maxBuffer: 16 << 20, timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(err) : resolve({ stdout, stderr })));
});

/** Runs svcnet and checks it exits `code` with one line on stderr matching `re`. */
async function fails(args: string[], code: number, re: RegExp): Promise<void> {
  const r = await svcnet(args);
  assert.is(r.code, code, `svcnet ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  assert.is(r.stderr.trim().split('\n').length, 1, `svcnet ${args.join(' ')}: one line: ${r.stderr}`);
  assert.match(r.stderr, re, `svcnet ${args.join(' ')}`);
}

const resources = () => fs.readdirSync(path.join(E, 'resources'), { recursive: true }).filter((f) => String(f).endsWith('.json')).sort();

test('issue 15: listener update and connector update change the stored spec (stopped site)', async () => {
  await svcnetOk(['listener', 'create', 'web', String(ports[2]), '-r', 'web', '--host', '127.0.0.1', '--dir', E]);
  await svcnetOk(['connector', 'create', 'web', '8080', '-r', 'web', '--dir', E]);
  assert.match(await svcnetOk(['listener', 'update', 'web', '--port', String(ports[3]), '--dir', E]), /listener web updated/);
  assert.match(await svcnetOk(['connector', 'update', 'web', '--host', 'db.example.com', '--port', '8081', '-r', 'web2', '--dir', E]), /connector web updated/);
  const l = JSON.parse(await svcnetOk(['listener', 'status', 'web', '-o', 'json', '--dir', E]))[0];
  assert.is(l.port, ports[3]);
  const c = JSON.parse(await svcnetOk(['connector', 'status', 'web', '-o', 'json', '--dir', E]))[0];
  assert.equal([c.host, c.port, c.routingKey], ['db.example.com', 8081, 'web2']);
});

test('issue 15: every usage error exits 2 with one line, in every command', async () => {
  const before = resources();
  const bare = await svcnet([]);
  assert.is(bare.code, 2, 'svcnet alone');
  assert.match(bare.stderr, /Usage: svcnet/);
  assert.is((await svcnet(['site'])).code, 2, 'a command group alone');
  assert.is((await svcnet(['--help'])).code, 0, 'asked-for help is no error');
  assert.is((await svcnet(['help'])).code, 0, 'asked-for help is no error');
  await fails(['bogus'], 2, /unknown command/);
  await fails(['site', 'create', 'Bad Name', '--dir', path.join(root, 'x')], 2, /site name "Bad Name" is not a resource name/);
  await fails(['site', 'create', 'ok', '--link-port', 'abc', '--dir', path.join(root, 'x')], 2, /--link-port must be a number/);
  await fails(['site', 'create', 'ok', '--link-host', 'bad host!', '--dir', path.join(root, 'x')], 2, /--link-host "bad host!" must be a host name or an IP address/);
  assert.not.ok(fs.existsSync(path.join(root, 'x', 'site.json')), 'no site was made');
  await fails(['listener', 'create', 'Bad!', '1234', '-r', 'k', '--dir', E], 2, /name "Bad!"/);
  await fails(['connector', 'create', 'Bad!', '1234', '-r', 'k', '--dir', E], 2, /name "Bad!"/);
  await fails(['listener', 'create', 'ok', '99999', '-r', 'k', '--dir', E], 2, /port "99999" must be 1\.\.65535/);
  await fails(['listener', 'update', 'web', '--port', 'x', '--dir', E], 2, /port "x"/);
  await fails(['listener', 'update', 'web', '--dir', E], 2, /nothing to change/);
  await fails(['token', 'issue', path.join(root, 't'), '--redemptions', 'two', '--dir', E], 2, /--redemptions must be a number/);
  await fails(['token', 'redeem', path.join(root, 't'), '--cost', '-1', '--dir', E], 2, /--cost|unknown option/);
  await fails(['grant', 'delete', 'Bad!', '--dir', E], 2, /is not a resource name/);
  await fails(['get', 'gadgets', '--dir', E], 2, /unknown kind "gadgets"/);
  await fails(['get', 'listener', '-o', 'xml', '--dir', E], 2, /--output must be json or yaml/);
  await fails(['delete', '--dir', E], 2, /give -f FILE or KIND NAME/);
  await fails(['listener', 'status', '--dir'], 2, /argument missing/);
  await fails(['listener', 'status'], 2, /no site directory/);
  assert.equal(resources(), before, 'nothing changed');
  // Not usage errors: a well-formed command that fails exits 1.
  await fails(['listener', 'delete', 'nosuch', '--dir', E], 1, /not found|no Listener/i);
  await fails(['site', 'create', 'again', '--dir', E], 1, /a site already exists/);
});

test('issue 15: a connector host must be a host name or an IP literal (CLI exit 2; a manifest is refused naming the field)', async () => {
  await fails(['connector', 'create', 'bad', '80', '-r', 'k', '--host', 'bad host!', '--dir', E], 2, /--host "bad host!" must be a host name or an IP address/);
  await fails(['connector', 'create', 'bad', '80', '-r', 'k', '--host', '-lead.example', '--dir', E], 2, /--host/);
  await fails(['connector', 'update', 'web', '--host', 'a/b', '--dir', E], 2, /--host "a\/b"/);
  await fails(['listener', 'create', 'bad', String(ports[4]), '-r', 'k', '--host', '1.2.3.4.5 ', '--dir', E], 2, /--host/);
  const f = path.join(root, 'bad-host.yaml');
  fs.writeFileSync(f, 'apiVersion: svcnet.io/v1\nkind: Connector\nmetadata: {name: bad}\nspec: {routingKey: k, port: 80, host: "bad host!"}\n');
  await fails(['apply', '-f', f, '--dir', E], 1, /spec\.host: must be a host name or an IP address/);
  for (const host of ['127.0.0.1', '::1', 'db', 'db.example.com.', 'my_svc.local']) {
    await svcnetOk(['connector', 'create', 'ok-host', '80', '-r', 'k', '--host', host, '--dir', E]);
    await svcnetOk(['connector', 'delete', 'ok-host', '--dir', E]);
  }
  assert.not.ok(resources().some((r) => String(r).includes('bad')));
});

test('issue 15: -o json of more than 64 KiB reaches a slow reader whole (the CLI waits for its output to drain)', async () => {
  const dir = path.join(root, 'big');
  await svcnetOk(['site', 'create', 'big', '--dir', dir]);
  const docs = Array.from({ length: 400 }, (_, i) => `---\napiVersion: svcnet.io/v1\nkind: Connector\nmetadata: {name: conn-${i}-with-a-longer-name}\nspec: {routingKey: key-${i}.a.long.routing.key, port: ${1000 + i}, host: host-${i}.example.com}\n`);
  fs.writeFileSync(path.join(root, 'many.yaml'), docs.join(''));
  await svcnetOk(['apply', '-f', path.join(root, 'many.yaml'), '--dir', dir]);
  // A reader that starts late, through a real pipe (64 KiB of buffer; Node's own child pipes are
  // socketpairs with more): the rest waits in the CLI, which must not exit before it drained.
  const cli = `'${process.execPath}' '${BIN}' get connector -o json --dir '${dir}'`;
  const slow = await sh(`${cli} | (sleep 1; cat); echo "rc=\${PIPESTATUS[0]}" >&2`);
  assert.ok(slow.stdout.length > 65536, `${slow.stdout.length} bytes`);
  assert.is((JSON.parse(slow.stdout) as unknown[]).length, 400);
  assert.match(slow.stderr, /^rc=0\n$/);
  // A reader that stops early (`| head`) is no error: no EPIPE stack, exit 0.
  const early = await sh(`${cli} | head -c 100 >/dev/null; echo "rc=\${PIPESTATUS[0]}" >&2`);
  assert.match(early.stderr, /^rc=0\n$/, early.stderr);
});

test('issue 15: listener update and connector update work on a running site, which applies them; a held listener port is retried until free', async () => {
  // A listener whose port another program takes before the site starts (a local connector makes its key reachable).
  await svcnetOk(['connector', 'create', 'held', String(ports[7]), '-r', 'held', '--dir', E]);
  await svcnetOk(['listener', 'create', 'held', String(ports[6]), '-r', 'held', '--host', '127.0.0.1', '--dir', E]);
  const squatter = net.createServer();
  await new Promise<void>((r) => squatter.listen(ports[6], '127.0.0.1', r));
  runSite(E);
  await waitFor('site running', () => runtimeStatus(E)?.network && fs.existsSync(path.join(E, 'run', 'api.sock')), 20_000);
  const held = async () => JSON.parse(await svcnetOk(['listener', 'status', 'held', '-o', 'json', '--dir', E]))[0];
  await waitFor('held listener retrying', async () => (await held()).status === 'retrying', 10_000);
  assert.match((await held()).message, new RegExp(`port ${ports[6]} is already in use; next try in`));
  await new Promise((r) => squatter.close(r));
  await waitFor('held listener open once the port is free', async () => (await held()).status === 'ready', 10_000);
  await svcnetOk(['listener', 'update', 'web', '--port', String(ports[5]), '--dir', E]);
  await svcnetOk(['connector', 'update', 'web', '--port', '8082', '--host', '127.0.0.1', '--dir', E]);
  await fails(['connector', 'update', 'web', '--host', 'bad host!', '--dir', E], 2, /--host/);
  const l = JSON.parse(await svcnetOk(['listener', 'status', 'web', '-o', 'json', '--dir', E]))[0];
  assert.is(l.port, ports[5]);
  const c = JSON.parse(await svcnetOk(['connector', 'status', 'web', '-o', 'json', '--dir', E]))[0];
  assert.equal([c.host, c.port], ['127.0.0.1', 8082]);
});

test.run();
