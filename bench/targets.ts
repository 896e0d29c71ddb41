// The targets of issues 7, 11, 12 and 13, checked against this run's medians. Each is a ratio against figures of the
// same run, never a timed test; a missed target is reported plainly with its measured ratio.
import { bestPeer, median, type Results } from './results.js';
import { mdTable, num } from './tables.js';
import { pairedRatio } from './paired.js';
import type { Metric } from './scenarios/scenario.js';

interface Verdict { target: string; measured: string; verdict: 'met' | 'MISSED' | 'not measured' | 'no bound' }


function check(target: string, value: number, ok: (v: number) => boolean, measured: string): Verdict {
  if (!Number.isFinite(value)) return { target, measured: 'not measured in this run', verdict: 'not measured' };
  return { target, measured, verdict: ok(value) ? 'met' : 'MISSED' };
}

/** The naive Node relay: a peer, but not one of the C tunnels the targets compare against. */
const NODE_RELAY = 'node-tls';

/** The C peer (nginx, haproxy, stunnel) with the best median for a metric. */
function bestCPeer(r: Results, scenario: string, m: Metric): { name: string; value: number } | undefined {
  return bestPeer({ ...r, setups: r.setups.filter((s) => s.name !== NODE_RELAY) }, scenario, m);
}

function metric(r: Results, scenario: string, key: string): Metric | undefined {
  return r.scenarios.find((s) => s.name === scenario)?.metrics.find((x) => x.key === key);
}

/** svcnet's median over the best C peer's (or the given setup's) for one metric. */
function ratio(r: Results, scenario: string, key: string, site: string, against?: string): { ratio: number; text: string } {
  const m = metric(r, scenario, key);
  const other = !m ? undefined : against ? { name: against, value: median(r, scenario, against, key) } : bestCPeer(r, scenario, m);
  const mine = median(r, scenario, site, key);
  if (!m || !other || !Number.isFinite(mine) || !Number.isFinite(other.value)) return { ratio: NaN, text: '' };
  return { ratio: mine / other.value, text: `${site} ${num(mine, m.digits)} ${m.unit} vs ${other.name} ${num(other.value, m.digits)} → ${(mine / other.value).toFixed(2)}×` };
}

/** Observed http1 against tcp: the paired rounds' median ratio where the run made them (paired.ts), else the ratio of medians. */
function observedRatio(r: Results, scenario: string): { ratio: number; text: string } {
  const c = { scenario, base: 'svcnet-2', other: 'svcnet-2-http1', metric: 'rps' };
  const p = r.pairs ? pairedRatio(r.pairs, c) : undefined;
  if (!p) return ratio(r, scenario, 'rps', c.other, c.base);
  return { ratio: p.median, text: `${c.other} vs ${c.base}, ${p.n} paired rounds: median ratio ${p.median.toFixed(2)}× (middle half ${p.q1.toFixed(2)}–${p.q3.toFixed(2)}×)` };
}

/** Every figure of svcnet-2 that is at least as good as the naive Node relay's, and those that are not. */
function againstNodeRelay(r: Results): Verdict {
  const worse: string[] = [];
  let compared = 0;
  for (const sc of r.scenarios) {
    for (const m of sc.metrics) {
      const mine = median(r, sc.name, 'svcnet-2', m.key);
      const relay = median(r, sc.name, NODE_RELAY, m.key);
      if (!Number.isFinite(mine) || !Number.isFinite(relay)) continue;
      compared++;
      if (m.higherIsBetter ? mine < relay : mine > relay) worse.push(`${sc.name} ${m.key} ${(mine / relay).toFixed(2)}×`);
    }
  }
  const target = 'every figure of svcnet-2 ≥ the naive Node relay';
  if (compared === 0) return { target, measured: 'not measured in this run', verdict: 'not measured' };
  return { target, measured: worse.length ? `worse in ${worse.length} of ${compared}: ${worse.join(', ')}` : `all ${compared} figures`, verdict: worse.length ? 'MISSED' : 'met' };
}

/** Every target with its measured ratio and a verdict: issue 11's (the data-plane engine) first,
 *  then the issue 7 targets it did not replace. */
