// The whole life of a link's certificates between two real sites, with lifetimes shortened to 8 s:
// issue, redeem, link; flows that survive several renewals (every byte hash-checked); a CA rotation
// with flows running; revocation by deleting the grant (link closed, flows reset, the dialer told
// why and holding, refused also after a restart); re-joining with a new token; revocation by deleting the inbound link.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { svcnet, svcnetOk, runSite, kill, stopAll, tempDir, waitFor, runtimeStatus, siteLog, logCount } from '../helpers/cli.js';
import { SiteStore } from '../../control/state/site-store.js';
import { freePorts } from '../helpers/ports.js';
import { hashServer, pacedFlow, sendAndHash } from '../helpers/tcp.js';

const LIFETIME = { SVCNET_LEAF_LIFETIME: '8s' };
const LONG_LIFETIME = { SVCNET_LEAF_LIFETIME: '120s' };
const root = tempDir();
const A = path.join(root, 'a');
const B = path.join(root, 'b');
let ports: number[];
let siteA: ChildProcess;
let siteB: ChildProcess;
let server: net.Server;
const MiB = 1 << 20;

const ok = (args: string[]) => svcnetOk(args, LIFETIME);
/** The log lines that explain a dropped flow, for failure messages. */
const why = () => [A, B].map((d) => `\n  ${path.basename(d)}: ` + siteLog(d).split('\n').filter((l) => /link down|flow reset|stalled|closed|refused|renewal failed|"level":[56]0/.test(l)).slice(-6).join('\n    ')).join('');
/** A wait whose timeout message carries the explaining log lines. */
const explained = <T>(p: Promise<T>) => p.catch((err: Error) => { throw new Error(err.message + why()); });
const ready = (dir: string) => runtimeStatus(dir)?.links.some((l) => l.status === 'ready');
const security = (dir: string) => (runtimeStatus(dir) as unknown as { security: Record<string, number> } | undefined)?.security;
/** Waits for beta's next link renewal, so that a restart right after it starts with a whole 8 s certificate:
 *  one restarted late in its certificate's life (a third of 8 s left) may find it expired before its first
 *  renewal under load, and an expired certificate can never be renewed. Returns the renewal count before. */
async function freshRenewal(): Promise<number> {
  const renewals = security(B)!.linkRenewals;
  await explained(waitFor('a fresh renewal', () => security(B)!.linkRenewals > renewals, 20_000, 50));
  return renewals;
}

