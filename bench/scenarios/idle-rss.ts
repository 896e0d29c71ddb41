// Memory of an idle setup: each node (a site with its engine, or a proxy with its workers) right
// after start and one echo round trip, before any load. RSS counts shared pages (the Node binary)
// in every process; PSS splits them between the processes that share them, so both are reported.
import fs from 'node:fs';
import { nodeRss } from '../proc-stats.js';
import { MiB, type Context, type Scenario } from './scenario.js';

/** Proportional set size of a process in bytes (0 when it is gone). */
function pssBytes(pid: number): number {
  try {
    const m = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+) kB/m);
    return m ? Number(m[1]) * 1024 : 0;
  } catch { return 0; }
}

/** The idle memory scenario; it runs first, so no traffic has grown any heap yet. */
export const idleRssScenario: Scenario = {
  name: 'idle-rss',
  title: 'RSS of each site or proxy when idle (after start and one round trip)',
  metrics: [
    { key: 'rssNode', label: 'RSS of the largest site or proxy (all its processes)', unit: 'MiB', higherIsBetter: false, digits: 1 },
    { key: 'pssNode', label: 'PSS of the largest site or proxy (shared pages split)', unit: 'MiB', higherIsBetter: false, digits: 1 },
  ],
  settle: true,
  async run({ endpoint }: Context) {
    const nodes = endpoint.nodes();
    if (nodes.length === 0) return { rssNode: NaN, pssNode: NaN };
    const pss = nodes.map((n) => n.reduce((a, p) => a + pssBytes(p), 0));
    return { rssNode: Math.max(...nodeRss(nodes)) / MiB, pssNode: Math.max(...pss) / MiB };
  },
};
