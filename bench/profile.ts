// One CPU profile of a 2-site bulk flow: both site processes run under `node --cpu-prof`, one flow
// pulls bytes for a few seconds, the sites stop and write their profiles; we keep the top frames.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadClient } from './load-client.js';
import { svcnetSetup } from './setups/svcnet.js';
import type { CertPaths } from './certs.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Frame { name: string; where: string; selfPct: number }
export interface SiteProfile { site: string; busyPct: number; categories: Record<string, number>; top: Frame[]; file: string }
export interface ProfileSummary { seconds: number; gbps: number; sites: SiteProfile[] }

interface CpuNode { id: number; hitCount: number; callFrame: { functionName: string; url: string; lineNumber: number } }
interface CpuProfile { nodes: CpuNode[]; startTime: number; endTime: number }

function category(url: string, name: string): string {
  if (name.startsWith('(')) return name === '(garbage collector)' ? 'GC' : name === '(program)' ? 'native (TLS, syscalls, V8)' : name;
  if (url.startsWith('wasm://') || url.includes('.wasm')) return 'wasm core';
  if (url.startsWith('node:')) return 'Node internals (JS)';
  if (url.includes('/node_modules/')) return 'dependencies';
  if (url.includes('/dist/')) return 'svcnet (JS)';
  return 'other';
}

/** Top self-time frames and time by category of one .cpuprofile, idle time left out. */
export function summarizeProfile(file: string, site: string, top = 12): SiteProfile {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const by = new Map<string, { name: string; where: string; hits: number }>();
  const categories: Record<string, number> = {};
  let busy = 0;
  let all = 0;
  for (const n of p.nodes) {
    const { functionName, url, lineNumber } = n.callFrame;
    all += n.hitCount;
    if (functionName === '(idle)' || n.hitCount === 0) continue;
    busy += n.hitCount;
    const name = functionName || '(anonymous)';
    const where = url ? `${url.replace(/^file:\/\//, '').replace(ROOT, '')}:${lineNumber + 1}` : '';
    const k = `${name}@${where}`;
    const e = by.get(k) ?? by.set(k, { name, where, hits: 0 }).get(k)!;
    e.hits += n.hitCount;
    const c = category(url, name);
    categories[c] = (categories[c] ?? 0) + n.hitCount;
  }
  for (const c of Object.keys(categories)) categories[c] = Math.round((categories[c] / busy) * 1000) / 10;
  const frames = [...by.values()].sort((a, b) => b.hits - a.hits).slice(0, top)
    .map((e) => ({ name: e.name, where: e.where, selfPct: Math.round((e.hits / busy) * 1000) / 10 }));
  return { site, busyPct: Math.round((busy / all) * 1000) / 10, categories, top: frames, file };
}

/** Runs the profiled 2-site bulk flow under `dir` and summarizes both sites' profiles. */
export async function profileTwoSites(o: { dir: string; backendPort: number; certs: CertPaths; load: LoadClient; seconds: number }): Promise<ProfileSummary> {
  const profDir = path.join(o.dir, 'profiles');
  fs.mkdirSync(profDir, { recursive: true });
  const setup = svcnetSetup(2);
  const running = await setup.start({ backendPort: o.backendPort, dir: o.dir, certs: o.certs, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir] });
  const [connectorPid, listenerPid] = running.pids();
  let gbps = NaN;
  try {
    const r = await o.load.call<{ windowBytes: number; windowSeconds: number }>('bulk', 'receive',
      { port: running.port, flows: 1, warmupMs: 300, windowMs: o.seconds * 1000 }, o.seconds * 1000 + 30_000);
    gbps = (r.windowBytes * 8) / r.windowSeconds / 1e9;
  } finally {
    await running.stop();
  }
  const files = fs.readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
  const find = (pid: number) => files.find((f) => f.includes(`.${pid}.`));
  const sites: SiteProfile[] = [];
  for (const [pid, role] of [[listenerPid, 'listener site'], [connectorPid, 'connector site']] as const) {
    const f = find(pid);
    if (f) sites.push(summarizeProfile(path.join(profDir, f), role));
  }
  return { seconds: o.seconds, gbps, sites };
}
