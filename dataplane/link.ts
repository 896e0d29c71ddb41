// One mTLS link to a neighbour site: the socket, the HELLO handshake, heartbeats and the decode
// loop. Many flows share it, multiplexed by the core. A link never reconnects itself: the dialer
// that made it does (link-dialer.ts).
import type { TLSSocket, PeerCertificate } from 'node:tls';
import type { Logger } from 'pino';
import * as P from '../wasm/assembly/protocol.js';
import type { DecodeSink } from './core/core.js';
import { LINK_HIGH_WATER, type FrameWriter, type DrainWaiter } from './outbox.js';
import { ProtocolError, protocolErrorName } from './errors.js';
import { LinkBudget } from './link-budget.js';
import { clip, type LogBudget } from '../common/log-budget.js';
import { validHello, helloProofBytes, type PeerHello, type PeerExpectation } from './hello.js';
import { StateMachine, reportIllegal, type Transitions } from './state-machine.js';
import { WriteQueue } from './write-queue.js';
import { MAX_REFUSAL_REASON, type ReceivedGoAway } from './link-refusal.js';

export type { PeerHello, PeerExpectation } from './hello.js';

/** Link life: TLS is up and we sent HELLO; the peer's HELLO makes it ready; then it closes. */
export enum LinkState {
  /** waiting for the peer's HELLO */
  Hello = 'hello',
  /** HELLO exchanged: flows and routes may use it */
  Ready = 'ready',
  /** gone: socket closed, flows reset */
  Closed = 'closed',
}

/** The moves a link may make: it never goes back to HELLO, and a closed link is never reopened. */
export const LINK_TRANSITIONS: Transitions<LinkState> = {
  [LinkState.Hello]: [LinkState.Ready, LinkState.Closed],
  [LinkState.Ready]: [LinkState.Closed],
  [LinkState.Closed]: [],
};

/** What a link reports to the data plane. Slots are data-plane wide, so most events go straight up. */
export interface LinkEvents extends Omit<DecodeSink, 'onControl' | 'onError' | 'onOpen'> {
  onOpen(link: Link, slot: number, payload: Buffer): void;
  onRefusedOpen(link: Link, id: number, code: number): void;
  onStreamError(link: Link, slot: number, code: number): void;
  onReady(link: Link): void;
  onRoutes(link: Link, payload: Buffer): void;
  /** a TRAFFIC frame (a signed traffic summary) on a ready link */
  onTraffic(link: Link, payload: Buffer): void;
  onDown(link: Link, reason: string): void;
  /** a HELLO was refused (counted and logged, rate-limited, by the data plane) */
  onHelloRefused(link: Link, code: number, reason: string): void;
  /** rate-limited warnings shared by all links (a flooding peer must not flood the log) */
  readonly warnings?: LogBudget;
}

/** PING interval; any frame from the peer counts as a heartbeat. */
export const HEARTBEAT_MS = 300;
/** Silence is checked this often, so detection lands within DEAD_AFTER_MS + LIVENESS_CHECK_MS. */
export const LIVENESS_CHECK_MS = 100;
/**
 * A link silent for this long is declared dead: four missed PINGs. Detection plus one flood of the
 * new site record must fit the 2 s reconvergence budget (a cut link sends nothing, so only this
 * timer notices it).
 */
export const DEAD_AFTER_MS = 1200;
/** A peer that has not sent HELLO this long after TLS is closed (ERR_HELLO_TIMEOUT): it holds a link slot for nothing. */
export const HELLO_TIMEOUT_MS = 5000;

export class Link implements FrameWriter, DecodeSink {
  private readonly machine = new StateMachine('link', LinkState.Hello, LINK_TRANSITIONS, (m, from, to) => reportIllegal(this.log, m, from, to));
  get state(): LinkState { return this.machine.state; }
  peer: PeerHello | undefined;
  private lastHeard = Date.now();
  private heartbeat: NodeJS.Timeout | undefined;
  private helloTimer: NodeJS.Timeout | undefined;
  /** closed because the peer's HELLO did not come in time */
  helloTimedOut = false;
  private closeReason = '';
  /** the GOAWAY the peer sent, if any: the dialer reads why it was refused (link-refusal.ts) */
  peerGoAway: ReceivedGoAway | undefined;
  /** what this peer may cost us (link-budget.ts) */
  readonly budget = new LinkBudget(Date.now());
  /**
   * The peer's certificate as the handshake left it. Read once here: once the socket is destroyed
   * Node returns null from getPeerCertificate(), while the link stays open until its 'close' event.
   */
  readonly peerCert: PeerCertificate | null;
  private readonly writes: WriteQueue;

