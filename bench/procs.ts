// Every process the bench starts, remembered by pid and killed at the end: on success, on an
// error, and on Ctrl-C. Nothing is ever killed by name.
import { spawn, fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

const live = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Spawns `cmd args` with stdout and stderr appended to `logFile`; remembered for stopAll(). */
export function startProcess(cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
  fs.closeSync(fd);
  return track(child);
}

/** Like startProcess() for a C proxy, with the open-files limit raised to the hard limit first
 *  (exec keeps the pid, so killing by pid still reaches the proxy). */
export function startNative(cmd: string, args: string[], logFile: string): ChildProcess {
  return startProcess('/bin/sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', cmd, ...args], logFile);
}

/** Forks a compiled bench module with an IPC channel; its stderr is appended to `logFile`. */
export function forkModule(modulePath: string, logFile: string, execArgv: string[] = []): ChildProcess {
  const fd = fs.openSync(logFile, 'a');
  const child = fork(modulePath, [], { stdio: ['ignore', fd, fd, 'ipc'], execArgv });
  fs.closeSync(fd);
  return track(child);
}

/** Stops one process we started: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}

/** Stops every process still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((c) => stopProcess(c)));
}

/** Makes Ctrl-C, SIGTERM, an uncaught error and a plain exit all end our processes (by pid). */
export function installCleanup(cleanup: () => Promise<void>): void {
  let busy = false;
  const bail = async (code: number, why: string) => {
    if (busy) return;
    busy = true;
    process.stderr.write(`\nbench: ${why}; stopping every process it started\n`);
    await cleanup().catch(() => undefined);
    process.exit(code);
  };
  process.once('SIGINT', () => void bail(130, 'interrupted'));
  process.once('SIGTERM', () => void bail(143, 'terminated'));
  process.on('uncaughtException', (err) => { process.stderr.write(`${err.stack ?? err}\n`); void bail(1, 'error'); });
  process.on('unhandledRejection', (err) => { process.stderr.write(`${(err as Error)?.stack ?? err}\n`); void bail(1, 'error'); });
  // Last resort when the event loop is already gone: synchronous SIGKILL by pid.
  process.on('exit', () => { for (const c of live) if (c.pid && c.exitCode === null) { try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ } } });
}
