// How `svcnet bench` shows a run (issue 14), pure: the progress line and the plain table of the
// result. Gbit/s are 10^9 bits per second, as iperf3 and `npm run bench` report them.
import type { BenchmarkProgress, BenchmarkResult } from '../api/types.js';

const PHASES: Record<string, string> = { throughput: 'throughput', latency: 'latency', rate: 'new flows' };

/** One line: the phase, the time so far and, while bytes move, the rate. */
export function progressLine(p: BenchmarkProgress): string {
  const t = `${(p.elapsedMs / 1000).toFixed(1)}s`;
  if (p.phase !== 'throughput') return `${t}  measuring ${PHASES[p.phase] ?? p.phase}`;
  return `${t}  throughput ${p.gbps.toFixed(2)} Gbit/s  ${(p.bytes / 2 ** 20).toFixed(0)} MiB sent`;
}

const ENDS: Record<string, string> = {
  socket: 'socket (loopback TCP sockets at both ends, through listener and connector flows)',
  engine: 'engine (engine to engine, no socket at either end: the network alone)',
};

const fix = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '-');

/** The result as label/value rows. */
export function resultRows(r: BenchmarkResult): [string, string][] {
  const sites = r.path.sites.map((s) => s.name).join(' -> ');
  const links = r.path.links.map((l) => `${l.from}-${l.to} cost ${l.cost}`).join(', ');
  const t = r.throughput;
  const rows: [string, string][] = [
    ['PATH', `${sites} (${r.path.hops} hop${r.path.hops === 1 ? '' : 's'}: ${links})`],
    ['ENDS', ENDS[r.ends] ?? (r.ends || 'engine')],
    ['THROUGHPUT', `${fix(t.totalGbps)} Gbit/s over ${t.flows} flow${t.flows === 1 ? '' : 's'} (${(t.bytes / 2 ** 20).toFixed(0)} MiB in ${fix(t.seconds, 1)} s)`],
  ];
  if (t.perFlowGbps.length > 1) rows.push(['PER FLOW', t.perFlowGbps.map((g) => fix(g)).join(' ') + ' Gbit/s']);
  rows.push(
    ['LATENCY', `p50 ${fix(r.latency.p50Ms, 3)} ms  p90 ${fix(r.latency.p90Ms, 3)} ms  p99 ${fix(r.latency.p99Ms, 3)} ms (${r.latency.size} B echoed, ${r.latency.samples} round trips)`],
    ['NEW FLOWS', `${fix(r.rate.flowsPerSec, 0)}/s (${r.rate.flows} opened and closed in ${fix(r.rate.seconds, 1)} s${r.rate.failed ? `, ${r.rate.failed} failed` : ''})`],
  );
  if (r.cpu.length > 0) rows.push(['CPU PER GB', r.cpu.map((c) => `${c.site} (${c.role}) ${fix(c.secondsPerGb)} s`).join(', ')]);
  for (const n of r.notes) rows.push(['NOTE', n]);
  return rows;
}

/** The table, first line naming the pair. */
export function resultTable(r: BenchmarkResult): string {
  const rows = resultRows(r);
  const w = Math.max(...rows.map(([k]) => k.length));
  return [`bench ${r.from.name} -> ${r.to.name}`, ...rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`)].join('\n') + '\n';
}
