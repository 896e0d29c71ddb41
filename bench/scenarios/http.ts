// HTTP/1.1 through the setup with autocannon against the backend's node:http server: keep-alive,
// 64 connections, one body size per scenario; req/s and p50/p99 latency.
import type { Context, Scenario } from './scenario.js';

const CONNECTIONS = 64;

interface Params { port: number; path: string; seconds: number }
interface Result { rps: number; p50ms: number; p99ms: number; errors: number; non2xx: number }

interface AutocannonResult {
  requests: { total: number }; duration: number; errors: number; timeouts: number; non2xx: number;
  latency: { p50: number; p99: number };
}
type Autocannon = (o: object) => Promise<AutocannonResult>;

/** Load side: one autocannon run. */
export async function run(p: Params): Promise<Result> {
  // autocannon ships no types; this is the one call we make.
  const autocannon = ((await import('autocannon' as string)) as { default: Autocannon }).default;
  const r = await autocannon({ url: `http://127.0.0.1:${p.port}${p.path}`, connections: CONNECTIONS, duration: p.seconds, pipelining: 1 });
  return { rps: r.requests.total / r.duration, p50ms: r.latency.p50, p99ms: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx };
}

/** An HTTP scenario for a body of `kib` KiB. */
export function http(kib: number): Scenario {
  return {
    name: `http-${kib}k`,
    title: `HTTP/1.1 keep-alive, ${kib} KiB body, ${CONNECTIONS} connections (autocannon)`,
    metrics: [
      { key: 'rps', label: 'requests per second', unit: 'req/s', higherIsBetter: true, digits: 0 },
      { key: 'p50ms', label: 'latency p50', unit: 'ms', higherIsBetter: false, digits: 1 },
      { key: 'p99ms', label: 'latency p99', unit: 'ms', higherIsBetter: false, digits: 1 },
    ],
    async run({ load, endpoint, opts }: Context) {
      const r = await load.call<Result>('http', 'run', { port: endpoint.port, path: `/${kib}k`, seconds: opts.httpSeconds }, opts.httpSeconds * 1000 + 60_000);
      if (r.errors + r.non2xx > 0) throw new Error(`${r.errors} errors and ${r.non2xx} non-2xx responses`);
      return { rps: r.rps, p50ms: r.p50ms, p99ms: r.p99ms };
    },
  };
}
