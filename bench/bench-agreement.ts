// Does `svcnet bench` agree with `npm run bench`? (issue 14: within 15% of svcnet-2's bulk-1 figure
// in the same session.) Starts two loopback sites linked by a token per ends mode, runs `svcnet bench`
// between them N times in each ends mode (socket: what applications get; engine: the network alone), each
// time right after `node dist/bench/run.js --only bulk-1 --setups svcnet-2 --rounds R` (a pair), and
// prints every figure, the medians and the verdict. Every process it starts is stopped by pid.
//
//   node dist/bench/bench-agreement.js [--runs 3] [--duration 10s] [--flows 1] [--ends socket,engine] [--npm-rounds 1 | --no-npm] [--show]
// (--show: at the end, one `svcnet bench` with its plain table, as README shows it.)
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from './ports.js';
import { installCleanup, startProcess, stopAll } from './procs.js';
import type { Results } from './results.js';

const BIN = fileURLToPath(new URL('../../bin/svcnet.js', import.meta.url));
const RUN = fileURLToPath(new URL('./run.js', import.meta.url));
/** The issue's bound: svcnet bench within 15% of npm run bench's svcnet-2 bulk-1. */
const WITHIN = 0.15;

interface Args { runs: number; duration: string; flows: number; ends: string[]; npmRounds: number; show: boolean }

function args(argv: string[]): Args {
  const a: Args = { runs: 3, duration: '10s', flows: 1, ends: ['socket', 'engine'], npmRounds: 1, show: false };
  for (let i = 0; i < argv.length; i++) {
    const v = () => { const x = argv[++i]; if (x === undefined) { process.stderr.write(`${argv[i - 1]} needs a value\n`); process.exit(2); } return x; };
    if (argv[i] === '--runs') a.runs = Math.max(1, Number(v()) | 0);
    else if (argv[i] === '--duration') a.duration = v();
    else if (argv[i] === '--flows') a.flows = Math.max(1, Number(v()) | 0);
    else if (argv[i] === '--ends') a.ends = v().split(',');
    else if (argv[i] === '--npm-rounds') a.npmRounds = Math.max(1, Number(v()) | 0);
    else if (argv[i] === '--no-npm') a.npmRounds = 0;
    else if (argv[i] === '--show') a.show = true;
    else { process.stderr.write(`unknown option ${argv[i]}\nusage: node dist/bench/bench-agreement.js [--runs N] [--duration 10s] [--flows N] [--ends socket,engine] [--npm-rounds N | --no-npm] [--show]\n`); process.exit(2); }
  }
  return a;
}

function run(cmd: string, argv: string[], timeoutMs = 600_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => (err ? reject(new Error(`${path.basename(argv[0] ?? cmd)} ${argv.slice(1).join(' ')}: ${stderr.trim() || err.message}`)) : resolve(stdout)));
  });
}
const cli = (argv: string[]) => run(process.execPath, [BIN, ...argv]);

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN; };
const spread = (xs: number[]) => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

/** svcnet-2 bulk-1 Gbit/s per round from `npm run bench`, in a run of its own. */
async function npmBench(root: string, rounds: number, tag: string): Promise<number[]> {
  const json = path.join(root, `npm-bench-${tag}.json`);
  await run(process.execPath, [RUN, '--only', 'bulk-1', '--setups', 'svcnet-2', '--rounds', String(rounds), '--no-profile', '--json', json], 900_000);
  const r = JSON.parse(fs.readFileSync(json, 'utf8')) as Results;
  return r.runs.filter((x) => x.scenario === 'bulk-1' && x.setup === 'svcnet-2' && !x.error && Number.isFinite(x.values.gbps)).map((x) => x.values.gbps);
}

