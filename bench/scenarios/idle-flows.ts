// Memory per idle flow: open N flows through the setup (each proven end to end by a 1-byte echo),
// let them sit, and compare the proxy processes' RSS before and after; reported per 1,000 flows.
import net from 'node:net';
import { rssBytes } from '../proc-stats.js';
import { MiB, sleep, type Context, type Scenario } from './scenario.js';

const PARALLEL_OPENS = 50;
const SETTLE_MS = 500;

let open: net.Socket[] = [];

function openOne(port: number): Promise<net.Socket | undefined> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => s.write('i'));
    s.once('data', () => resolve(s));
    s.on('error', () => resolve(undefined));
    s.on('close', () => resolve(undefined));
  });
}

/** Load side: opens `flows` flows, at most 50 handshakes at a time, and keeps them open. */
export async function openFlows(p: { port: number; flows: number }): Promise<{ opened: number }> {
  let next = 0;
  const worker = async () => {
    while (next < p.flows) {
      next++;
      const s = await openOne(p.port);
      if (s) open.push(s);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_OPENS }, worker));
  return { opened: open.length };
}

/** Load side: closes every flow openFlows() left open. */
export async function closeFlows(): Promise<{ closed: number }> {
  const n = open.length;
  for (const s of open) s.destroy();
  open = [];
  return { closed: n };
}

const sumRss = (pids: number[]) => pids.reduce((a, p) => a + rssBytes(p), 0);

/** The idle-flows memory scenario. */
export const idleFlowsScenario: Scenario = {
  name: 'idle-flows',
  title: 'RSS of the proxy processes per 1,000 idle open flows',
  metrics: [
    { key: 'mibPer1000', label: 'RSS per 1,000 idle flows, all proxy processes', unit: 'MiB', higherIsBetter: false, digits: 1 },
    { key: 'kibPerFlow', label: 'RSS per idle flow, all proxy processes', unit: 'KiB', higherIsBetter: false, digits: 1 },
  ],
  async run({ load, endpoint, opts }: Context) {
    const pids = endpoint.pids();
    if (pids.length === 0) return { mibPer1000: NaN, kibPerFlow: NaN };
    const before = sumRss(pids);
    try {
      const r = await load.call<{ opened: number }>('idle-flows', 'openFlows', { port: endpoint.port, flows: opts.idleFlows }, 120_000);
      if (r.opened < opts.idleFlows) throw new Error(`only ${r.opened} of ${opts.idleFlows} flows opened`);
      await sleep(opts.quick ? SETTLE_MS / 2 : SETTLE_MS);
      const grew = sumRss(pids) - before;
      return { mibPer1000: (grew / MiB) * (1000 / r.opened), kibPerFlow: grew / 1024 / r.opened };
    } finally {
      await load.call('idle-flows', 'closeFlows', {}, 30_000);
    }
  },
};
