// Runs the real svcnet CLI and site processes for integration tests. Every process started here
// is remembered by pid and killed by `stopAll()`.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BIN = fileURLToPath(new URL('../../../bin/svcnet.js', import.meta.url));

export interface CliResult { code: number; stdout: string; stderr: string }

/** Runs `svcnet ARGS` to completion. */
export function svcnet(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Like svcnet() but fails the test with the CLI's stderr unless it exits 0. */
export async function svcnetOk(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const r = await svcnet(args, env);
  if (r.code !== 0) throw new Error(`svcnet ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** The log a site started by runSite() writes (DIR/site.log). */
export const siteLog = (dir: string): string => fs.readFileSync(path.join(dir, 'site.log'), 'utf8');

/** How many times `re` occurs in a site's log. */
export const logCount = (dir: string, re: RegExp): number => (siteLog(dir).match(new RegExp(re, 'g')) ?? []).length;

const started: ChildProcess[] = [];

/**
 * Starts `svcnet site run --dir DIR` (optionally inside a network namespace, or with a lower open-file
 * limit `fdLimit`, applied by `ulimit -n` in a shell that then execs node; more `site run` flags in `args`); logs go to DIR/site.log.
 */
export function runSite(dir: string, opts: { netns?: string; env?: NodeJS.ProcessEnv; fdLimit?: number; args?: string[] } = {}): ChildProcess {
  const log = fs.openSync(path.join(dir, 'site.log'), 'a');
  const argv = [BIN, 'site', 'run', '--dir', dir, ...(opts.args ?? [])];
  const env = { ...process.env, ...opts.env };
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const child = opts.netns
    ? spawn('ip', ['netns', 'exec', opts.netns, process.execPath, ...argv], { stdio: ['ignore', log, log], env })
    : opts.fdLimit
      ? spawn('bash', ['-c', `ulimit -n ${Math.floor(opts.fdLimit)} && exec ${[process.execPath, ...argv].map(quote).join(' ')}`], { stdio: ['ignore', log, log], env })
      : spawn(process.execPath, argv, { stdio: ['ignore', log, log], env });
  fs.closeSync(log);
  started.push(child);
  return child;
}

/** Kills a process we started and waits for it to exit. */
export async function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

/** Kills every process started by runSite(). */
export async function stopAll(): Promise<void> {
  await Promise.all(started.splice(0).map((c) => kill(c)));
}

/** A fresh temporary directory. */
export function tempDir(prefix = 'svcnet-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 15_000, everyMs = 100): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) { last = err; }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

/** Reads a site's published runtime status (written by the running site). */
export function runtimeStatus(dir: string): { links: { name: string; status: string; peer?: string }[]; listeners: { name: string; status: string }[]; network: { sites: { name: string; cost: number | null; keys: string[] }[] } } | undefined {
  try { return JSON.parse(fs.readFileSync(path.join(dir, 'run', 'status.json'), 'utf8')); } catch { return undefined; }
}
