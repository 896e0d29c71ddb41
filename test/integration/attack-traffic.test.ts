// Issue 12 item 2: traffic summaries cross a trust boundary. A linked site (mallory, a real link
// certificate issued by bravo) receives alpha's genuine summary through bravo, then tries to
// overwrite it with forgeries, replays it, and sends oversized and floods of TRAFFIC frames.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import * as P from '../../wasm/assembly/protocol.js';
import { svcnetOk, runSite, stopAll, tempDir, waitFor, runtimeStatus, siteLog } from '../helpers/cli.js';
import { freePorts } from '../helpers/ports.js';
import { LinkPeer, readCredentials, frame, type LinkCredentialsPem } from '../helpers/link-peer.js';
import { SiteIdentity, keyOwnsId, verifySignature } from '../../common/identity.js';
import { decodeSummary, sealBody, summaryBody } from '../../dataplane/traffic/summary-codec.js';

const root = tempDir();
const A = path.join(root, 'alpha');
const B = path.join(root, 'bravo');
const M = path.join(root, 'mallory');
const env = { SVCNET_TRAFFIC_INTERVAL_MS: '500', SVCNET_ROUTE_REFRESH_MS: '500' };
let ports: number[];
let cred: LinkCredentialsPem;
let mallory: SiteIdentity;
let alpha: SiteIdentity;
const peers: LinkPeer[] = [];

const identityOf = (dir: string) => SiteIdentity.fromPem(fs.readFileSync(path.join(dir, 'pki', 'site-identity.pem'), 'utf8'));
type Traffic = { sites: { id: string; name: string; stale: boolean; keys: { key: string }[]; links: { name: string }[] }[] };
const traffic = async (): Promise<Traffic> => (await fetch(`http://127.0.0.1:${ports[4]}/api/traffic`)).json() as Promise<Traffic>;
const refused = (name: string) => ((runtimeStatus(B) as unknown as { security: { refused: Record<string, number> } } | undefined)?.security.refused[name] ?? 0);

async function connect(): Promise<LinkPeer> {
  const p = await LinkPeer.connect(ports[2], cred);
  peers.push(p);
  p.helloFrom(M, { traffic: true });
  await p.waitFrame((f) => f.type === P.FRAME_HELLO, 5000, 'HELLO');
  p.keepAlive();
  return p;
}

/** Alpha's genuine summary as it reaches mallory through bravo. */
async function alphaSummary(p: LinkPeer, after = 0): Promise<Buffer> {
  const f = await p.waitFrame((x) => x.type === P.FRAME_TRAFFIC && (decodeSummary(x.payload)?.summary.origin === alpha.id) && decodeSummary(x.payload)!.summary.seq > after, 10_000, 'alpha\'s TRAFFIC');
  return f.payload;
}

