// Issue 15: a link refusal reaches the gRPC Watch stream. Beta dials alpha; alpha revokes beta's
// certificate (link delete); beta's Watch(LINK_REFUSED) gets one event with the stable code, the
// refusing site and the reason, through the real API socket.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { svcnetOk, runSite, stopAll, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { unixClient, type ControlClient } from '../../control/api/client.js';
import type { Event } from '../../control/api/types.js';

const root = tempDir();
const A = path.join(root, 'alpha');
const B = path.join(root, 'beta');
let client: ControlClient | undefined;

test.before(async () => {
  const ports = await freePorts(2);
  await svcnetOk(['site', 'create', 'alpha', '--dir', A, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await svcnetOk(['site', 'create', 'beta', '--dir', B]);
  runSite(A);
  runSite(B);
  await waitFor('sites running', () => runtimeStatus(A) && runtimeStatus(B));
  await svcnetOk(['token', 'issue', path.join(root, 't.yaml'), '--dir', A]);
  await svcnetOk(['token', 'redeem', path.join(root, 't.yaml'), '--dir', B]);
  await waitFor('link ready', () => runtimeStatus(B)?.links.some((l) => l.status === 'ready'), 20_000);
});

test.after(async () => {
  client?.close();
  await stopAll();
  fs.rmSync(root, { recursive: true, force: true });
});

test('revoked: Watch(LINK_REFUSED) at the dialing site gets one event with code, refusing site and reason', async () => {
  client = unixClient(B, { timeoutMs: 20_000 });
  const events: Event[] = [];
  await new Promise<void>((resolve) => client!.watch({ types: ['LINK_REFUSED'] }, (e) => { if (e.type === 'SYNC') resolve(); else events.push(e); }));
  await svcnetOk(['link', 'delete', 'beta', '--dir', A]);
  const e = await waitFor('LINK_REFUSED on Watch', () => events[0], 20_000, 50);
  assert.is(e.type, 'LINK_REFUSED');
  assert.is(e.link!.code, 'SVCNET_ERR_CERT_REVOKED');
  assert.is(e.link!.peerSite, 'alpha');
  assert.is(e.link!.direction, 'outbound');
  assert.match(e.link!.reason, /revoked.*; not redialed until its credentials change$/);
  // The link stays refused (status reports keep coming): still one event.
  await waitFor('beta shows revoked', () => runtimeStatus(B)?.links.some((l) => l.status === 'revoked'));
  assert.is(events.length, 1);
});

test.run();
