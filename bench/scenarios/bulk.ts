// Bulk throughput: N flows each pull bytes from the backend's stream server as fast as they can;
// Gbit/s is counted at the client over a fixed window once all flows run and a warm-up passed.
// Also CPU seconds of the proxy processes per GB moved and, optionally, their peak RSS.
import net from 'node:net';
import { cpuSeconds, RssSampler } from '../proc-stats.js';
import { MiB, type Context, type Metric, type Scenario } from './scenario.js';

const FIRST_BYTES_TIMEOUT_MS = 20_000;

interface Params { port: number; flows: number; warmupMs: number; windowMs: number }
interface Result { windowBytes: number; windowSeconds: number; totalBytes: number; failed: number }

/** Load side (runs in the load process): opens the flows, waits until every flow has delivered
 *  its first bytes (handshakes done) plus the warm-up, counts bytes over the window, closes them all. */
export function receive(p: Params): Promise<Result> {
  return new Promise((resolve) => {
    let bytes = 0;
    let failed = 0;
    let flowing = 0;
    let done = false;
    const sockets: net.Socket[] = [];
    const startWindow = () => {
      const b0 = bytes;
      const t0 = performance.now();
      setTimeout(() => {
        const windowSeconds = (performance.now() - t0) / 1000;
        const windowBytes = bytes - b0;
        done = true;
        for (const s of sockets) s.destroy();
        resolve({ windowBytes, windowSeconds, totalBytes: bytes, failed: failed + (p.flows - flowing) });
      }, p.windowMs);
    };
    let warming = false;
    const opened = performance.now();
    const warmUp = () => {
      if (warming) return;
      warming = true;
      clearTimeout(giveUp);
      const ms = performance.now() - opened;
      if (ms > 1000) process.stderr.write(`bulk: ${flowing} of ${p.flows} flows to port ${p.port} started, the last after ${Math.round(ms)} ms\n`);
      setTimeout(startWindow, p.warmupMs);
    };
    const giveUp = setTimeout(warmUp, FIRST_BYTES_TIMEOUT_MS); // a flow that never starts shows up as a failure
    for (let i = 0; i < p.flows; i++) {
      let first = true;
      // Plain 'data' events: a shared `onread` buffer left some flows without their first bytes for
      // 10-25 s under load (Node 20), which would measure the tool, not the setup.
      const s = net.connect({ port: p.port, host: '127.0.0.1', noDelay: true });
      s.on('data', (d: Buffer) => {
        bytes += d.length;
        if (first) { first = false; if (++flowing === p.flows) warmUp(); }
      });
      s.on('connect', () => { s.write('S'); const ms = performance.now() - opened; if (ms > 1000) process.stderr.write(`bulk: connect to port ${p.port} took ${Math.round(ms)} ms\n`); });
      s.on('error', () => undefined);
      s.on('close', () => { if (!done) failed++; });
      sockets.push(s);
    }
  });
}

function metrics(withRss: boolean): Metric[] {
  const m: Metric[] = [
    { key: 'gbps', label: 'throughput', unit: 'Gbit/s', higherIsBetter: true, digits: 2 },
    { key: 'cpuPerGB', label: 'proxy CPU per GB moved', unit: 'CPU s/GB', higherIsBetter: false, digits: 2 },
  ];
  if (withRss) {
    m.push({ key: 'rssNode', label: 'peak RSS of the largest site or proxy (all its processes)', unit: 'MiB', higherIsBetter: false, digits: 1 });
    m.push({ key: 'rssProc', label: 'peak RSS of the largest proxy process', unit: 'MiB', higherIsBetter: false, digits: 1 });
    m.push({ key: 'rssTotal', label: 'peak RSS of all proxy processes', unit: 'MiB', higherIsBetter: false, digits: 1 });
  }
  return m;
}

/** A bulk scenario with `flows` concurrent flows. */
export function bulk(flows: number, withRss = false): Scenario {
  return {
    name: `bulk-${flows}`,
    title: flows === 1 ? 'one bulk flow' : `${flows} concurrent bulk flows`,
    metrics: metrics(withRss),
    settle: true,
    async run({ load, endpoint, opts }: Context) {
      const pids = endpoint.pids();
      const sampler = withRss ? new RssSampler(endpoint.nodes()) : undefined;
      const cpu0 = cpuSeconds(pids);
      const params: Params = { port: endpoint.port, flows, warmupMs: opts.warmupSeconds * 1000, windowMs: opts.bulkSeconds * 1000 };
      const r = await load.call<Result>('bulk', 'receive', params, (opts.warmupSeconds + opts.bulkSeconds) * 1000 + FIRST_BYTES_TIMEOUT_MS + 30_000);
      const cpu = cpuSeconds(pids) - cpu0;
      const mem = sampler?.stop();
      if (r.failed > 0) throw new Error(`${r.failed} of ${flows} flows ended early or never started`);
      if (r.windowBytes === 0) throw new Error('no bytes arrived in the measurement window');
      const out: Record<string, number> = {
        gbps: (r.windowBytes * 8) / r.windowSeconds / 1e9,
        cpuPerGB: pids.length ? cpu / (r.totalBytes / 1e9) : NaN,
      };
      if (mem) {
        const mib = (v: number) => (pids.length ? v / MiB : NaN);
        Object.assign(out, { rssNode: mib(mem.maxNode), rssProc: mib(mem.maxProc), rssTotal: mib(mem.maxTotal) });
      }
      return out;
    },
  };
}
