// Limits what an unauthenticated client can hold on a TLS port: connections still in their
// handshake are capped per source address and in total, and each must finish within a deadline
// (counted from the raw TCP accept, so a client that sends nothing, or trickles, is closed too).
import type net from 'node:net';
import type tls from 'node:tls';
import type { LogBudget } from './log-budget.js';

export interface AcceptLimits {
  /** connections from one address not yet past the handshake (or open at all, see holdAfterHandshake) */
  perSource: number;
  /** the same, over all addresses */
  total: number;
  /** deadline for the TLS handshake, from accept */
  handshakeMs: number;
  /** keep counting a connection after its handshake until it closes (ports where a handshake proves nothing, like the grant port) */
  holdAfterHandshake?: boolean;
}

export const HANDSHAKE_TIMEOUT_MS = 5000;

/** The TCP socket under a server-side TLS socket, which the guard tracks (`_parent`, a long-stable Node internal). */
export const rawOf = (s: tls.TLSSocket): net.Socket | undefined => (s as unknown as { _parent?: net.Socket })._parent;

interface Pending { source: string; timer: NodeJS.Timeout | undefined; counted: boolean }

export class AcceptGuard {
  private readonly conns = new Map<net.Socket, Pending>();
  private readonly bySource = new Map<string, number>();
  private held = 0;
  private readonly expired = new WeakSet<net.Socket>();

  constructor(
    /** 'link' or 'grant', for logs */
    private readonly what: string,
    readonly limits: AcceptLimits,
    private readonly budget: LogBudget,
    /** refusals by stable code (shown in status and metrics) */
    private readonly refused: Record<string, number>,
  ) {}

  /** Connections counted against the caps now. */
  get counted(): number { return this.held; }

  /** Takes a freshly accepted socket; returns false (socket destroyed, refusal counted) over a cap. */
  admit(raw: net.Socket): boolean {
    const source = raw.remoteAddress ?? 'unknown';
    const fromSource = this.bySource.get(source) ?? 0;
    if (fromSource >= this.limits.perSource || this.held >= this.limits.total) {
      raw.destroy();
      this.count('SVCNET_ERR_TOO_MANY_CONNECTIONS');
      const scope = fromSource >= this.limits.perSource ? `from ${source} (at most ${this.limits.perSource})` : `in total (at most ${this.limits.total})`;
      this.budget.warn(`${this.what}:too-many`, { remote: source, code: 'SVCNET_ERR_TOO_MANY_CONNECTIONS' }, `${this.what} connection refused: too many unauthenticated connections ${scope}`);
      return false;
    }
    this.bySource.set(source, fromSource + 1);
    this.held++;
    const timer = setTimeout(() => this.expire(raw), this.limits.handshakeMs);
    timer.unref();
    this.conns.set(raw, { source, timer, counted: true });
    raw.once('close', () => this.release(raw, true));
    return true;
  }

  /** The TLS handshake on `raw` finished: stop its deadline (and free its place unless held). */
  handshaken(raw: net.Socket | undefined): void {
    const p = raw && this.conns.get(raw);
    if (!p) return;
    clearTimeout(p.timer);
    p.timer = undefined;
    if (!this.limits.holdAfterHandshake) this.release(raw, false);
  }

  /** Whether `raw` was closed by this guard's deadline (its TLS error is then not worth a second log line). */
  closedByDeadline(raw: net.Socket | undefined): boolean { return !!raw && this.expired.has(raw); }

  private expire(raw: net.Socket): void {
    const p = this.conns.get(raw);
    if (!p || !p.timer) return;
    this.expired.add(raw);
    this.count('SVCNET_ERR_HANDSHAKE_TIMEOUT');
    this.budget.warn(`${this.what}:handshake-timeout`, { remote: p.source, code: 'SVCNET_ERR_HANDSHAKE_TIMEOUT' }, `${this.what} connection closed: no TLS handshake within ${this.limits.handshakeMs} ms`);
    raw.destroy();
  }

  private release(raw: net.Socket, closed: boolean): void {
    const p = this.conns.get(raw);
    if (!p) return;
    clearTimeout(p.timer);
    if (p.counted) {
      p.counted = false;
      this.held--;
      const n = (this.bySource.get(p.source) ?? 1) - 1;
      if (n <= 0) this.bySource.delete(p.source); else this.bySource.set(p.source, n);
    }
    if (closed) this.conns.delete(raw);
    else this.conns.set(raw, p);
  }

  private count(code: string): void { this.refused[code] = (this.refused[code] ?? 0) + 1; }

  /** Closes every connection still in its handshake (shutdown); established ones are their owners' to close. */
  closeAll(): void { for (const [raw, p] of this.conns) if (p.timer) raw.destroy(); }
}