export function verdicts(r: Results): Verdict[] {
  const out: Verdict[] = [];
  const vs = (target: string, scenario: string, key: string, ok: (v: number) => boolean) => {
    const x = ratio(r, scenario, key, 'svcnet-2');
    out.push(check(target, x.ratio, ok, x.text));
  };
  vs('one flow ≥ 1.1× the best C peer', 'bulk-1', 'gbps', (v) => v >= 1.1);
  vs('8 flows ≥ 1.0× the best C peer', 'bulk-8', 'gbps', (v) => v >= 1);
  vs('64 flows ≥ 1.0× the best C peer', 'bulk-64', 'gbps', (v) => v >= 1);
  for (const sc of ['bulk-1', 'bulk-8', 'bulk-64']) vs(`CPU per GB, both sites, ≤ 1.0× the best C peer (${sc})`, sc, 'cpuPerGB', (v) => v <= 1);
  out.push(againstNodeRelay(r));
  vs('ping-pong p50 ≤ 1.0× the best C peer', 'pingpong', 'p50us', (v) => v <= 1);
  vs('HTTP 1 KiB req/s ≥ 1.0× the best C peer', 'http-1k', 'rps', (v) => v >= 1);
  const p99 = median(r, 'http-1k', 'svcnet-2', 'p99ms');
  out.push(check('HTTP 1 KiB p99 ≤ 10 ms', p99, (v) => v <= 10, `svcnet-2 p99 ${num(p99, 1)} ms`));
  for (const site of ['svcnet-2', 'svcnet-3']) {
    const idle = median(r, 'idle-rss', site, 'rssNode');
    const pss = median(r, 'idle-rss', site, 'pssNode');
    out.push(check(`RSS ≤ 50 MiB per site when idle (${site}; a site is its control and engine processes)`, idle, (v) => v <= 50, `largest site ${num(idle, 1)} MiB (PSS ${num(pss, 1)} MiB)`));
    const busy = median(r, 'bulk-8', site, 'rssNode');
    out.push(check(`RSS ≤ 60 MiB per site at 8 flows (${site})`, busy, (v) => v <= 60, `largest site ${num(busy, 1)} MiB`));
  }
  for (const sc of ['bulk-1', 'bulk-8']) {
    const hop = ratio(r, sc, 'gbps', 'svcnet-3', 'svcnet-2');
    out.push(check(`a second hop keeps ≥ 70% of one-hop throughput (${sc})`, hop.ratio, (v) => v >= 0.7, hop.text));
  }
  const quiet = median(r, 'pingpong', 'svcnet-2', 'p99us');
  const busy = median(r, 'pingpong-busy', 'svcnet-2', 'p99us');
  const signs = median(r, 'pingpong-busy', 'svcnet-2', 'signsPerSec');
  out.push(check('ping-pong p99 while the site signs certificates in a loop ≤ 1.2× the quiet p99', busy / quiet, (v) => v <= 1.2,
    `svcnet-2 p99 ${num(busy, 0)} µs busy (${num(signs, 1)} signatures/s) vs ${num(quiet, 0)} µs quiet → ${(busy / quiet).toFixed(2)}×`));
  for (const sc of ['bulk-1', 'bulk-8']) {
    const open = ratio(r, sc, 'gbps', 'svcnet-2-console', 'svcnet-2');
    out.push(check(`an open console costs < 2% of throughput (issue 12; ${sc})`, open.ratio, (v) => v > 0.98, open.text));
  }
  for (const sc of ['http-1k', 'http-64k']) {
    const observed = observedRatio(r, sc);
    out.push(check(`observing HTTP/1.1 costs ≤ 5% of requests/s against tcp (issue 13; ${sc})`, observed.ratio, (v) => v >= 0.95, observed.text));
    // Issue 13 asks to measure what request mode costs, with no bound: shown, never MISSED.
    const request = ratio(r, sc, 'rps', 'svcnet-2-http1-request', 'svcnet-2-http1');
    out.push({ target: `request mode against connection mode, measured (issue 13; ${sc})`, measured: request.text || 'not measured in this run', verdict: Number.isFinite(request.ratio) ? 'no bound' : 'not measured' });
  }
  const conn = ratio(r, 'connect-rate', 'cps', 'svcnet-2');
  out.push(check('new connections/s ≥ 4× the best per-connection-TLS C peer (issue 7)', conn.ratio, (v) => v >= 4, conn.text));
  const starved = median(r, 'mixed', 'svcnet-2', 'p99us');
  out.push(check('ping-pong p99 < 5 ms beside 64 bulk flows (issue 7)', starved, (v) => v < 5000, `svcnet-2 p99 ${num(starved / 1000, 2)} ms`));
  const idle = median(r, 'idle-flows', 'svcnet-2', 'kibPerFlow');
  out.push(check('memory per idle flow ≤ 16 KiB, both sites together (issue 7)', idle, (v) => v <= 16, `${num(idle, 1)} KiB per flow`));
  return out;
}

/** The targets as a markdown table. */
export function targetsTable(r: Results): string {
  return mdTable(['target', 'measured (medians of this run; paired rounds where it says so)', 'verdict'], verdicts(r).map((v) => [v.target, v.measured, v.verdict]));
}
