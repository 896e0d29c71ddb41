// Who may use a console bound beyond loopback: a caller with the console password (a login form that
// sets a session cookie, or HTTP Basic for scripts) or with an admin client certificate. Pure: the
// clock and randomness come in, so tests drive sessions and lockouts with a fake clock.
import { createHash, timingSafeEqual } from 'node:crypto';

/** How long a login lasts without being used. */
export const SESSION_IDLE_MS = 12 * 60 * 60_000;
/** Sessions kept at once; the least recently used goes first (a login flood cannot grow memory). */
export const MAX_SESSIONS = 256;
/** Wrong passwords one client address may try in a window before it is refused for the rest of it. */
export const MAX_FAILURES = 10;
/** The failure window. */
export const FAILURE_WINDOW_MS = 60_000;
/** Client addresses whose failures are remembered; beyond it, the oldest window is dropped. */
const MAX_TRACKED = 4096;

/** Session cookie name; the cookie is HttpOnly, Secure and SameSite=Strict. */
export const SESSION_COOKIE = 'svcnet_session';

export type Verdict =
  | { ok: true; who: string }
  /** `locked`: this address used up its wrong passwords for the window (HTTP 429, retry after `retryAfterS`) */
  | { ok: false; locked: boolean; retryAfterS?: number };

export interface AuthClock { now(): number; token(): string }

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export class ConsoleAuth {
  private readonly passwordDigest: Buffer;
  /** token → last use (ms); Map order is use order */
  private readonly sessions = new Map<string, number>();
  private readonly failures = new Map<string, { start: number; count: number }>();

  constructor(password: string, private readonly clock: AuthClock) {
    if (password.length < 16) throw new Error('the console password must be at least 16 characters');
    this.passwordDigest = digest(password);
  }

  /** Checks a password (constant time over digests); counts failures per client address. */
  login(password: string, client: string): Verdict {
    const locked = this.lockedFor(client);
    if (locked !== undefined) return { ok: false, locked: true, retryAfterS: locked };
    if (timingSafeEqual(digest(password), this.passwordDigest)) return { ok: true, who: 'password' };
    this.fail(client);
    return { ok: false, locked: false };
  }

  /** A new session for a caller that just logged in; returns its cookie value. */
  openSession(): string {
    const token = this.clock.token();
    this.sessions.set(token, this.clock.now());
    while (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    return token;
  }

  /** True when `token` names a live session (and refreshes it). */
  session(token: string | undefined): boolean {
    if (!token) return false;
    const last = this.sessions.get(token);
    if (last === undefined) return false;
    const now = this.clock.now();
    this.sessions.delete(token);
    if (now - last > SESSION_IDLE_MS) return false;
    this.sessions.set(token, now);
    return true;
  }

  /** Ends a session (logout). */
  closeSession(token: string | undefined): void { if (token) this.sessions.delete(token); }

  get sessionCount(): number { return this.sessions.size; }

  /** Seconds until `client` may try again, or undefined when it may try now. */
  private lockedFor(client: string): number | undefined {
    const f = this.failures.get(client);
    if (!f) return undefined;
    const left = f.start + FAILURE_WINDOW_MS - this.clock.now();
    if (left <= 0) { this.failures.delete(client); return undefined; }
    return f.count >= MAX_FAILURES ? Math.ceil(left / 1000) : undefined;
  }

  private fail(client: string): void {
    const f = this.failures.get(client);
    if (f) { f.count++; return; }
    this.failures.set(client, { start: this.clock.now(), count: 1 });
    if (this.failures.size > MAX_TRACKED) this.failures.delete(this.failures.keys().next().value!);
  }
}

/** The user and password of an `Authorization: Basic …` header, or undefined. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]{1,1024})$/i.exec(header?.trim() ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** The value of cookie `name` in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Whether `host` (a bind address) keeps the console on this machine: no login is asked there. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The console's address as a user types it: https and a login beyond loopback; a wildcard bind is shown as 127.0.0.1. */
export function consoleUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `${isLoopbackHost(host) ? 'http' : 'https'}://${shown}:${port}/`;
}
