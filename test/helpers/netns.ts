// Network namespaces for multi-host tests: namespaces, veth pairs, addresses and routes named per
// test run (svnt<pid>-x), the faults tests inject (link down, random drops, tbf rate limit), and
// agents that run traffic inside a namespace. cleanup() removes it all, also on SIGINT/SIGTERM.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import readline from 'node:readline';

const PREFIX = 'svnt';
const AGENT = fileURLToPath(new URL('./ns-agent.js', import.meta.url));

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(e.stderr || e.message).trim()}`);
  }
}

/** Why namespaces cannot be used here (not root, no iproute2, no CAP_SYS_ADMIN), or undefined. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  try { sh('ip', ['-V']); } catch { return 'the ip command (iproute2) is not installed'; }
  const probe = `${PREFIX}${process.pid}-probe`;
  try { sh('ip', ['netns', 'add', probe]); } catch (err) { return `cannot create a network namespace: ${(err as Error).message}`; }
  try { sh('ip', ['netns', 'del', probe]); } catch { /* best effort */ }
  return undefined;
}

/** Prints the standard notice for a skipped namespace suite. */
export function logSkip(suite: string, why: string): void {
  console.log(`\n  SKIP ${suite}: ${why} — the network-namespace tests did not run here (they must in CI, as root)\n`);
}

interface RouteSpec { dst: string; via: string; dev: string }

export class NetnsLab {
  readonly tag = `${PREFIX}${process.pid}`;
  private readonly namespaces: string[] = [];
  private readonly routes = new Map<string, RouteSpec[]>();
  private readonly agents: Agent[] = [];
  private readonly cleanups: (() => Promise<void> | void)[] = [];
  private readonly onSignal = (sig: NodeJS.Signals) => { void this.cleanup().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143)); };
  // On a crash or early exit nothing async runs any more: start the hooks (stopAll sends its signals
  // synchronously) and remove the namespaces.
  private readonly onExit = () => {
    for (const a of this.agents) a.kill();
    for (const fn of this.cleanups.splice(0)) { try { void fn(); } catch { /* exiting anyway */ } }
    this.removeNamespaces();
  };

  constructor() {
    this.sweepStale();
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
    process.once('exit', this.onExit);
  }

  /** Full namespace name of a short one ('a' → svnt1234-a). */
  ns(short: string): string { return `${this.tag}-${short}`; }

  /** Creates a namespace with loopback up. */
  add(short: string): string {
    const ns = this.ns(short);
    sh('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    this.ip(short, ['link', 'set', 'lo', 'up']);
    return ns;
  }

  /** `ip -n NS ARGS`. */
  ip(short: string, args: string[]): string { return sh('ip', ['-n', this.ns(short), ...args]); }

  /** Runs a command inside the namespace and returns its stdout. */
  exec(short: string, argv: string[]): string { return sh('ip', ['netns', 'exec', this.ns(short), ...argv]); }

  /** Device in `a` that leads to `b`. */
  dev(a: string, b: string): string { return `to-${b}`; }

  /** A veth pair between a and b on 10.231.<subnet>.0/30 (a is .1, b is .2). */
  connect(a: string, b: string, subnet: number): { aIp: string; bIp: string } {
    const aIp = `10.231.${subnet}.1`;
    const bIp = `10.231.${subnet}.2`;
    sh('ip', ['link', 'add', this.dev(a, b), 'netns', this.ns(a), 'type', 'veth', 'peer', 'name', this.dev(b, a), 'netns', this.ns(b)]);
    this.ip(a, ['addr', 'add', `${aIp}/30`, 'dev', this.dev(a, b)]);
    this.ip(b, ['addr', 'add', `${bIp}/30`, 'dev', this.dev(b, a)]);
    this.ip(a, ['link', 'set', this.dev(a, b), 'up']);
    this.ip(b, ['link', 'set', this.dev(b, a), 'up']);
    return { aIp, bIp };
  }

  /** A host address (/32 on lo) that neighbours reach over whichever veth they share with it. */
  hostAddress(short: string, ip: string): void { this.ip(short, ['addr', 'add', `${ip}/32`, 'dev', 'lo']); }

  /** A route in `short` to `dst` through `via` on `dev`; put back whenever that device comes up. */
  route(short: string, dst: string, via: string, dev: string): void {
    this.ip(short, ['route', 'replace', dst, 'via', via, 'dev', dev]);
    const list = this.routes.get(short) ?? [];
    list.push({ dst, via, dev });
    this.routes.set(short, list);
  }

  /** Takes a's end of the a–b veth down (the peer loses carrier) or up again, with its routes. */
  setLink(a: string, b: string, up: boolean): void {
    const dev = this.dev(a, b);
    this.ip(a, ['link', 'set', dev, up ? 'up' : 'down']);
    if (up) for (const r of this.routes.get(a) ?? []) if (r.dev === dev) this.ip(a, ['route', 'replace', r.dst, 'via', r.via, 'dev', r.dev]);
  }

  /**
   * Makes the a–b veth carry wire-sized packets (gso_max_size 1500) instead of 64 KiB offload
   * super-packets, so a random drop loses one segment as on a real network; `false` restores it.
   */
  wireSegments(a: string, b: string, on: boolean): void {
    const size = on ? '1500' : '65536';
    this.ip(a, ['link', 'set', this.dev(a, b), 'gso_max_size', size]);
    this.ip(b, ['link', 'set', this.dev(b, a), 'gso_max_size', size]);
  }

  /** Drops incoming packets at random with probability p (iptables statistic). */
  dropRandom(short: string, p: number): void {
    this.exec(short, ['iptables', '-A', 'INPUT', '-m', 'statistic', '--mode', 'random', '--probability', String(p), '-j', 'DROP']);
  }

  /** Removes every drop rule in the namespace. */
  clearDrops(short: string): void { this.exec(short, ['iptables', '-F', 'INPUT']); }

  /** Packets dropped so far by the namespace's INPUT rules (proves the fault was in place). */
  droppedPackets(short: string): number {
    const out = this.exec(short, ['iptables', '-L', 'INPUT', '-v', '-n', '-x']);
    return out.split('\n').filter((l) => /DROP/.test(l)).reduce((n, l) => n + Number(l.trim().split(/\s+/)[0] || 0), 0);
  }

  /** Limits a's egress towards b with a token bucket (tc tbf), e.g. rate '20mbit'. */
  limitRate(a: string, b: string, rate: string): void {
    this.exec(a, ['tc', 'qdisc', 'replace', 'dev', this.dev(a, b), 'root', 'tbf', 'rate', rate, 'burst', '32kb', 'latency', '100ms']);
  }

  /** Removes the rate limit on a's egress towards b. */
  clearRate(a: string, b: string): void { this.exec(a, ['tc', 'qdisc', 'del', 'dev', this.dev(a, b), 'root']); }

  /** Starts a traffic agent inside the namespace (see ns-agent.ts). */
  async agent(short: string): Promise<Agent> {
    const a = new Agent(this.ns(short));
    this.agents.push(a);
    await a.ready;
    return a;
  }

  /** Runs `fn` in cleanup() before the namespaces go (e.g. stopping site processes in them). */
  onCleanup(fn: () => Promise<void> | void): void { this.cleanups.push(fn); }

  /** Stops agents, runs cleanup hooks, deletes the namespaces (their veths go with them). */
  async cleanup(): Promise<void> {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    for (const a of this.agents.splice(0)) await a.close();
    for (const fn of this.cleanups.splice(0)) {
      try { await fn(); } catch (err) { console.error(`netns cleanup hook failed: ${(err as Error).message}`); }
    }
    this.removeNamespaces();
    process.off('exit', this.onExit);
  }

  private removeNamespaces(): void {
    for (const ns of this.namespaces.splice(0)) {
      try { sh('ip', ['netns', 'del', ns]); } catch (err) { console.error(`cannot remove namespace ${ns}: ${(err as Error).message}`); }
    }
  }

  /** Removes namespaces left by earlier runs whose process is gone (a crash or kill -9). */
  private sweepStale(): void {
    let list = '';
    try { list = sh('ip', ['netns', 'list']); } catch { return; }
    for (const line of list.split('\n')) {
      const m = new RegExp(`^(${PREFIX}(\\d+)-\\S+)`).exec(line);
      if (!m || alive(Number(m[2]))) continue;
      try { sh('ip', ['netns', 'del', m[1]]); } catch { /* someone else got it */ }
    }
  }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** The test side of an ns-agent process: call(op, args) resolves with the agent's result. */
export class Agent {
  readonly ready: Promise<void>;
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private stderr = '';

  constructor(readonly ns: string) {
    this.child = spawn('ip', ['netns', 'exec', ns, process.execPath, AGENT], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (d) => { this.stderr = (this.stderr + d).slice(-4000); });
    this.child.stdin!.on('error', () => {}); // a dead agent is reported by 'exit' below
    let readyResolve!: () => void;
    this.ready = new Promise((r) => { readyResolve = r; });
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as { id: number; ok: boolean; result?: unknown; error?: string };
      if (msg.id === 0) { readyResolve(); return; }
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.ok) p?.resolve(msg.result); else p?.reject(new Error(`agent in ${ns}: ${msg.error}`));
    });
    this.child.on('exit', (code, sig) => {
      const err = new Error(`agent in ${ns} exited (${code ?? sig}): ${this.stderr.trim()}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      readyResolve();
    });
  }

  /** Sends one request to the agent. */
  call<T = unknown>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (!this.child.stdin!.writable) { reject(new Error(`agent in ${this.ns} is closed`)); return; }
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin!.write(JSON.stringify({ id, op, args }) + '\n');
    });
  }

  /** Kills the agent now (for exit paths that cannot wait). */
  kill(): void { if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL'); }

  /** Ends the agent (closing stdin makes it exit; killed by pid if it lingers). */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin!.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(t);
  }
}
