// Issue 15: a call that reaches no server reads as one plain line (no grpc-js internals such as
// "Waiting for LB pick" or "Resolution note"): a table of grpc-js details, and real failed calls.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { transportReason, tlsReason } from '../../control/api/transport-error.js';
import { unixClient, tlsClient } from '../../control/api/client.js';
import { ApiError } from '../../control/api/errors.js';
import { callGrantService, GrantCallError } from '../../control/pki/grant-client.js';
import { createCa } from '../../control/pki/ca.js';
import { freePort } from '../helpers/ports.js';

const GRPC_NOISE = /Resolution note|LB pick|No connection established|Last error|Deadline exceeded|remote_addr|\n/;

test('issue 15: transportReason turns grpc-js details into one clause', () => {
  const U = grpc.status.UNAVAILABLE;
  const D = grpc.status.DEADLINE_EXCEEDED;
  const cases: [number, string, string, number | undefined, string][] = [
    [U, 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:47112. Resolution note: ', '127.0.0.1:47112', undefined, 'no answer at 127.0.0.1:47112 (connection refused)'],
    [U, 'No connection established. Last error: Error: connect ENOENT /tmp/s/run/api.sock. Resolution note: ', 'unix:///tmp/s/run/api.sock', undefined, 'no answer at /tmp/s/run/api.sock (no socket there)'],
    [U, 'Name resolution failed for target dns:nosuch.invalid:47112', 'nosuch.invalid:47112', undefined, 'cannot resolve host nosuch.invalid'],
    [D, 'Deadline exceeded after 10.002s,Waiting for LB pick', '10.0.0.1:443', 10_000, 'no answer at 10.0.0.1:443 within 10 s'],
    [D, 'Deadline exceeded after 60.001s,LB pick: 0.001s,remote_addr=unix:/tmp/s/run/api.sock', 'unix:/tmp/s/run/api.sock', 60_000, 'no answer at /tmp/s/run/api.sock within 60 s'],
    [U, 'No connection established. Last error: Error: connect EHOSTUNREACH 10.1.1.1:443. Resolution note: ', '10.1.1.1:443', undefined, 'no answer at 10.1.1.1:443 (host unreachable)'],
    [U, 'Connection dropped', 'h:1', undefined, 'no answer at h:1'],
  ];
  for (const [code, details, target, timeoutMs, want] of cases) assert.is(transportReason({ code, details }, target, timeoutMs), want, details);
  assert.is(tlsReason('No connection established. Last error: Error: self-signed certificate in certificate chain. Resolution note: '), 'self-signed certificate in certificate chain');
});

test('issue 15: a control API client with no site behind its socket fails at once with one plain line', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcnet-transport-'));
  fs.mkdirSync(path.join(dir, 'run'));
  const c = unixClient(dir, { who: 'site east', timeoutMs: 5000 });
  const t0 = Date.now();
  const err = await c.list({}).then(() => undefined, (e: ApiError) => e);
  c.close();
  assert.ok(err instanceof ApiError);
  assert.is(err.code, 'SVCNET_ERR_UNAVAILABLE');
  assert.is(err.message, `site east is not running or not reachable: no answer at ${path.join(dir, 'run', 'api.sock')} (no socket there)`);
  assert.not.match(err.message, GRPC_NOISE);
  assert.ok(Date.now() - t0 < 4000, `took ${Date.now() - t0} ms`);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('issue 15: a server that accepts and never answers: the deadline in plain words (API and grant port)', async () => {
  const port = await freePort();
  const held: net.Socket[] = [];
  const sink = net.createServer((s) => { held.push(s); s.on('error', () => {}); });
  await new Promise<void>((r) => sink.listen(port, '127.0.0.1', r));
  try {
    const ca = await createCa('nobody');
    const api = tlsClient(`127.0.0.1:${port}`, { key: ca.key, cert: ca.cert, ca: ca.cert }, { timeoutMs: 800 });
    const e1 = await api.list({}).then(() => undefined, (e: ApiError) => e);
    api.close();
    assert.ok(e1 instanceof ApiError);
    assert.is(e1.message, `the control API at 127.0.0.1:${port} is not running or not reachable: no answer at 127.0.0.1:${port} within 0.8 s`);
    const e2 = await callGrantService(`127.0.0.1:${port}`, { ca: ca.cert }, 'Redeem', {}, { timeoutMs: 800, who: 'east' }).then(() => undefined, (e: GrantCallError) => e);
    assert.ok(e2 instanceof GrantCallError);
    assert.is(e2.kind, 'unreachable');
    assert.is(e2.message, `cannot reach the grant endpoint of site east: no answer at 127.0.0.1:${port} within 0.8 s; is that site running?`);
  } finally {
    held.forEach((s) => s.destroy());
    await new Promise((r) => sink.close(r));
  }
});

test.run();
