// One mTLS link to a neighbour site: the socket, the HELLO handshake, heartbeats and the decode
// loop. Many flows share it, multiplexed by the core. A link never reconnects itself: the dialer
// that made it does (link-dialer.ts).
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import * as P from '../wasm/assembly/protocol.js';
import type { DecodeSink } from './core/core.js';
import { LINK_HIGH_WATER, type FrameWriter, type DrainWaiter } from './outbox.js';
import { ProtocolError, protocolErrorName } from './errors.js';
import { LinkBudget } from './link-budget.js';
import { clip, type LogBudget } from './log-budget.js';

/** Link life: TLS is up and we sent HELLO; the peer's HELLO makes it ready; then it closes. */
export enum LinkState {
  /** waiting for the peer's HELLO */
  Hello = 'hello',
  /** HELLO exchanged: flows and routes may use it */
  Ready = 'ready',
  /** gone: socket closed, flows reset */
  Closed = 'closed',
}

export interface PeerHello {
  version: number;
  siteId: string;
  siteName: string;
  window: number;
  /** link cost chosen by the dialer; both ends use it */
  cost: number;
}

/** What a link reports to the data plane. Slots are data-plane wide, so most events go straight up. */
export interface LinkEvents extends Omit<DecodeSink, 'onControl' | 'onError' | 'onOpen'> {
  onOpen(link: Link, slot: number, payload: Buffer): void;
  onRefusedOpen(link: Link, id: number, code: number): void;
  onStreamError(link: Link, slot: number, code: number): void;
  onReady(link: Link): void;
  onRoutes(link: Link, payload: Buffer): void;
  onDown(link: Link, reason: string): void;
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

export class Link implements FrameWriter, DecodeSink {
  state = LinkState.Hello;
  peer: PeerHello | undefined;
  private lastHeard = Date.now();
  private heartbeat: NodeJS.Timeout | undefined;
  private closeReason = '';
  /** what this peer may cost us (link-budget.ts) */
  readonly budget = new LinkBudget(Date.now());

  constructor(
    readonly index: number,
    readonly socket: TLSSocket,
    readonly dialer: boolean,
    /** our HELLO; the dialer's carries the cost */
    private readonly hello: PeerHello,
    private readonly events: LinkEvents,
    private readonly send: { control(w: FrameWriter, type: number, payload: Buffer | null): void; flush(): void },
    readonly log: Logger,
    /** the Link resource name on the dialing side, or the peer's certificate name on the accepting side */
    readonly name: string,
  ) {}

  /** Starts the protocol: HELLO out, reads in, heartbeats. */
  start(): void {
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onChunk(chunk));
    this.socket.on('error', (err) => { this.closeReason ||= err.message; });
    this.socket.on('close', () => this.closed(this.closeReason || 'connection closed'));
    this.send.control(this, P.FRAME_HELLO, Buffer.from(JSON.stringify(this.hello)));
    this.heartbeat = setInterval(() => this.tick(), LIVENESS_CHECK_MS);
    this.heartbeat.unref();
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

  // FrameWriter
  cork(): void { this.socket.cork(); }
  uncork(): void { this.socket.uncork(); }
  write(chunk: Buffer): void { if (!this.socket.destroyed) this.socket.write(chunk); }
  get congested(): boolean { return this.socket.writableLength > LINK_HIGH_WATER; }
  whenDrained(w: DrainWaiter): void {
    this.drainWaiters.add(w);
    if (this.drainWaiters.size === 1) this.socket.once('drain', this.onDrain);
  }
  private readonly drainWaiters = new Set<DrainWaiter>();
  private readonly onDrain = (): void => {
    const waiters = [...this.drainWaiters];
    this.drainWaiters.clear();
    for (const w of waiters) w.linkDrained();
  };

  // DecodeSink: stream events go straight to the data plane.
  onData(slot: number, payload: Buffer): void { this.events.onData(slot, payload); }
  onForward(target: number, payload: Buffer): void { this.events.onForward(target, payload); }
  onOpen(slot: number, payload: Buffer): void { this.events.onOpen(this, slot, payload); }
  onCredit(slot: number, n: number): void { this.events.onCredit(slot, n); }
  onClose(slot: number, released: boolean): void { this.events.onClose(slot, released); }
  onReset(slot: number, code: number): void { this.events.onReset(slot, code); }

  onControl(type: number, _flags: number, payload: Buffer): void {
    if (this.state === LinkState.Closed) return;
    if (!this.budget.control.take(P.HEADER_SIZE + payload.length, Date.now())) {
      return this.overBudget('control frames', `more than ${this.budget.limits.controlBytesPerSec} control bytes per second`);
    }
    switch (type) {
      case P.FRAME_HELLO: return this.onHello(payload);
      case P.FRAME_PING: return this.onPing();
      case P.FRAME_PONG: return;
      case P.FRAME_ROUTES: if (this.state === LinkState.Ready) this.events.onRoutes(this, payload); return;
      case P.FRAME_GOAWAY: return this.fail(`peer sent GOAWAY ${payload.length >= 4 ? protocolErrorName(payload.readUInt32BE(0)) : ''}: ${clip(payload.subarray(4).toString('utf8')) || 'no reason'}`, false);
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
    let hello: PeerHello;
    try {
      hello = JSON.parse(payload.toString('utf8')) as PeerHello;
    } catch {
      return this.goAway(P.ERR_BAD_LENGTH, 'HELLO is not JSON');
    }
    if (this.state !== LinkState.Hello) return this.goAway(P.ERR_BAD_STATE, 'second HELLO');
    if (hello.version !== P.PROTOCOL_VERSION || typeof hello.siteId !== 'string' || !(hello.window > 0)) {
      return this.goAway(P.ERR_BAD_STATE, `unsupported HELLO (version ${hello.version})`);
    }
    this.peer = { ...hello, cost: this.dialer ? this.hello.cost : hello.cost };
    this.state = LinkState.Ready;
    this.log.info({ peer: hello.siteName, peerId: hello.siteId, cost: this.peer.cost }, 'link ready');
    this.events.onReady(this);
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
    else this.socket.end(() => this.socket.destroy());
    this.closed(reason);
  }

  private closed(reason: string): void {
    if (this.state === LinkState.Closed) return;
    this.state = LinkState.Closed;
    clearInterval(this.heartbeat);
    this.log.info({ reason }, 'link down');
    this.events.onDown(this, reason);
  }
}
