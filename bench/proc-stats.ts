// Reads memory and CPU time of the proxy processes from /proc (Linux): the figures the bench
// reports as peak RSS, RSS per idle flow and CPU seconds per GB.
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';

const TICKS = (() => { try { return Number(execFileSync('getconf', ['CLK_TCK']).toString()) || 100; } catch { return 100; } })();

/** Fields of /proc/PID/stat after the command name (which may contain spaces): [0] state, [1] ppid, [11] utime, [12] stime. */
function statFields(pid: number): string[] | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch { return undefined; }
}

/** `roots` and all their live descendants (nginx and its worker, for example). */
export function processTree(roots: number[]): number[] {
  const children = new Map<number, number[]>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const f = statFields(Number(e));
    if (!f) continue;
    const ppid = Number(f[1]);
    (children.get(ppid) ?? children.set(ppid, []).get(ppid)!).push(Number(e));
  }
  const out: number[] = [];
  const walk = (p: number) => { out.push(p); for (const c of children.get(p) ?? []) walk(c); };
  for (const r of roots) if (statFields(r)) walk(r);
  return out;
}

function statusKiB(pid: number, field: string): number {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : 0;
  } catch { return 0; }
}

/** Resident set size in bytes (0 when the process is gone). */
export const rssBytes = (pid: number): number => statusKiB(pid, 'VmRSS') * 1024;
/** Peak resident set size over the process's life, in bytes. */
export const peakRssBytes = (pid: number): number => statusKiB(pid, 'VmHWM') * 1024;

/** User + system CPU seconds used so far by the given processes (threads included). */
export function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const p of pids) { const f = statFields(p); if (f) ticks += Number(f[11]) + Number(f[12]); }
  return ticks / TICKS;
}

/** RSS of each node (the sum of its processes), in bytes. */
export const nodeRss = (nodes: number[][]): number[] => nodes.map((n) => n.reduce((a, p) => a + rssBytes(p), 0));

/** Peak figures of one sampling: all processes together, the largest process, the largest node. */
export interface RssPeaks { maxTotal: number; maxProc: number; maxNode: number }

/** Samples RSS of the processes of `nodes` every `everyMs` until stop(); a node is a site with its
 *  engine or a proxy with its workers, so "per site" figures count every process of the site. */
export class RssSampler {
  private readonly peaks: RssPeaks = { maxTotal: 0, maxProc: 0, maxNode: 0 };
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly nodes: number[][], everyMs = 100) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }
  private sample(): void {
    let total = 0;
    for (const node of this.nodes) {
      let sum = 0;
      for (const p of node) { const r = rssBytes(p); sum += r; if (r > this.peaks.maxProc) this.peaks.maxProc = r; }
      if (sum > this.peaks.maxNode) this.peaks.maxNode = sum;
      total += sum;
    }
    if (total > this.peaks.maxTotal) this.peaks.maxTotal = total;
  }
  /** Stops sampling; bytes. */
  stop(): RssPeaks {
    clearInterval(this.timer);
    this.sample();
    return { ...this.peaks };
  }
}

/** Waits (at most `maxMs`) until `pids` together use at most one clock tick over 150 ms, so work
 *  left over from the previous run (buffers still draining) does not land in the next measurement. */
export async function quiesce(pids: number[], maxMs = 1000): Promise<void> {
  const end = Date.now() + maxMs;
  while (Date.now() < end) {
    const c0 = cpuSeconds(pids);
    await new Promise((r) => setTimeout(r, 150));
    if (cpuSeconds(pids) - c0 <= 1.5 / TICKS) return;
  }
}
