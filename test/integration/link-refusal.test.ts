// Issue 15: a dialing site refused by revocation or policy learns why and backs off. Two real sites
// on loopback: alpha (link access) and beta (dials it). Revoked: beta's status says so within a
// bound and beta stops dialing (alpha's count of refused handshakes stands still), also after beta
// restarts; a re-issued link (link generate, applied over the old one) dials again. Refused by
// policy: beta says why and redials with a growing backoff. A peer with a revoked certificate that
// floods the link port gets the reason each time, and the refusing site logs at a bounded rate.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import * as P from '../../wasm/assembly/protocol.js';
import { svcnet, svcnetOk, runSite, kill, stopAll, tempDir, waitFor, runtimeStatus, logCount } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { LinkPeer, readCredentials } from '../helpers/link-peer.js';
import { LOG_BURST, LOG_WINDOW_MS } from '../../common/log-budget.js';
import type { LinkStatus } from '../../dataplane/port/report.js';

const root = tempDir();
const A = path.join(root, 'alpha');
const B = path.join(root, 'beta');
const M = path.join(root, 'mallory');
let ports: number[];
let siteB: ChildProcess;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** beta's outbound link as its engine reports it */
const link = (): LinkStatus | undefined => (runtimeStatus(B) as unknown as { links: LinkStatus[] } | undefined)?.links.find((l) => l.name === 'link-alpha' && l.direction === 'outbound');
/** handshakes alpha refused with `code` (its status, security.refused) */
const refused = (code: string): number => (runtimeStatus(A) as unknown as { security?: { refused: Record<string, number> } } | undefined)?.security?.refused[code] ?? 0;
const siteId = async (dir: string) => JSON.parse(await svcnetOk(['site', 'status', '-o', 'json', '--dir', dir])).id as string;