  constructor(
    readonly index: number,
    readonly socket: TLSSocket,
    readonly dialer: boolean,
    /** our HELLO (without the proof, added at start); the dialer's carries the cost */
    private readonly hello: Omit<PeerHello, 'proof'>,
    /** signs our HELLO proof with this site's identity key */
    private readonly signProof: (bytes: Buffer) => string,
    private readonly events: LinkEvents,
    private readonly send: { control(w: FrameWriter, type: number, payload: Buffer | null): void; flush(): void },
    readonly log: Logger,
    /** the Link resource name on the dialing side, or the peer's certificate name on the accepting side */
    readonly name: string,
    /** what the peer must prove to be (accepting side: from the certificate's registry entry) */
    private readonly expect: PeerExpectation = {},
  ) {
    this.peerCert = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() ?? null : null;
    this.writes = new WriteQueue(socket, () => this.written());
  }

  /** Keying material both ends of this TLS session derive: binds a HELLO proof to this connection. */
  private sessionBinding(): Buffer | undefined {
    try {
      return this.socket.exportKeyingMaterial(32, 'EXPORTER-svcnet-hello', Buffer.alloc(0));
    } catch {
      return undefined; // the TLS session is already gone (the peer reset it)
    }
  }

  /** Starts the protocol: HELLO out, reads in, heartbeats. */
  start(): void {
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onChunk(chunk));
    this.socket.on('error', (err) => { this.closeReason ||= err.message; });
    this.socket.on('close', () => this.closed(this.closeReason || 'connection closed'));
    const binding = this.sessionBinding();
    if (!binding) return this.fail('TLS session closed before HELLO');
    const proof = this.signProof(helloProofBytes(this.hello.siteId, this.hello.siteName, binding));
    this.send.control(this, P.FRAME_HELLO, Buffer.from(JSON.stringify({ ...this.hello, proof })));
    this.heartbeat = setInterval(() => this.tick(), LIVENESS_CHECK_MS);
    this.heartbeat.unref();
    this.helloTimer = setTimeout(() => {
      if (this.state !== LinkState.Hello) return;
      this.helloTimedOut = true;
      this.goAway(P.ERR_HELLO_TIMEOUT, `no HELLO within ${HELLO_TIMEOUT_MS} ms`);
    }, HELLO_TIMEOUT_MS);
    this.helloTimer.unref();
  }

  private onChunk(chunk: Buffer): void {
    if (this.state === LinkState.Closed) return; // dropped (GOAWAY sent): what the peer still sends is ignored
    this.lastHeard = Date.now();
    this.coreDecode(chunk);
  }

  /** Set by the data plane: runs the core over a chunk with this link as the sink. */
  coreDecode: (chunk: Buffer) => void = () => {};

  private lastPing = 0;
  private lastTick = Date.now();

  private tick(): void {
    if (this.state === LinkState.Closed) return;
    const now = Date.now();
    const stalled = now - this.lastTick > 5 * LIVENESS_CHECK_MS;
    this.lastTick = now;
    // After our own event loop stalled, the peer's frames may be waiting unread: look again next tick.
    if (stalled) return;
    if (now - this.lastHeard > DEAD_AFTER_MS) {
      this.fail(`no heartbeat for ${DEAD_AFTER_MS} ms`);
      return;
    }
    if (now - this.lastPing >= HEARTBEAT_MS) {
      this.lastPing = now;
      this.send.control(this, P.FRAME_PING, null);
    }
  }

  // FrameWriter: one buffer per TLS write (write-queue.ts); the backlog counts what waits in the queue.
  write(chunk: Buffer): void { if (!this.socket.destroyed) this.writes.push(chunk); }
  get congested(): boolean { return this.socket.writableLength + this.writes.bytes > LINK_HIGH_WATER; }
  whenDrained(w: DrainWaiter): void { this.drainWaiters.add(w); }
  private readonly drainWaiters = new Set<DrainWaiter>();
  /** After each completed write: waiters resume once the backlog is under the high-water mark. */
  private written(): void {
    if (this.drainWaiters.size === 0 || this.congested) return;
    const waiters = [...this.drainWaiters];
    this.drainWaiters.clear();
    for (const w of waiters) w.linkDrained();
  }

  // DecodeSink: stream events go straight to the data plane, once HELLO made the link ready. A
  // peer may send stream frames only after our HELLO reached it, which is after its own HELLO.
  onData(slot: number, payload: Buffer): void { if (this.state === LinkState.Ready) this.events.onData(slot, payload); else this.beforeHello('DATA'); }
  onForward(target: number, payload: Buffer): void { if (this.state === LinkState.Ready) this.events.onForward(target, payload); else this.beforeHello('DATA'); }
  onOpen(slot: number, payload: Buffer): void { if (this.state === LinkState.Ready) this.events.onOpen(this, slot, payload); else this.beforeHello('OPEN'); }
  onCredit(slot: number, n: number): void { if (this.state === LinkState.Ready) this.events.onCredit(slot, n); else this.beforeHello('CREDIT'); }
  onClose(slot: number, released: boolean): void { if (this.state === LinkState.Ready) this.events.onClose(slot, released); else this.beforeHello('CLOSE'); }
  onReset(slot: number, code: number): void { if (this.state === LinkState.Ready) this.events.onReset(slot, code); else this.beforeHello('RESET'); }

  private beforeHello(frame: string): void {
    if (this.state === LinkState.Hello) this.refuse(P.ERR_BAD_STATE, `${frame} before HELLO: stream frames are allowed only once the link is ready`);
  }

  onControl(type: number, _flags: number, payload: Buffer): void {
    if (this.state === LinkState.Closed) return;
    if (!this.budget.control.take(P.HEADER_SIZE + payload.length, Date.now())) {
      return this.overBudget('control frames', `more than ${this.budget.limits.controlBytesPerSec} control bytes per second`);
    }
    switch (type) {
      case P.FRAME_HELLO: return this.onHello(payload);
      case P.FRAME_PING: return this.onPing();
      case P.FRAME_PONG: return;
      case P.FRAME_ROUTES:
        if (this.state === LinkState.Ready) this.events.onRoutes(this, payload);
        else if (this.state === LinkState.Hello) this.refuse(P.ERR_BAD_STATE, 'ROUTES before HELLO');
        return;
      case P.FRAME_TRAFFIC:
        if (this.state === LinkState.Ready) this.events.onTraffic(this, payload);
        else if (this.state === LinkState.Hello) this.refuse(P.ERR_BAD_STATE, 'TRAFFIC before HELLO');
        return;
      case P.FRAME_GOAWAY: {
        const code = payload.length >= 4 ? payload.readUInt32BE(0) : P.ERR_NONE;
        const reason = clip(payload.subarray(4, 4 + 4 * MAX_REFUSAL_REASON).toString('utf8'), MAX_REFUSAL_REASON);
        this.peerGoAway = { code, reason, ready: this.state === LinkState.Ready };
        return this.fail(`peer sent GOAWAY ${payload.length >= 4 ? protocolErrorName(code) : ''}: ${reason || 'no reason'}`, false);
      }
    }
  }

  /** Answers a PING unless our PONGs are piling up unread: a peer that never reads cannot grow our memory. */
  private onPing(): void {
    const b = this.budget;
    // Bytes whose writes completed (bytesWritten counts queued bytes too): growth means the peer reads.
    const left = this.socket.bytesWritten - this.socket.writableLength;
    if (this.socket.writableLength === 0 || left > b.bytesLeft) { b.pongsWaiting = 0; b.pingsUnanswered = 0; }
    b.bytesLeft = left;
    if (!this.congested && b.pongsWaiting < b.limits.pongBacklog) {
      b.pongsWaiting++;
      this.send.control(this, P.FRAME_PONG, null);
      return;
    }
    if (++b.pingsUnanswered > b.limits.unansweredPings) this.overBudget('unanswered PINGs', `${b.limits.unansweredPings} PINGs while not reading our frames`);
  }

  /** The peer keeps exceeding a budget: GOAWAY, and the socket goes even if the peer never reads it. */
  overBudget(kind: string, why: string): void {
    if (this.state === LinkState.Closed) return;
    this.events.warnings?.warn(`over-budget:${kind}`, { link: this.name, peer: this.peer?.siteName, code: protocolErrorName(P.ERR_OVER_BUDGET) }, `peer over budget (${why}); closing link`);
    this.goAway(P.ERR_OVER_BUDGET, `over budget: ${why}`);
    setTimeout(() => this.socket.destroy(), this.budget.limits.goAwayGraceMs).unref();
  }

  onError(code: number, offset: number, slot: number, rawId: number): void {
    if (slot !== 0) { this.events.onStreamError(this, slot, code); return; }
    if (rawId !== 0) { this.events.onRefusedOpen(this, rawId, code); return; }
    const err = new ProtocolError(code, offset);
    this.log.warn({ code: err.id, offset }, 'protocol error from peer; closing link');
    this.goAway(code, err.message);
  }

  private onHello(payload: Buffer): void {
    if (this.state !== LinkState.Hello) return this.refuse(P.ERR_BAD_STATE, 'second HELLO');
    let raw: unknown;
    try {
      raw = JSON.parse(payload.toString('utf8'));
    } catch {
      return this.refuse(P.ERR_BAD_LENGTH, 'HELLO is not JSON');
    }
    const binding = this.sessionBinding();
    if (!binding) return this.fail('TLS session closed during HELLO');
    const v = validHello(raw, {
      selfId: this.hello.siteId,
      binding,
      certSan: this.peerCert?.subjectaltname,
      expect: this.expect,
    });
    if ('code' in v) return this.refuse(v.code, v.reason);
    const hello = v.hello;
    // The dialer chose the cost; the accepting side never lets it go below its own policy.
    this.peer = { ...hello, cost: this.dialer ? this.hello.cost : Math.max(hello.cost, this.expect.minCost ?? 1) };
    if (!this.machine.to(LinkState.Ready)) return;
    this.log.info({ peer: hello.siteName, peerId: hello.siteId, cost: this.peer.cost }, 'link ready');
    this.events.onReady(this);
  }

  /** Refuses the peer's handshake or frames: counted and logged by the data plane, then GOAWAY. */
  private refuse(code: number, reason: string): void {
    if (this.state === LinkState.Closed) return;
    this.events.onHelloRefused(this, code, reason);
    this.goAway(code, reason);
  }

  /** Tells the peer why we leave, then closes. */
  goAway(code: number, reason: string): void {
    if (this.state === LinkState.Closed) return;
    const body = Buffer.alloc(4 + Buffer.byteLength(reason));
    body.writeUInt32BE(code, 0);
    body.write(reason, 4);
    this.send.control(this, P.FRAME_GOAWAY, body);
    this.send.flush();
    this.fail(reason, false);
  }

  /** Closes the link (idempotent); the data plane resets its flows in onDown. */
  fail(reason: string, destroyNow = true): void {
    if (this.state === LinkState.Closed) return;
    this.closeReason ||= reason;
    if (destroyNow) this.socket.destroy();
    else {
      this.writes.flushAll(); // queued frames (GOAWAY last) must precede end()
      this.socket.end(() => this.socket.destroy());
    }
    this.closed(reason);
  }

  private closed(reason: string): void {
    // Idempotent: fail() and the socket's 'close' both come here.
    if (this.state === LinkState.Closed || !this.machine.to(LinkState.Closed)) return;
    clearInterval(this.heartbeat);
    clearTimeout(this.helloTimer);
    this.log.info({ reason }, 'link down');
    this.events.onDown(this, reason);
  }
}
