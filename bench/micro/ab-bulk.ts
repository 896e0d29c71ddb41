// A/B of two svcnet builds under bulk load: both run as svcnet-2 side by side, rounds alternate
// A B / B A, and each run's CPU per GB (all site and engine processes) and Gbit/s is paired.
// `node dist/bench/micro/ab-bulk.js --a DIR [--b DIR] [--b-console] [--flows 1,8] [--rounds 8] [--seconds 1] [--hold S]`
// --b-console opens a console viewer on each of B's sites (bench/console-viewer.ts): with --a and --b
// the same build, the paired cost of an open console (issue 12), free of the spread between runs.
// Each side's peak RSS per process role (control, engine: the largest of its two sites) is printed
// idle and per run (bench/analysis/windows.md).
// DIR is a checkout with dist/, build/ and bin/ (--b defaults to this one). --hold S keeps one flow
// running through B for S seconds after the rounds (for `perf record -p` on the engines it prints).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkModule, installCleanup, stopAll } from '../procs.js';
import { LoadClient } from '../load-client.js';
import { cpuSeconds, processTree, quiesce, rssBytes } from '../proc-stats.js';
import { summarize } from '../stats.js';
import type { RunningSetup, SetupKind } from '../setups/setup.js';

const HERE = fileURLToPath(new URL('../../../', import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const dirA = path.resolve(opt('--a', ''));
const dirB = path.resolve(opt('--b', HERE));
const flowsList = opt('--flows', '1,8').split(',').map(Number);
const rounds = Number(opt('--rounds', '8'));
const seconds = Number(opt('--seconds', '1'));
const hold = Number(opt('--hold', '0'));
const bConsole = args.includes('--b-console');
if (!fs.existsSync(path.join(dirA, 'dist'))) { process.stderr.write('--a DIR: a checkout with dist/ (the baseline build)\n'); process.exit(2); }

interface Result { windowBytes: number; windowSeconds: number; totalBytes: number; failed: number }

async function setupOf(dir: string, consoles: boolean): Promise<SetupKind> {
  const m = await import(path.join(dir, 'dist/bench/setups/svcnet.js')) as { svcnetSetup(n: 2, workers?: number, consoles?: boolean): SetupKind };
  return m.svcnetSetup(2, 1, consoles);
}

function backend(root: string): Promise<number> {
  const child = forkModule(fileURLToPath(new URL('../backend.js', import.meta.url)), path.join(root, 'backend.log'));
  return new Promise((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'svcnet-ab-'));
const sides: { name: string; running: RunningSetup }[] = [];
// A's processes are tracked by A's own copy of procs.js: stop both sides by their setups.
installCleanup(async () => { await Promise.all(sides.map((s) => s.running.stop())); await stopAll(); });
const backendPort = await backend(root);
const load = LoadClient.start(path.join(root, 'load.log'));
for (const [name, dir] of [['A', dirA], ['B', dirB]] as const) {
  const kind = await setupOf(dir, name === 'B' && bConsole);
  fs.mkdirSync(path.join(root, name));
  const running = await kind.start({ backendPort, dir: path.join(root, name), certs: undefined as never });
  sides.push({ name, running });
  console.log(`${name}: ${dir} port ${running.port} pids ${processTree(running.pids()).join(' ')}`);
}

/** Largest RSS per role among `pids` now, in MiB: a site's engine runs dataplane/engine/main.js. */
function rssByRole(pids: number[], into = { control: 0, engine: 0 }): { control: number; engine: number } {
  for (const p of pids) {
    let cmd = '';
    try { cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8'); } catch { continue; }
    const role = cmd.includes('engine/main.js') ? 'engine' : 'control';
    into[role] = Math.max(into[role], rssBytes(p) / 2 ** 20);
  }
  return into;
}

async function bulk(s: RunningSetup, flows: number, ms: number): Promise<{ gbps: number; cpuPerGB: number; rss: { control: number; engine: number } }> {
  const pids = processTree(s.pids());
  await quiesce(pids, 1000);
  const c0 = cpuSeconds(pids);
  const rss = rssByRole(pids);
  const sampler = setInterval(() => rssByRole(pids, rss), 100);
  const r = await load.call<Result>('bulk', 'receive', { port: s.port, flows, warmupMs: 200, windowMs: ms }, ms + 60_000);
  clearInterval(sampler);
  const cpu = cpuSeconds(pids) - c0;
  if (r.failed > 0 || r.windowBytes === 0) return { gbps: NaN, cpuPerGB: NaN, rss };
  return { gbps: (r.windowBytes * 8) / r.windowSeconds / 1e9, cpuPerGB: cpu / (r.totalBytes / 1e9), rss };
}

const fmt = (x: number) => x.toFixed(3);
const fmtRss = (r: { control: number; engine: number }) => `RSS MiB control ${r.control.toFixed(1)} engine ${r.engine.toFixed(1)}`;
for (const s of sides) {
  const pids = processTree(s.running.pids());
  await quiesce(pids, 2000);
  console.log(`${s.name} idle: ${fmtRss(rssByRole(pids))}`);
}
for (const flows of flowsList) {
  const got: Record<string, { gbps: number[]; cpu: number[] }> = { A: { gbps: [], cpu: [] }, B: { gbps: [], cpu: [] } };
  const ratios: { gbps: number[]; cpu: number[] } = { gbps: [], cpu: [] };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [sides[1], sides[0]] : sides;
    const pair: Record<string, { gbps: number; cpuPerGB: number; rss: { control: number; engine: number } }> = {};
    for (const s of order) {
      pair[s.name] = await bulk(s.running, flows, seconds * 1000);
      got[s.name].gbps.push(pair[s.name].gbps);
      got[s.name].cpu.push(pair[s.name].cpuPerGB);
    }
    ratios.gbps.push(pair.B.gbps / pair.A.gbps);
    ratios.cpu.push(pair.B.cpuPerGB / pair.A.cpuPerGB);
    console.log(`bulk-${flows} round ${r + 1}: A ${fmt(pair.A.gbps)} Gbit/s ${fmt(pair.A.cpuPerGB)} s/GB ${fmtRss(pair.A.rss)} | ` +
      `B ${fmt(pair.B.gbps)} Gbit/s ${fmt(pair.B.cpuPerGB)} s/GB ${fmtRss(pair.B.rss)}`);
  }
  const m = (v: number[]) => { const s = summarize(v); return `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`; };
  console.log(`bulk-${flows} medians over ${rounds} rounds: Gbit/s A ${m(got.A.gbps)} B ${m(got.B.gbps)} B/A ${m(ratios.gbps)}; ` +
    `CPU s/GB A ${m(got.A.cpu)} B ${m(got.B.cpu)} B/A ${m(ratios.cpu)}`);
}
if (hold > 0) {
  console.log(`holding one flow through B for ${hold} s; engines: ${processTree(sides[1].running.pids()).join(' ')}`);
  await bulk(sides[1].running, 1, hold * 1000);
}
for (const s of sides) await s.running.stop();
await stopAll();
fs.rmSync(root, { recursive: true, force: true });