test.before(async () => {
  ports = await freePorts(3);
  await svcnetOk(['site', 'create', 'alpha', '--dir', A, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await svcnetOk(['site', 'create', 'beta', '--dir', B, '--console-port', String(ports[2])]);
  await svcnetOk(['site', 'create', 'mallory', '--dir', M]);
  runSite(A);
  siteB = runSite(B);
  await waitFor('sites running', () => runtimeStatus(A) && runtimeStatus(B));
  const token = path.join(root, 't.yaml');
  await svcnetOk(['token', 'issue', token, '--dir', A]);
  await svcnetOk(['token', 'redeem', token, '--dir', B]);
  const mt = path.join(root, 'm.yaml');
  await svcnetOk(['token', 'issue', mt, '--dir', A]);
  await svcnetOk(['token', 'redeem', mt, '--dir', M]); // mallory never runs: the test dials with her certificate
  await waitFor('link ready', () => link()?.status === 'ready', 20_000);
});

test.after(async () => {
  await stopAll();
  fs.rmSync(root, { recursive: true, force: true });
});

test('issue 15: revoked: the dialer shows "refused: certificate revoked by site alpha" within 3 s and stops dialing, also after a restart', async () => {
  const t0 = Date.now();
  await svcnetOk(['link', 'delete', 'beta', '--dir', A]); // revokes beta's certificates; the live link is closed
  const l = await waitFor('beta shows the revocation', () => (link()?.status === 'revoked' ? link() : undefined), 3000, 50);
  const shownIn = Date.now() - t0;
  assert.match(l.message, /^refused: certificate revoked by site alpha \(.*revoked.*\); not redialing until this link's credentials change/);
  assert.is(l.refusal?.code, 'SVCNET_ERR_CERT_REVOKED');
  assert.is(l.refusal?.by, 'alpha');
  assert.is(l.refusal?.redial, 'held');
  const cli = await svcnet(['link', 'status', '--dir', B]);
  assert.is(cli.code, 0);
  assert.match(cli.stdout, /link-alpha\s+outbound\s+.*revoked\s+refused: certificate revoked by site alpha/);
  const net = await svcnet(['network', 'status', '--dir', B]);
  assert.is(net.code, 0);
  assert.match(net.stdout, /\nlink-alpha\s+outbound\s+-\s+revoked\s+refused: certificate revoked by site alpha/);
  // The console draws its links table from /api/status: state and message.
  const page = await (await fetch(`http://127.0.0.1:${ports[2]}/api/status`)).json() as { links: LinkStatus[] };
  const shown = page.links.find((x) => x.name === 'link-alpha')!;
  assert.is(shown.status, 'revoked');
  assert.match(shown.message, /^refused: certificate revoked by site alpha/);
  // No redial: alpha's link port sees no handshake of beta's over 8 s (before, beta redialed every ≤5 s).
  const before = refused('SVCNET_ERR_CERT_REVOKED');
  await sleep(8000);
  assert.is(refused('SVCNET_ERR_CERT_REVOKED'), before, 'beta dialed a revoked certificate again');
  assert.is(link()?.status, 'revoked');
  // A restarted beta dials once, is told at the handshake (GOAWAY before any link), and holds again.
  await kill(siteB);
  siteB = runSite(B);
  await waitFor('the restarted beta refused once', () => refused('SVCNET_ERR_CERT_REVOKED') === before + 1, 15_000);
  await waitFor('and it shows why', () => link()?.status === 'revoked' && /certificate revoked by site alpha/.test(link()!.message), 5000);
  await sleep(6000);
  assert.is(refused('SVCNET_ERR_CERT_REVOKED'), before + 1, 'the restarted beta dialed its revoked certificate again');
  console.log(`  revocation shown at beta ${shownIn} ms after the delete`);
});

test('issue 15: a re-issued link (link generate applied over the revoked one) dials again at once', async () => {
  const file = path.join(root, 'link.yaml');
  await svcnetOk(['link', 'generate', 'beta', '--peer-id', await siteId(B), '-o', file, '--dir', A]);
  const t0 = Date.now();
  await svcnetOk(['apply', '-f', file, '--dir', B]);
  await waitFor('linked with the new certificate', () => link()?.status === 'ready', 10_000, 50);
  assert.is(link()?.refusal, undefined, 'the refusal is cleared once linked');
  // The new certificate came to the held dialer through the port (certificates push), which dialed again.
  assert.ok(logCount(B, /link credentials changed; dialing again/) >= 1, 'the held dialer was restarted by its new credentials');
  assert.match(link()!.message, /^linked to alpha/);
  console.log(`  relinked ${Date.now() - t0} ms after the new link was applied`);
});

test('issue 15: refused by policy: the reason is shown and beta redials with a growing backoff; allowed again, it links', async () => {
  await svcnetOk(['site', 'policy', '--allow-peers', 'gamma', '--dir', A]);
  const l = await waitFor('beta shows the policy refusal', () => (link()?.status === 'refused' ? link() : undefined), 3000, 50);
  assert.match(l.message, /^refused: not allowed by the policy of site alpha \(site "beta" is not in this site's allowed peers \(gamma\)\); redial in \d+ s/);
  assert.is(l.refusal?.code, 'SVCNET_ERR_POLICY_DENIED');
  assert.is(l.refusal?.redial, 'backoff');
  assert.ok(l.refusal?.retryAt);
  // Refusal backoff 1 s doubling (jitter 0.5..1): 3 or 4 redials in 12 s; the old 200 ms..5 s backoff made 6 or more.
  const before = refused('SVCNET_ERR_POLICY_DENIED');
  await sleep(12_000);
  const redials = refused('SVCNET_ERR_POLICY_DENIED') - before;
  assert.ok(redials >= 2 && redials <= 5, `${redials} refused redials in 12 s`);
  assert.is(link()?.status, 'refused');
  await svcnetOk(['site', 'policy', '--allow-peers', 'any', '--dir', A]);
  // The next redial is at most 32 s away (the 6th refusal's backoff).
  await waitFor('linked again once the policy allows it', () => link()?.status === 'ready', 40_000, 200);
  console.log(`  ${redials} refused redials in 12 s`);
});

test('issue 15: a flood of dials with a revoked certificate gets the reason each time; the refusing site logs a bounded number of lines', async () => {
  const cred = readCredentials(M);
  // Revoke mallory's certificate.
  await svcnetOk(['link', 'delete', 'mallory', '--dir', A]);
  await sleep(300);
  const linesBefore = logCount(A, /"link refused"/);
  const floodStart = Date.now();
  const peers: LinkPeer[] = [];
  for (let i = 0; i < 40; i++) peers.push(await LinkPeer.connect(ports[0], cred));
  for (const p of peers) { await p.waitFrame((f) => f.type === P.FRAME_GOAWAY, 3000); await p.waitClosed(3000); }
  for (const p of peers) assert.is(p.goAway()?.code, P.ERR_CERT_REVOKED);
  assert.match(peers[0].goAway()!.reason, /revoked/);
  assert.ok(peers[0].goAway()!.reason.length <= 240);
  const lines = logCount(A, /"link refused"/) - linesBefore;
  // The budget logs LOG_BURST lines and one summary per window: the flood may cross into a window that an earlier
  // refusal opened, and on a slow machine 40 TLS dials can outlast a window.
  const windows = Math.ceil((Date.now() - floodStart) / LOG_WINDOW_MS) + 1;
  assert.ok(lines <= (LOG_BURST + 1) * windows && lines < 40, `${lines} "link refused" lines for 40 refusals over ${windows} log windows`);
  assert.ok(runtimeStatus(A), 'alpha still runs');
});

test.run();