test.before(async () => {
  ports = await freePorts(5);
  await svcnetOk(['site', 'create', 'alpha', '--dir', A, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await svcnetOk(['site', 'create', 'bravo', '--dir', B, '--link-access', '--link-port', String(ports[2]), '--grant-port', String(ports[3]), '--console-port', String(ports[4])]);
  await svcnetOk(['site', 'create', 'mallory', '--dir', M]);
  runSite(A, { env });
  runSite(B, { env });
  await waitFor('sites running', () => runtimeStatus(A) && runtimeStatus(B), 20_000);
  await svcnetOk(['token', 'issue', path.join(root, 'ab.yaml'), '--dir', A]);
  await svcnetOk(['token', 'redeem', path.join(root, 'ab.yaml'), '--dir', B]);
  await svcnetOk(['token', 'issue', path.join(root, 'bm.yaml'), '--dir', B]);
  await svcnetOk(['token', 'redeem', path.join(root, 'bm.yaml'), '--dir', M]);
  cred = readCredentials(M);
  mallory = identityOf(M);
  alpha = identityOf(A);
  await waitFor('bravo shows alpha\'s traffic', async () => (await traffic()).sites.find((s) => s.name === 'alpha' && !s.stale), 20_000);
});

test.after(async () => {
  for (const p of peers) p.close();
  await stopAll();
  fs.rmSync(root, { recursive: true, force: true });
});

test('issue 12: alpha\'s summary reaches a site two hops away, signed by alpha', async () => {
  const p = await connect();
  const w = decodeSummary(await alphaSummary(p))!;
  assert.is(w.summary.name, 'alpha');
  assert.ok(keyOwnsId(w.pub, alpha.id) && verifySignature(w.pub, w.signed, w.sig.toString('base64')));
  assert.ok(w.summary.links.some((l) => l.peer === 'bravo' && l.up), 'alpha reports its link to bravo');
  p.close();
});

test('issue 12: forged summaries for alpha (mallory\'s key; alpha\'s key claimed) reset mallory\'s link and change nothing at bravo', async () => {
  for (const pub of [mallory.pub, alpha.pub]) {
    const p = await connect();
    const genuine = decodeSummary(await alphaSummary(p))!.summary;
    const forged = { ...genuine, seq: genuine.seq + 60_000, keys: [{ key: 'evil', role: 'connector' as const, peerSite: 'x', opened: 1e6, active: 0, failed: 0, bytesToServer: 1e12, bytesToClient: 0, rateToServer: 1e9, rateToClient: 0, ttfbP50Ms: -1, ttfbP99Ms: -1 }] };
    p.send(P.FRAME_TRAFFIC, 0, sealBody(summaryBody(forged, pub), (b) => mallory.sign(b)));
    const g = await p.waitFrame((f) => f.type === P.FRAME_GOAWAY, 10_000, 'GOAWAY').then(() => p.goAway()!);
    assert.is(g.code, P.ERR_ROUTES_BUDGET);
    assert.match(g.reason, /SVCNET_ERR_TRAFFIC_FORGED/);
    await p.waitClosed();
  }
  await waitFor('forgeries counted', () => refused('SVCNET_ERR_TRAFFIC_FORGED') >= 2, 10_000);
  // Alpha's later summaries are still taken (the forged seq was never held) and the forged key never shows.
  await waitFor('alpha fresh at bravo', async () => (await traffic()).sites.find((s) => s.name === 'alpha' && !s.stale), 10_000);
  const t = await traffic();
  assert.not.ok(t.sites.some((s) => s.keys.some((k) => k.key === 'evil')), 'the forged row is nowhere');
});

test('issue 12: a replayed genuine summary is ignored without blame; oversized and flooded TRAFFIC frames are dropped, the link stays', async () => {
  const p = await connect();
  const old = await alphaSummary(p);
  const seq = decodeSummary(old)!.summary.seq;
  await alphaSummary(p, seq); // a newer one exists: the captured one is now a replay
  p.send(P.FRAME_TRAFFIC, 0, old);
  // Oversized: 40 KiB (the control-frame bound is 60 KiB, the summary bound 32 KiB).
  p.write(frame(P.FRAME_TRAFFIC, 0, Buffer.alloc(40 * 1024, 0x7b)));
  // A flood within the link's control budget: 60 frames of 30 KiB (1.8 MB) against the traffic budget (1 MiB at once).
  for (let i = 0; i < 60; i++) p.write(frame(P.FRAME_TRAFFIC, 0, Buffer.alloc(30 * 1024, 0x20)));
  await waitFor('oversized and over-budget counted', () => refused('SVCNET_ERR_TRAFFIC_TOO_LARGE') >= 1 && refused('SVCNET_ERR_TRAFFIC_OVER_BUDGET') >= 1, 10_000);
  assert.ok(refused('SVCNET_ERR_TRAFFIC_MALFORMED') >= 1, 'frames within the budget were read and refused as malformed');
  // Still linked: bravo goes on flooding alpha's summaries to mallory, and no GOAWAY came.
  await alphaSummary(p, seq + 1);
  assert.not.ok(p.frames.some((f) => f.type === P.FRAME_GOAWAY), `no GOAWAY: ${p.goAway()?.reason}`);
  assert.not.ok(p.closed);
  assert.ok((siteLog(B).match(/traffic summary dropped/g) ?? []).length <= 30, 'warnings are rate-limited');
  const t = await traffic();
  assert.ok(t.sites.find((s) => s.name === 'alpha' && !s.stale), 'alpha still fresh at bravo');
});

test.run();
