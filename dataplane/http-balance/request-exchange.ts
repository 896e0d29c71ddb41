// One request of a request-balanced listener's client (issue 13): sent to a target's pool, its
// answer (1xx, head, body) passed back, and on failure sent once more elsewhere when retry-safety.ts
// says that is safe (the body, up to RETRY_BODY_MAX, is held until the answer for that purpose).
import http from 'node:http';
import type { Socket } from 'node:net';
import { AttemptState, mayMove, retryable, isIdempotent, MAX_ATTEMPTS } from './retry-safety.js';
import { endToEnd } from './hop-headers.js';
import { isNotReached } from './upstreams.js';
import type { HttpRequest } from '../port/report.js';
import { HeldBody } from './held-body.js';

/** Largest head accepted each way (the bound for "a request head over 64 KiB"). */
export const MAX_HEAD = 64 * 1024;

/** What an exchange asks of its listener's balancer. */
export interface ExchangeHost {
  /** a target not in `tried` and its pool, counted as begun; undefined when none is left */
  begin(tried: Set<string>, retry: boolean): { id: string; label: string; agent: http.Agent } | undefined;
  /** the attempt at target `id` ended */
  finish(id: string, failed: boolean): void;
  /** the request is over (answered, or failed for good) */
  done(q: HttpRequest): void;
}

interface Attempt { id: string; label: string; up: http.ClientRequest; state: AttemptState; reused: boolean }

export class RequestExchange {
  private attempt: Attempt | undefined;
  private readonly tried = new Set<string>();
  private attempts = 0;
  private readonly held = new HeldBody();
  private bodyEnded = false;
  private toServer = 0;
  private toClient = 0;
  private status = 0;
  private over = false;
  private readonly t0 = performance.now();

  constructor(private readonly req: http.IncomingMessage, private readonly res: http.ServerResponse, private readonly host: ExchangeHost) {
    res.sendDate = false;
    req.on('data', (chunk: Buffer) => this.body(chunk));
    req.on('end', () => { this.bodyEnded = true; this.attempt?.up.end(); });
    // The client went away before its answer was complete: the upstream connection is not reused.
    res.on('close', () => { if (!res.writableFinished) this.abandon(); });
    this.send(false);
  }

  private body(chunk: Buffer): void {
    this.toServer += chunk.length;
    this.held.add(chunk);
    const a = this.attempt;
    if (a && !a.up.write(chunk)) {
      this.req.pause();
      a.up.once('drain', () => this.req.resume());
    }
  }

  private send(retry: boolean): void {
    const t = this.host.begin(this.tried, retry);
    if (!t) { this.answerError(this.attempts === 0 ? 503 : 502, this.attempts === 0 ? 'no target for the routing key' : 'every target failed'); return; }
    this.tried.add(t.id);
    this.attempts++;
    const req = this.req;
    const up = http.request({ agent: t.agent, method: req.method, path: req.url, headers: endToEnd(req.rawHeaders), setHost: false, maxHeaderSize: MAX_HEAD });
    const a: Attempt = { id: t.id, label: t.label, up, state: AttemptState.Waiting, reused: false };
    this.attempt = a;
    up.on('socket', (s: Socket) => {
      a.reused = up.reusedSocket;
      if (!a.reused && s.connecting) {
        this.move(a, AttemptState.Connecting);
        s.once('connect', () => this.move(a, AttemptState.Sent));
      } else this.move(a, AttemptState.Sent);
    });
    up.on('information', (info: http.InformationEvent) => this.informational(info));
    up.on('response', (r) => this.answered(a, r));
    up.on('error', (err) => this.failed(a, err));
    this.held.replay(up);
    if (this.bodyEnded) up.end();
  }

  private move(a: Attempt, to: AttemptState): boolean {
    if (!mayMove(a.state, to)) return false;
    a.state = to;
    return true;
  }

  /** 1xx before the answer: 100, 102 and 103 pass on (Node's server writes them); others are dropped. */
  private informational(info: http.InformationEvent): void {
    if (this.res.headersSent) return;
    if (info.statusCode === 100) this.res.writeContinue();
    else if (info.statusCode === 102) this.res.writeProcessing();
    else if (info.statusCode === 103) {
      try { this.res.writeEarlyHints(info.headers as Record<string, string | string[]>); } catch { /* hints Node refuses are dropped */ }
    }
  }

  private answered(a: Attempt, r: http.IncomingMessage): void {
    if (this.attempt !== a || !this.move(a, AttemptState.Answered)) { r.resume(); return; }
    this.status = r.statusCode ?? 0;
    this.held.release();
    this.res.writeHead(this.status, r.statusMessage, endToEnd(r.rawHeaders));
    r.on('data', (c: Buffer) => { this.toClient += c.length; });
    r.pipe(this.res);
    r.on('end', () => {
      if (!this.move(a, AttemptState.Done)) return;
      this.host.finish(a.id, false);
      this.complete(a.label);
    });
    // The server broke off its answer: the client sees a broken answer too (as with a direct connection).
    r.on('aborted', () => this.failed(a, new Error('answer cut off by the server')));
  }

  private failed(a: Attempt, err: Error): void {
    const state = a.state;
    if (!this.move(a, AttemptState.Failed)) return;
    this.host.finish(a.id, true);
    if (this.attempt !== a || this.over) return;
    const safe = retryable({ state, notReached: isNotReached(err), reused: a.reused, idempotent: isIdempotent(this.req.method ?? ''), replayable: this.held.replayable });
    if (safe && this.attempts < MAX_ATTEMPTS) { this.send(true); return; }
    if (this.res.headersSent) { this.status = this.status || 502; this.res.destroy(err); this.complete(a.label); return; }
    this.answerError(502, `upstream failed: ${err.message}`, a.label);
  }

  /** svcnet's own answer when no server gave one. */
  private answerError(status: number, why: string, label = ''): void {
    this.status = status;
    const body = `svcnet: ${why}\n`;
    this.res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    this.res.end(body);
    this.complete(label);
  }

  private abandon(): void {
    const a = this.attempt;
    if (!a || !this.move(a, AttemptState.Failed)) return;
    this.host.finish(a.id, false);
    a.up.destroy();
    this.complete(a.label);
  }

  private complete(target: string): void {
    if (this.over) return;
    this.over = true;
    this.held.release();
    const url = this.req.url ?? '';
    const seg = url.startsWith('/') ? url.slice(1).split(/[/?#]/, 1)[0] : '';
    this.host.done({ method: this.req.method ?? 'OTHER', path: seg.slice(0, 64), status: this.status, bytesToServer: this.toServer, bytesToClient: this.toClient, durationMs: performance.now() - this.t0, target });
  }
}
