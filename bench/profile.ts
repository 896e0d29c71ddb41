// One CPU profile of a 2-site bulk flow: both site processes run under `node --cpu-prof`, one flow
// pulls bytes for a few seconds, the sites stop and write their profiles; we keep the top frames.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadClient } from './load-client.js';
import { processTree } from './proc-stats.js';
import type { RunningSetup } from './setups/setup.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** One function's self time as a share of the busy samples. */
export interface Frame { name: string; where: string; selfPct: number }
/** The summary of one site's profile. */
export interface SiteProfile { site: string; /** share of the window the process was busy */ busyPct: number; categories: Record<string, number>; top: Frame[]; file: string }
export interface ProfileSummary { seconds: number; gbps: number; sites: SiteProfile[] }

interface CpuNode { id: number; hitCount: number; callFrame: { functionName: string; url: string; lineNumber: number } }
interface CpuProfile { nodes: CpuNode[]; startTime: number; samples: number[]; timeDeltas: number[] }

function category(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(program)') return 'V8 and native, unattributed';
  if (url === '') return 'native bindings (writev, TLS, fs)';
  if (url.startsWith('wasm://') || url.includes('.wasm')) return 'wasm core';
  if (url.startsWith('node:')) return 'Node internals (JS)';
  if (url.includes('/node_modules/')) return 'dependencies';
  if (url.includes('/dist/')) return 'svcnet (JS)';
  return 'other';
}

/** Top self-time frames and time by category of one .cpuprofile, counting only samples taken
 *  between `fromUs` and `toUs` (CLOCK_MONOTONIC µs, the clock V8 stamps samples with) and leaving
 *  idle out, so start-up and setup do not blur the picture of the load. */
export function summarizeProfile(file: string, site: string, fromUs: number, toUs: number, top = 12): SiteProfile {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const hits = new Map<number, number>();
  let t = p.startTime;
  let all = 0;
  p.samples.forEach((id, i) => {
    t += p.timeDeltas[i];
    if (t < fromUs || t > toUs) return;
    all++;
    hits.set(id, (hits.get(id) ?? 0) + 1);
  });
  const by = new Map<string, { name: string; where: string; hits: number }>();
  const categories: Record<string, number> = {};
  let busy = 0;
  for (const n of p.nodes) {
    const h = hits.get(n.id) ?? 0;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)' || h === 0) continue;
    busy += h;
    const name = functionName || '(anonymous)';
    const where = url ? `${url.replace(/^file:\/\//, '').replace(ROOT, '')}:${lineNumber + 1}` : '';
    const k = `${name}@${where}`;
    const e = by.get(k) ?? by.set(k, { name, where, hits: 0 }).get(k)!;
    e.hits += h;
    const c = category(url, name);
    categories[c] = (categories[c] ?? 0) + h;
  }
  for (const c of Object.keys(categories)) categories[c] = Math.round((categories[c] / busy) * 1000) / 10;
  const frames = [...by.values()].sort((a, b) => b.hits - a.hits).slice(0, top)
    .map((e) => ({ name: e.name, where: e.where, selfPct: Math.round((e.hits / busy) * 1000) / 10 }));
  return { site, busyPct: all ? Math.round((busy / all) * 1000) / 10 : 0, categories, top: frames, file };
}

/** Relaunches the running svcnet-2 sites under the profiler, runs one flow for `seconds`, stops
 *  them (the profiles are written on exit) and summarizes both sites' profiles. */
export async function profileTwoSites(o: { running: RunningSetup; dir: string; load: LoadClient; seconds: number }): Promise<ProfileSummary> {
  // SVCNET_BENCH_PROFILE_DIR keeps the .cpuprofile files (the run's temporary directory is removed).
  const profDir = process.env.SVCNET_BENCH_PROFILE_DIR ?? path.join(o.dir, 'profiles');
  fs.mkdirSync(profDir, { recursive: true });
  if (!o.running.relaunch) throw new Error('this setup cannot be relaunched under the profiler');
  await o.running.relaunch(['--cpu-prof', '--cpu-prof-dir', profDir]);
  const [connectorPid, listenerPid] = o.running.pids();
  // Each site forks its data-plane engine, which inherits --cpu-prof: the bytes cross the engines.
  const engineOf = (pid: number) => processTree([pid]).find((p) => p !== pid) ?? -1;
  const connectorEngine = engineOf(connectorPid), listenerEngine = engineOf(listenerPid);
  let gbps = NaN;
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  let toUs = fromUs;
  try {
    const r = await o.load.call<{ windowBytes: number; windowSeconds: number }>('bulk', 'receive',
      { port: o.running.port, flows: 1, warmupMs: 300, windowMs: o.seconds * 1000 }, o.seconds * 1000 + 30_000);
    gbps = (r.windowBytes * 8) / r.windowSeconds / 1e9;
    toUs = Number(process.hrtime.bigint() / 1000n);
  } finally {
    await o.running.stop();
  }
  const files = fs.readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
  const find = (pid: number) => files.find((f) => f.includes(`.${pid}.`));
  const sites: SiteProfile[] = [];
  for (const [pid, role] of [[listenerEngine, 'listener engine'], [connectorEngine, 'connector engine'], [listenerPid, 'listener site'], [connectorPid, 'connector site']] as const) {
    const f = find(pid);
    if (f) sites.push(summarizeProfile(path.join(profDir, f), role, fromUs, toUs));
  }
  return { seconds: o.seconds, gbps, sites };
}