test.before(async () => {
  ports = await freePorts(4);
  await ok(['site', 'create', 'alpha', '--dir', A, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await ok(['site', 'create', 'beta', '--dir', B]);
  siteA = runSite(A, { env: LIFETIME });
  siteB = runSite(B, { env: LIFETIME });
  server = await hashServer(ports[2]);
  await waitFor('sites running', () => runtimeStatus(A) && runtimeStatus(B));
  await ok(['connector', 'create', 'up', String(ports[2]), '--routing-key', 'up', '--dir', A]);
  await ok(['listener', 'create', 'up', String(ports[3]), '--routing-key', 'up', '--host', '127.0.0.1', '--dir', B]);
});

test.after(async () => {
  await stopAll();
  server.close();
  fs.rmSync(root, { recursive: true, force: true });
});

let grant = '';

test('issue, redeem, link: each side names the other; alpha knows which grant the inbound link came through', async () => {
  const token = path.join(root, 't1.yaml');
  const out = await ok(['token', 'issue', token, '--dir', A]);
  grant = /grant (grant-[0-9a-f]+)/.exec(out)![1];
  await ok(['token', 'redeem', token, '--dir', B]);
  await waitFor('link ready', () => ready(A) && ready(B));
  const inbound = runtimeStatus(A)!.links.find((l) => l.peer === 'beta') as unknown as { message: string };
  assert.match(inbound.message, new RegExp(`grant ${grant}`));
  assert.is(runtimeStatus(B)!.links[0].peer, 'alpha');
  await waitFor('listener ready', () => runtimeStatus(B)?.listeners.find((l) => l.status === 'ready'));
});

test('flows survive several renewals of the link and server certificates; every byte checked', async () => {
  const downs = logCount(B, /"link down"/);
  const renewed = security(B)!.linkRenewals;
  const flows = await Promise.all([0, 1, 2].map((i) => pacedFlow(ports[3], (4 + i) * MiB, 22_000)));
  for (const f of flows) assert.ok(f.ok, f.detail + why());
  assert.ok(security(B)!.linkRenewals - renewed >= 3, `link renewals: ${security(B)!.linkRenewals - renewed}`);
  assert.ok(security(A)!.serverRenewals >= 2, `server renewals: ${security(A)!.serverRenewals}`);
  assert.is(logCount(B, /"link down"/), downs, 'the link never dropped');
  assert.ok(logCount(A, /"link certificate renewed"/) >= 3);
});

test('rotating the CA with flows running drops nothing; beta learns the new CA at renewal and redials with it', async () => {
  const downs = logCount(B, /"link down"/);
  const flow = pacedFlow(ports[3], 4 * MiB, 12_000);
  await new Promise((r) => setTimeout(r, 1000));
  const out = await ok(['site', 'rotate-certificates', '--dir', A]);
  assert.match(out, /CA rotated/);
  const newCa = new SiteStore(A).readCa().cert;
  await waitFor('beta got the new CA', () => new SiteStore(B).readLinkCredentials('link-alpha').ca === newCa, 15_000);
  const f = await flow;
  assert.ok(f.ok, f.detail + why());
  assert.is(logCount(B, /"link down"/), downs, 'the link never dropped');
  // A fresh dial with the renewed certificate (from the new CA) and the new trust anchor works.
  await freshRenewal();
  await kill(siteB);
  siteB = runSite(B, { env: LIFETIME });
  await waitFor('link ready after beta restarts', () => ready(B), 20_000);
  await waitFor('listener ready after beta restarts', () => runtimeStatus(B)?.listeners.find((l) => l.status === 'ready'), 20_000);
  const r = await sendAndHash(ports[3], 2 * MiB);
  assert.is(r.reply, r.expected);
});

test('deleting the grant revokes: link closed within seconds, flows reset, reconnects refused, also after a restart', async () => {
  // From here on alpha issues long-lived certificates, so that every refusal below is the
  // revocation and never an expiry. Alpha restarts right after a renewal, while beta's 8 s
  // certificate is fresh, and beta's next renewal brings the long one.
  const renewals = await freshRenewal();
  await kill(siteA);
  siteA = runSite(A, { env: LONG_LIFETIME });
  await explained(waitFor('beta renewed from the restarted alpha', () => security(B)!.linkRenewals > renewals + 1, 20_000));
  await waitFor('link ready', () => ready(A) && ready(B), 20_000);
  await waitFor('listener ready', () => runtimeStatus(B)?.listeners.find((l) => l.status === 'ready'), 20_000);
  const flow = pacedFlow(ports[3], 8 * MiB, 20_000);
  await new Promise((r) => setTimeout(r, 1000));
  const t0 = Date.now();
  await ok(['grant', 'delete', grant, '--dir', A]);
  await waitFor('beta sees the link down', () => !ready(B), 5000, 50);
  const closedIn = Date.now() - t0;
  const f = await flow;
  assert.not.ok(f.ok, `the flow must be reset, not completed: ${f.detail}`);
  assert.match(siteLog(A), /SVCNET_ERR_CERT_REVOKED.*inbound link closed: its certificate is no longer accepted/);
  // Beta was told why (GOAWAY SVCNET_ERR_CERT_REVOKED) and no longer redials (issue 15).
  await explained(waitFor('beta holds its revoked link', () => runtimeStatus(B)?.links.some((l) => l.status === 'revoked'), 5000, 50));
  const linkRefused = /"link refused".*SVCNET_ERR_CERT_REVOKED|SVCNET_ERR_CERT_REVOKED.*"link refused"/;
  await kill(siteA);
  const before = logCount(A, linkRefused);
  siteA = runSite(A, { env: LONG_LIFETIME });
  // A held dialer does not redial: restart beta so that it dials once, and the restarted alpha refuses it.
  await kill(siteB);
  siteB = runSite(B, { env: LIFETIME });
  await waitFor('refused after restart too', () => logCount(A, linkRefused) > before, 20_000);
  assert.not.ok(ready(B));
  console.log(`  link closed ${closedIn} ms after the grant was deleted`);
});

test('re-joining with a new token links again; deleting the inbound link revokes again', async () => {
  const token = path.join(root, 't2.yaml');
  await ok(['token', 'issue', token, '--dir', A]);
  // Beta drops the dead link and redeems the new token.
  await ok(['link', 'delete', 'link-alpha', '--dir', B]);
  await ok(['token', 'redeem', token, '--dir', B, '--name', 'rejoin']);
  await waitFor('link ready again', () => ready(A) && ready(B), 20_000);
  await waitFor('listener ready', () => runtimeStatus(B)?.listeners.find((l) => l.status === 'ready'));
  const r = await sendAndHash(ports[3], 2 * MiB);
  assert.is(r.reply, r.expected);
  const out = await ok(['link', 'delete', 'beta', '--dir', A]);
  assert.match(out, /inbound link from site beta deleted: its certificates are revoked/);
  await waitFor('beta sees the link down', () => !ready(B), 5000, 50);
  const certs = JSON.parse(await ok(['site', 'certificates', '--dir', A, '-o', 'json'])) as { kind: string; subject: string; state: string }[];
  assert.ok(certs.filter((c) => c.kind === 'issued' && c.subject === 'beta').every((c) => c.state !== 'valid'));
  const gone = await svcnet(['link', 'delete', 'nobody', '--dir', A]);
  assert.is(gone.code, 1);
  assert.match(gone.stderr, /no link named nobody/);
  const noGrant = await svcnet(['grant', 'delete', 'grant-nothing', '--dir', A]);
  assert.is(noGrant.code, 1);
  assert.match(noGrant.stderr, /no grant named grant-nothing/);
  const badOverlap = await svcnet(['site', 'rotate-certificates', '--overlap', '10ms', '--dir', A]);
  assert.is(badOverlap.code, 2);
  assert.match(badOverlap.stderr, /--overlap "10ms" must be at least 1s/);
});

test.run();