/** Two linked sites under `root` (bench-0 gives link access, bench-1 redeems its token); their dirs. */
async function startPair(root: string): Promise<string[]> {
  const ports = await freePorts(2);
  const dirs = ['bench-0', 'bench-1'].map((n) => path.join(root, n));
  await cli(['site', 'create', 'bench-0', '--dir', dirs[0], '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await cli(['site', 'create', 'bench-1', '--dir', dirs[1]]);
  for (const d of dirs) startProcess(process.execPath, [BIN, 'site', 'run', '--dir', d], path.join(d, 'site.log'));
  const status = (d: string) => { try { return JSON.parse(fs.readFileSync(path.join(d, 'run', 'status.json'), 'utf8')) as { links: { status: string }[] }; } catch { return undefined; } };
  await until('the sites to run', () => dirs.every((d) => status(d)));
  const token = path.join(root, 'token.yaml');
  await cli(['token', 'issue', token, '--dir', dirs[0]]);
  await cli(['token', 'redeem', token, '--dir', dirs[1]]);
  await until('the link', () => dirs.every((d) => status(d)?.links.some((l) => l.status === 'ready')));
  return dirs;
}

async function main(): Promise<void> {
  const a = args(process.argv.slice(2));
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'svcnet-agreement-'));
  installCleanup(stopAll);
  console.log(`svcnet bench vs npm run bench: ${a.runs} runs per ends mode, ${a.flows} flow(s), ${a.duration}; logs in ${root}; load ${load()}`);
  const npm: number[] = [];
  // Two sites as svcnet-2 has them (the first gives link access, the second redeems its token), one
  // pair per ends mode: an engine that has served socket-ends flows, even a 1 s run, then spends
  // 1.3-4x the CPU per GB as an engine-ends sink (a mark-compact every ~70 ms, bench/RESULTS.md), so
  // engine ends measured on the socket pair were not the network alone.
  const pairs = new Map<string, string[]>();
  for (const ends of a.ends) pairs.set(ends, await startPair(path.join(root, ends)));
  // Pairs, so that a load that comes and goes on a shared machine hits both sides alike: one
  // `npm run bench` run of svcnet-2 bulk-1 (its own sites, started and stopped), then one
  // `svcnet bench` from bench-0 toward bench-1 per ends mode; each compared with its pair's figure.
  const figures = new Map<string, { gbps: number[]; ratios: number[] }>(a.ends.map((e) => [e, { gbps: [], ratios: [] }]));
  for (let i = 1; i <= a.runs; i++) {
    let pair = NaN;
    if (a.npmRounds) {
      const g = await npmBench(root, a.npmRounds, String(i));
      npm.push(...g);
      pair = median(g);
      console.log(`pair ${i}: npm run bench svcnet-2 bulk-1 ${g.map((x) => x.toFixed(2)).join(' ')} Gbit/s; load ${load()}`);
    }
    for (const ends of a.ends) {
      const out = await cli(['bench', '--to', 'bench-1', '--dir', pairs.get(ends)![0], '--flows', String(a.flows), '--duration', a.duration, '--ends', ends, '-o', 'json']);
      const r = JSON.parse(out) as { throughput: { totalGbps: number }; latency: { p50Ms: number }; rate: { flowsPerSec: number }; cpu: { site: string; role: string; secondsPerGb: number }[] };
      const f = figures.get(ends)!;
      f.gbps.push(r.throughput.totalGbps);
      if (Number.isFinite(pair)) f.ratios.push(r.throughput.totalGbps / pair);
      const cpu = r.cpu.map((c) => `${c.role} ${c.secondsPerGb.toFixed(2)}`).join(', ');
      console.log(`pair ${i}: svcnet bench --ends ${ends} ${r.throughput.totalGbps.toFixed(2)} Gbit/s${Number.isFinite(pair) ? ` (${(r.throughput.totalGbps / pair).toFixed(2)}×)` : ''}, latency p50 ${r.latency.p50Ms.toFixed(3)} ms, ${r.rate.flowsPerSec.toFixed(0)} new flows/s, CPU s/GB ${cpu}; load ${load()}`);
    }
  }
  if (a.show) console.log(`\n$ svcnet bench --to bench-1 --dir bench-0 --duration 5s --flows 2\n${await cli(['bench', '--to', 'bench-1', '--dir', (pairs.get('socket') ?? [...pairs.values()][0])[0], '--duration', '5s', '--flows', '2'])}`);
  await stopAll();
  console.log('');
  if (npm.length) console.log(`npm run bench svcnet-2 bulk-1: ${spread(npm)} Gbit/s (median, min–max of ${npm.length} rounds)`);
  for (const [ends, f] of figures) {
    const line = `svcnet bench --ends ${ends}: ${spread(f.gbps)} Gbit/s (${f.gbps.length} runs)`;
    if (!npm.length) { console.log(line); continue; }
    const ratio = median(f.ratios);
    console.log(`${line}; ${spread(f.ratios)}× its pair's npm run bench (median of ratios): ${Math.abs(ratio - 1) <= WITHIN ? 'within 15%' : 'MISSED (not within 15%)'}`);
  }
}

main().then(() => process.exit(0), async (err: Error) => { process.stderr.write(`bench-agreement: ${err.message}\n`); await stopAll(); process.exit(1); });
