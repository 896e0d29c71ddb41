// Live status for the console's server-sent events (/api/events): the site calls `changed()` when it
// publishes its status; each connected page gets the new status at most once per `minGapMs`, a
// heartbeat comment every `heartbeatMs`, and nothing at all runs while no page is connected.

/** One connected event stream (the HTTP edge writes; this module only decides what and when). */
export interface EventClient {
  /** writes one event; resolves once written (a slow reader gets nothing more until then) */
  send(event: string, data: string): Promise<unknown>;
  /** writes an SSE comment line (a heartbeat that keeps proxies from closing an idle stream) */
  comment(text: string): Promise<unknown>;
  /** ends the stream (the site is stopping) */
  close(): void;
}

/** Bounds of the live stream. */
export interface EventLimits { maxClients: number; minGapMs: number; heartbeatMs: number }
export const EVENT_LIMITS: Readonly<EventLimits> = Object.freeze({ maxClients: 32, minGapMs: 250, heartbeatMs: 15_000 });

interface Conn {
  client: EventClient;
  /** when the last status event was written (0: never) */
  last: number;
  /** the change last written: a stream is sent each change once */
  sentGen: number;
  timer?: NodeJS.Timeout;
  writing: boolean;
  /** a change arrived while a write was in flight */
  again: boolean;
}

export class StatusEvents {
  private readonly conns = new Set<Conn>();
  private gen = 0;
  private cached: { gen: number; data: string } | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly limits: EventLimits;

  /** `status()` is read at most once per change, and only while some page is connected; `event` names the SSE events. */
  constructor(private readonly status: () => object, limits: Partial<EventLimits> = {}, private readonly event = 'status') {
    this.limits = { ...EVENT_LIMITS, ...limits };
  }

  /** The number of connected streams. */
  get clients(): number { return this.conns.size; }

  /** True when a new stream would be refused. */
  get full(): boolean { return this.conns.size >= this.limits.maxClients; }

  /** The site's status changed: every stream gets it, coalesced per stream. */
  changed(): void {
    this.gen++;
    for (const c of this.conns) this.schedule(c);
  }

  /** Adds a stream and sends it the status now; undefined when full. Returns the removal function (idempotent). */
  add(client: EventClient): (() => void) | undefined {
    if (this.full) return undefined;
    const c: Conn = { client, last: 0, sentGen: -1, writing: false, again: false };
    this.conns.add(c);
    this.heartbeat ??= setInterval(() => this.beat(), this.limits.heartbeatMs);
    this.flush(c);
    return () => this.remove(c);
  }

  /** Ends every stream (the site is stopping). */
  close(): void {
    for (const c of [...this.conns]) { this.remove(c); c.client.close(); }
  }

  private remove(c: Conn): void {
    if (!this.conns.delete(c)) return;
    clearTimeout(c.timer);
    if (this.conns.size === 0) { clearInterval(this.heartbeat); this.heartbeat = undefined; this.cached = undefined; }
  }

  private beat(): void {
    for (const c of this.conns) if (!c.writing) c.client.comment('heartbeat').catch(() => {});
  }

  /** Sends now if the stream's gap has passed, else once it has (one timer per stream at most). */
  private schedule(c: Conn): void {
    if (c.timer) return;
    if (c.writing) { c.again = true; return; }
    const wait = c.last + this.limits.minGapMs - Date.now();
    if (wait <= 0) this.flush(c);
    else c.timer = setTimeout(() => { c.timer = undefined; this.flush(c); }, wait);
  }

  private flush(c: Conn): void {
    if (!this.conns.has(c)) return;
    if (c.writing) { c.again = true; return; }
    if (c.sentGen === this.gen) return;
    c.sentGen = this.gen;
    c.last = Date.now();
    c.writing = true;
    c.client.send(this.event, this.snapshot()).catch(() => {}).finally(() => {
      c.writing = false;
      if (c.again) { c.again = false; this.schedule(c); }
    });
  }

  /** The status as JSON, made once per change however many streams read it. */
  private snapshot(): string {
    if (this.cached?.gen !== this.gen) this.cached = { gen: this.gen, data: JSON.stringify(this.status()) };
    return this.cached.data;
  }
}
