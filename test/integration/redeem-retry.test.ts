// Issue 15 "Missing 2": `token redeem --wait` while the issuing site is still starting retries with
// progress lines and links once it is up; without --wait it still fails at once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { svcnet, svcnetOk, runSite, stopAll, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';

const root = tempDir();
const A = path.join(root, 'east');
const B = path.join(root, 'west');
const T = path.join(root, 'east.token');

test.before(async () => {
  const ports = await freePorts(2);
  await svcnetOk(['site', 'create', 'east', '--dir', A, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await svcnetOk(['site', 'create', 'west', '--dir', B]);
  await svcnetOk(['token', 'issue', T, '--redemptions', '2', '--dir', A]);
});
test.after(async () => {
  await stopAll();
  fs.rmSync(root, { recursive: true, force: true });
});

test('issue 15: without --wait, an unreachable issuing site fails at once (exit 1)', async () => {
  const t0 = Date.now();
  const r = await svcnet(['token', 'redeem', T, '--dir', B]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /cannot reach the grant endpoint/);
  assert.not.match(r.stderr, /retrying/);
  assert.ok(Date.now() - t0 < 8000, `${Date.now() - t0} ms`);
});

test('issue 15: token redeem --wait retries while the issuing site starts, printing progress, then links', async () => {
  runSite(B);
  await waitFor('west running', () => runtimeStatus(B));
  const redeem = svcnet(['token', 'redeem', T, '--wait', '--timeout', '40s', '--dir', B]);
  // Start the issuer only once the redeemer has failed at least once.
  await new Promise((r) => setTimeout(r, 2500));
  runSite(A);
  const r = await redeem;
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /token redeem: attempt 1: cannot reach the grant endpoint of site east[^\n]*; retrying in 0\.5 s/);
  assert.match(r.stdout, /link link-east: ready/);
});

test.run();
