// A TCP listening port that survives its environment: binding retries with backoff while the port
// is held (the site runs meanwhile), accepting stops while file descriptors run out and resumes with
// backoff, and every accepted socket passes an AcceptGuard before anyone else sees it.
import net from 'node:net';
import type { Logger } from 'pino';
import type { AcceptGuard } from './accept-guard.js';
import type { LogBudget } from './log-budget.js';
import { fdPressure, isFdExhaustion } from './fd-pressure.js';

/** First retry delay after a failed bind or an fd shortage; doubled up to RETRY_CAP_MS. */
export const RETRY_BASE_MS = 250;
export const RETRY_CAP_MS = 5000;
/** A bind failing for this long is logged as an error (once); retries go on. */
export const BIND_PATIENCE_MS = 30_000;

export type ListenState = 'binding' | 'listening' | 'retrying' | 'paused' | 'closed';

export interface GuardedListenerOptions {
  /** 'link' or 'grant', for logs and status */
  what: string;
  host: string;
  port: number;
  guard: AcceptGuard;
  /** gets each admitted socket (plain TCP; the TLS server is the caller's) */
  onConnection(raw: net.Socket): void;
  log: Logger;
  budget: LogBudget;
  /** a hint appended to "port in use" messages, e.g. "pick another with --link-port" */
  hint?: string;
}

export class GuardedListener {
  state: ListenState = 'binding';
  message = 'binding';
  private server: net.Server | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private failingSince = 0;
  private lastPause = 0;
  private reportedStuck = false;
  private readonly onPressure = (where: string): void => this.pause(where);

  constructor(private readonly o: GuardedListenerOptions) {}

  /** Binds; resolves after the first attempt whatever its outcome (a failed one keeps retrying). */
  start(): Promise<void> {
    fdPressure.on('pressure', this.onPressure);
    return new Promise((resolve) => this.bind(resolve));
  }

  /** Stops listening for good; established connections are left to their owners. */
  close(): void {
    this.state = 'closed';
    this.message = 'closed';
    fdPressure.off('pressure', this.onPressure);
    clearTimeout(this.timer);
    this.server?.close();
    this.server = undefined;
    this.o.guard.closeAll();
  }

  /** Where the port is bound now (undefined while not listening). */
  address(): net.AddressInfo | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a : undefined;
  }

  private bind(done?: () => void): void {
    if (this.state === 'closed') return done?.();
    const { host, port } = this.o;
    const server = net.createServer({ noDelay: true }, (raw) => this.accept(raw));
    server.on('error', (err: NodeJS.ErrnoException) => {
      if (server.listening) return this.acceptFailed(err);
      server.close();
      this.bindFailed(err);
      done?.();
    });
    server.listen(port, host, () => {
      if (this.state === 'closed') { server.close(); return done?.(); }
      const resumed = this.state === 'paused';
      this.server = server;
      this.state = 'listening';
      this.message = `listening on ${host}:${port}`;
      if (!resumed) this.failures = 0; // pauses back off across resumes; see pause()
      this.failingSince = 0;
      this.reportedStuck = false;
      if (resumed) this.o.budget.warn(`${this.o.what}:resumed`, { host, port }, `${this.o.what} port accepting again`);
      else this.o.log.info({ host, port }, `${this.o.what} port listening`);
      done?.();
    });
  }

  private accept(raw: net.Socket): void {
    raw.on('error', () => {}); // a reset before the TLS layer took over; the guard's close handler counts it
    if (this.o.guard.admit(raw)) this.o.onConnection(raw);
  }

  private bindFailed(err: NodeJS.ErrnoException): void {
    const { what, host, port } = this.o;
    const short = fdPressure.report(`${what} bind`, err);
    if (short && this.state === 'paused') return this.retry('paused'); // still out of fds: stay paused, quietly
    const now = Date.now();
    if (!this.failingSince) this.failingSince = now;
    this.message = err.code === 'EADDRINUSE'
      ? `${what} port ${port} is already in use${this.o.hint ? `; ${this.o.hint}` : ''}; retrying`
      : `cannot listen on ${host}:${port}: ${err.message}; retrying`;
    if (now - this.failingSince >= BIND_PATIENCE_MS && !this.reportedStuck) {
      this.reportedStuck = true;
      this.o.log.error({ host, port, code: err.code, seconds: Math.round((now - this.failingSince) / 1000) }, `${this.message} (still failing; status shows it)`);
    } else {
      this.o.budget.warn(`${what}:bind`, { host, port, code: err.code }, this.message);
    }
    this.retry('retrying');
  }

  /** libuv drops connections itself when it can; an error here means even that failed. */
  private acceptFailed(err: NodeJS.ErrnoException): void {
    if (fdPressure.report(`${this.o.what} accept`, err)) return; // our pressure listener pauses us
    this.o.budget.warn(`${this.o.what}:accept`, { code: err.code }, `${this.o.what} port: accept failed: ${err.message}`);
  }

  /** Out of fds somewhere in the process: stop accepting for a while so live links keep theirs. */
  private pause(where: string): void {
    if (this.state !== 'listening') return;
    const now = Date.now();
    if (now - this.lastPause > BIND_PATIENCE_MS) this.failures = 0; // a new episode starts at the short delay
    this.lastPause = now;
    this.o.budget.warn(`${this.o.what}:paused`, { where, code: 'SVCNET_ERR_FD_EXHAUSTED' }, `out of file descriptors (${where}): ${this.o.what} port stops accepting for a while`);
    this.server?.close();
    this.server = undefined;
    this.message = 'paused: out of file descriptors';
    this.retry('paused');
  }

  private retry(state: 'retrying' | 'paused'): void {
    this.state = state;
    const delay = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.min(this.failures++, 8));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.bind(), delay);
    this.timer.unref();
  }
}
