// The four-site diamond the netns suites share: A (private, listeners) links to B and C, B and C
// link to D. Link costs A–B 1, A–C 1, B–D 1, C–D 2, so A reaches D through B at cost 2 (3 via C).
import fs from 'node:fs';
import { stopAll, tempDir, waitFor } from './cli.js';
import type { NetnsLab, Agent } from './netns.js';
import { createNsSite, startNsSite, linkNsSites, svcnetIn, costTo, listenerStatus, type NsSite } from './netns-sites.js';

export type SiteKey = 'a' | 'b' | 'c' | 'd';

export interface Diamond {
  lab: NetnsLab;
  root: string;
  sites: Record<SiteKey, NsSite>;
  agents: Record<SiteKey, Agent>;
}

/** Listener ports on A (host 127.0.0.1 in A's namespace), one per routing key. */
export const PORT = { up: 8001, down: 8002, slow: 8003, bal: 8005 } as const;
/** Framed download sizes of D's servers: 'down' as fast as it goes, 'slow' paced. */
export const DOWN_BYTES = 3 << 20;
export const SLOW_BYTES = 3 << 19;
export const SLOW_RATE = 512 << 10;
/** Port of the upload server behind every 'bal' connector (on B, C and D). */
export const BAL_SERVER = 9005;

const host = (n: number) => `10.231.0.${n}`;

/**
 * Builds namespaces, veths, sites, links, servers, connectors and listeners in `lab`; waits until A
 * routes to D. Whatever it made is removed by lab.cleanup(), also when it fails half-way.
 */
export async function buildDiamond(lab: NetnsLab): Promise<Diamond> {
  const root = tempDir('svcnet-diamond-');
  lab.onCleanup(stopAll);
  // SVCNET_KEEP_TEST_DIRS=1 keeps the state directories and site logs for a post-mortem.
  lab.onCleanup(() => { if (!process.env.SVCNET_KEEP_TEST_DIRS) fs.rmSync(root, { recursive: true, force: true }); else console.log(`kept ${root}`); });
  for (const s of ['a', 'b', 'c', 'd']) lab.add(s);
  ['a', 'b', 'c', 'd'].forEach((s, i) => lab.hostAddress(s, host(i + 1)));
  // Each neighbour reaches a site's host address over the veth they share; there is no forwarding,
  // so A and D have no IP path to each other at all: their traffic must be relayed by a site.
  const pairs: [string, string, number, number, number][] = [['a', 'b', 1, 1, 2], ['a', 'c', 2, 1, 3], ['b', 'd', 3, 2, 4], ['c', 'd', 4, 3, 4]];
  for (const [x, y, subnet, hx, hy] of pairs) {
    const { aIp, bIp } = lab.connect(x, y, subnet);
    lab.route(x, host(hy), bIp, lab.dev(x, y));
    lab.route(y, host(hx), aIp, lab.dev(y, x));
  }
  const [a, b, c, d] = await Promise.all([
    createNsSite(lab, root, 'a', 'site-a'),
    createNsSite(lab, root, 'b', 'site-b', host(2)),
    createNsSite(lab, root, 'c', 'site-c', host(3)),
    createNsSite(lab, root, 'd', 'site-d', host(4)),
  ]);
  const sites = { a, b, c, d };
  await Promise.all(Object.values(sites).map(startNsSite));
  await Promise.all([linkNsSites(root, a, b, 1), linkNsSites(root, a, c, 1), linkNsSites(root, b, d, 1), linkNsSites(root, c, d, 2)]);

  const [ag, bg, cg, dg] = await Promise.all(['a', 'b', 'c', 'd'].map((s) => lab.agent(s)));
  const agents = { a: ag, b: bg, c: cg, d: dg };
  await dg.call('uploadServer', { port: 9001 });
  await dg.call('downloadServer', { port: 9002, bytes: DOWN_BYTES });
  await dg.call('downloadServer', { port: 9003, bytes: SLOW_BYTES, rateBps: SLOW_RATE });
  for (const g of [bg, cg, dg]) await g.call('uploadServer', { port: BAL_SERVER });

  const connector = (s: NsSite, name: string, port: number) => svcnetIn(s.ns, ['connector', 'create', name, String(port), '--routing-key', name, '--dir', s.dir]);
  await Promise.all([
    connector(d, 'up', 9001), connector(d, 'down', 9002), connector(d, 'slow', 9003),
    connector(b, 'bal', BAL_SERVER), connector(c, 'bal', BAL_SERVER), connector(d, 'bal', BAL_SERVER),
  ]);
  for (const [name, port] of Object.entries(PORT)) {
    await svcnetIn(a.ns, ['listener', 'create', name, String(port), '--routing-key', name, '--host', '127.0.0.1', '--dir', a.dir]);
  }
  await waitFor('A routes to D through B at cost 2', () => costTo(a, 'site-d') === 2 && costTo(a, 'site-b') === 1 && costTo(a, 'site-c') === 1, 20_000);
  await waitFor('every listener on A open', () => Object.keys(PORT).every((n) => listenerStatus(a, n) === 'ready'), 10_000);
  return { lab, root, sites, agents };
}
