// File-descriptor exhaustion (EMFILE/ENFILE) is an attack surface, not a bug: anyone who can open
// TCP connections can cause it. Everything that can meet it reports here instead of throwing; the
// listeners subscribe and stop accepting for a while, so the fds held by live links are kept.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';

/** Whether `err` says this process (or the system) ran out of file descriptors. */
export function isFdExhaustion(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'EMFILE' || code === 'ENFILE';
}

/** The soft RLIMIT_NOFILE of this process (Linux /proc), or `fallback` where it cannot be read. */
export function fdLimit(fallback = 1024): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : fallback;
  } catch {
    return fallback;
  }
}

/** Emits 'pressure' (where: string) each time fd exhaustion is reported; counts them. */
class FdPressure extends EventEmitter {
  count = 0;
  last = 0;

  /** Reports `err` if it is fd exhaustion (returns true), else returns false and does nothing. */
  report(where: string, err: unknown): boolean {
    if (!isFdExhaustion(err)) return false;
    this.count++;
    this.last = Date.now();
    this.emit('pressure', where);
    return true;
  }
}

/** The process-wide reporter: fds are a per-process resource. */
export const fdPressure = new FdPressure();
fdPressure.setMaxListeners(0);

/**
 * Last resort for servers we do not own the accept path of (gRPC's, the console's): an EMFILE/ENFILE
 * from accept() that reaches no 'error' listener is reported instead of killing the process (the
 * server keeps listening; libuv dropped that connection). Anything else still ends the process,
 * as Node would, after `onFatal` (the engine resets its flows there). Returns the uninstaller.
 */
export function surviveAcceptExhaustion(onSurvived: (err: NodeJS.ErrnoException) => void, onFatal?: (err: Error) => void): () => void {
  const handler = (err: Error): void => {
    const e = err as NodeJS.ErrnoException;
    if (e.syscall === 'accept' && fdPressure.report('accept', e)) { onSurvived(e); return; }
    process.stderr.write(`${err.stack ?? String(err)}\n`);
    try { onFatal?.(err); } finally { process.exit(1); }
  };
  process.on('uncaughtException', handler);
  return () => { process.off('uncaughtException', handler); };
}
