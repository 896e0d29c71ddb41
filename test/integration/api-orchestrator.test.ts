// The sample orchestrator (examples/orchestrator.ts) run as its own process against two running
// sites over the mTLS API (issue 3); who the TCP API refuses and with which status; and the API
// latency of Apply and of a Watch event, printed as measurements.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { svcnetOk, runSite, stopAll, tempDir, waitFor, runtimeStatus } from '../helpers/cli.js';
import { SiteStore } from '../../control/state/site-store.js';
import { freePorts } from '../helpers/ports.js';
import { echoServer, exchange } from '../helpers/tcp.js';
import { tlsClient, grpcClient, unixClient, type ControlClient } from '../../control/api/client.js';
import { ApiError } from '../../control/api/errors.js';
import { createCa, issueLeaf } from '../../control/pki/ca.js';

const root = tempDir();
const E = path.join(root, 'east');
const W = path.join(root, 'west');
const credsE = path.join(root, 'creds-east');
const credsW = path.join(root, 'creds-west');
const ORCH = fileURLToPath(new URL('../../examples/orchestrator.js', import.meta.url));
let ports: number[];
const servers: net.Server[] = [];
const read = (d: string, f: string) => fs.readFileSync(path.join(d, f), 'utf8');

test.before(async () => {
  ports = await freePorts(8);
  await svcnetOk(['site', 'create', 'east', '--dir', E, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1]), '--api-port', String(ports[2])]);
  await svcnetOk(['site', 'create', 'west', '--dir', W, '--api-port', String(ports[3])]);
  runSite(E);
  runSite(W);
  await waitFor('sites running', () => runtimeStatus(E) && runtimeStatus(W));
  for (const [d, out] of [[E, credsE], [W, credsW]]) {
    fs.mkdirSync(out);
    const msg = await svcnetOk(['admin', 'issue', 'orchestrator', '--dir', d, '--out', out]);
    assert.match(msg, /API client certificate for orchestrator written/);
  }
  assert.is((fs.statSync(path.join(credsE, 'orchestrator.key')).mode & 0o777).toString(8), '600');
  servers.push(await echoServer(ports[4]));
});

test.after(async () => {
  await stopAll();
  for (const s of servers) s.close();
  fs.rmSync(root, { recursive: true, force: true });
});

test('the orchestrator links the sites, exposes a service, sees the events and prints the network', async () => {
  const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [ORCH, `127.0.0.1:${ports[2]}`, credsE, `127.0.0.1:${ports[3]}`, credsW, 'shop', String(ports[4]), String(ports[5])], { timeout: 60_000 }, (err, stdout, stderr) => resolve({ code: err ? Number((err as NodeJS.ErrnoException).code ?? 1) : 0, stdout, stderr }));
  });
  assert.is(out.code, 0, out.stderr + out.stdout);
  assert.match(out.stdout, /sites: east \(running\) at .*, west \(running\)/);
  assert.match(out.stdout, /AccessToken grant-[0-9a-f]+ redeemed/);
  assert.match(out.stdout, /event west LINK_UP .*"peerSite":"east"/);
  assert.match(out.stdout, /event east LINK_UP .*"peerSite":"west"/);
  assert.match(out.stdout, /event west ROUTES_CHANGED .*"routingKeys":\["shop"\]/);
  assert.match(out.stdout, /event east RESOURCE_APPLIED .*"kind":"Connector","name":"shop"/);
  assert.match(out.stdout, /site east cost 1 links \[west\(1\)\] keys \[shop\]/);
  assert.match(out.stdout, /service shop: listeners \[west\/shop:\d+ ready\] connectors \[east\(cost 1\)\]/);
  // What it configured really carries traffic.
  assert.is((await exchange(ports[5], 'hello via the orchestrator')).toString(), 'hello via the orchestrator');
});

test('the TCP API refuses callers without a certificate, from another CA, or with a non-API certificate', async () => {
  const code = (c: ControlClient) => c.list({}).then(() => 'ok', (e: ApiError) => `${grpc.status[e.status]}: ${e.message}`).finally(() => c.close());
  const ca = read(credsE, 'ca.crt');
  const addr = `127.0.0.1:${ports[2]}`;
  assert.match(await code(grpcClient(addr, grpc.credentials.createSsl(Buffer.from(ca)))), /^UNAUTHENTICATED: a client certificate signed by this site's CA is required/);
  const intruder = await issueLeaf(await createCa('intruder'), { commonName: 'admin:intruder', client: true });
  assert.match(await code(tlsClient(addr, { key: intruder.key, cert: intruder.cert, ca })), /^UNAUTHENTICATED/);
  // west's orchestrator certificate is from west's CA: no good at east.
  assert.match(await code(tlsClient(addr, { key: read(credsW, 'orchestrator.key'), cert: read(credsW, 'orchestrator.crt'), ca })), /^UNAUTHENTICATED/);
  // west's link certificate IS signed by east's CA (it joined east), but it is not an API certificate.
  const link = new SiteStore(W).readLinkCredentials(fs.readdirSync(path.join(W, 'links'))[0]);
  assert.match(await code(tlsClient(addr, { key: link.key, cert: link.cert, ca })), /^PERMISSION_DENIED: certificate "west" is not an API client certificate/);
  assert.is(await code(tlsClient(addr, { key: read(credsE, 'orchestrator.key'), cert: read(credsE, 'orchestrator.crt'), ca })), 'ok');
});

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

test('measured: latency of Apply (unix socket and mTLS) and of a Watch event after it', async () => {
  const N = 50;
  const clients: [string, ControlClient][] = [
    ['unix', unixClient(E)],
    ['mTLS', tlsClient(`127.0.0.1:${ports[2]}`, { key: read(credsE, 'orchestrator.key'), cert: read(credsE, 'orchestrator.crt'), ca: read(credsE, 'ca.crt') })],
  ];
  for (const [name, c] of clients) {
    await c.list({ kind: 'Site' }); // connection set up outside the measurement
    const seenAt = new Map<string, number>();
    await new Promise<void>((resolve) => c.watch({ types: ['RESOURCE_APPLIED'] }, (e) => { if (e.type === 'SYNC') resolve(); else seenAt.set(`${e.resource!.name}@${e.resource!.resourceVersion}`, performance.now()); }));
    const apply: number[] = [];
    const event: number[] = [];
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      const r = await c.apply({ resources: [{ kind: 'Connector', metadata: { name: `lat-${name.toLowerCase()}` }, connector: { routingKey: 'lat', port: 20000 + i } }] });
      apply.push(performance.now() - t0);
      const key = `lat-${name.toLowerCase()}@${r.results[0].resource.metadata.resourceVersion}`;
      await waitFor('event', () => seenAt.has(key), 5000, 1);
      event.push(seenAt.get(key)! - t0);
    }
    console.log(`  measured ${name}: Apply p50 ${pct(apply, 50).toFixed(1)} ms, p99 ${pct(apply, 99).toFixed(1)} ms; Watch event after Apply started p50 ${pct(event, 50).toFixed(1)} ms, p99 ${pct(event, 99).toFixed(1)} ms (N=${N})`);
    // A sanity bound only (the machine is shared): an Apply is a few file writes and a reconcile.
    assert.ok(pct(apply, 50) < 500, `Apply p50 ${pct(apply, 50)} ms`);
    c.close();
  }
});

test.run();
