// Issue 10 (review of the fix): a linked site resets one of its links in the same instant as it
// finishes another handshake. Node has already nulled the reset socket's certificate while the link
// is still open, and admission used to read it — a TypeError out of 'secureConnection' ended the site.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { svcnetOk, runSite, stopAll, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { LinkPeer, readCredentials } from '../helpers/link-peer.js';
import type { ChildProcess } from 'node:child_process';

const root = tempDir('svcnet-admission-');
const V = path.join(root, 'victim');
const M = path.join(root, 'mallory');
let ports: number[];
let victim: ChildProcess;
const alive = () => victim.exitCode === null && victim.signalCode === null;

test.before(async () => {
  ports = await freePorts(2);
  await svcnetOk(['site', 'create', 'victim', '--dir', V, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await svcnetOk(['site', 'create', 'mallory', '--dir', M]);
  victim = runSite(V);
  await waitFor('victim running', () => runtimeStatus(V));
  const token = path.join(root, 'token.yaml');
  await svcnetOk(['token', 'issue', token, '--dir', V]);
  await svcnetOk(['token', 'redeem', token, '--dir', M]); // mallory never runs: the test speaks for it
});

test.after(async () => {
  await stopAll();
  fs.rmSync(root, { recursive: true, force: true });
});

test('issue 10: a link reset while another handshake of the same certificate completes does not kill the site', async () => {
  const cred = readCredentials(M);
  for (let round = 0; round < 30 && alive(); round++) {
    const a = await LinkPeer.connect(ports[0], cred);
    a.helloFrom(M);
    await a.peerHello(5000);
    // b's last handshake flight and a's RST leave in the same instant, so the victim reads both in
    // one poll phase: it admits b while a's socket is already destroyed but its link not yet closed.
    const b = tls.connect({ port: ports[0], host: '127.0.0.1', key: cred.key, cert: cred.cert, ca: [cred.ca], minVersion: 'TLSv1.3', checkServerIdentity: () => undefined }, () => a.reset());
    b.on('error', () => {});
    await new Promise((r) => setTimeout(r, 100));
    b.destroy();
  }
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(alive(), `the victim exited (${victim.exitCode ?? victim.signalCode}):\n${fs.readFileSync(path.join(V, 'site.log'), 'utf8').split('\n').filter((l) => /"level":(50|60)|TypeError/.test(l)).slice(-5).join('\n')}`);
  // And it still admits an honest link.
  const c = await LinkPeer.connect(ports[0], cred);
  c.helloFrom(M);
  await c.peerHello(5000);
  c.close();
});

test.run();
