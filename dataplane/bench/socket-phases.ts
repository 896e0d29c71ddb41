// The application ends of `svcnet bench --ends socket` (issue 14): real loopback TCP sockets, as an
// application's client and server would be. The client side (bulk readers, pinger, open/close loop)
// connects to the driving engine's bench entry port; the server side (source, sink, echo) is what
// the target engine's bench flows are connected to, through the ordinary connector path. Both run in
// the engine's bench-ends worker thread (ends-worker.ts), so the sockets' work never shares the
// engine's event loop, as `npm run bench`'s load and backend processes do not. No engine imports.
import net from 'node:net';
import fs from 'node:fs';
import { pacedOpens, type RateFigures } from './paced-opens.js';

const CHUNK = Buffer.alloc(65_536);
/** Connections of the rate phase in flight at once: 32, as `npm run bench`'s connect-rate loops (a
 *  socket-ends flow crosses four event loops each way, so 8 left them idle between hops and
 *  measured the hand-offs), at most RATE_MAX_PER_SEC as engine ends (paced-opens.ts). */
export const SOCKET_RATE_CONCURRENCY = 32;
const RATE_CONCURRENCY = SOCKET_RATE_CONCURRENCY;
const MAX_SAMPLES = 20_000;

/** CPU microseconds of one thread from its /proc stat line (utime + stime, fields 14 and 15 of
 *  stat(5), in clock ticks of 10 ms on Linux); the name field may hold spaces and parentheses. */
export function statCpuUs(stat: string): number {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(f[11]) + Number(f[12]);
  return Number.isFinite(ticks) ? ticks * 10_000 : 0;
}

/** CPU microseconds of thread `tid` of this process ('thread-self': the calling thread); 0 where
 *  /proc has none. */
export function threadCpuUs(tid: number | 'thread-self' = 'thread-self'): number {
  try { return statCpuUs(fs.readFileSync(tid === 'thread-self' ? '/proc/thread-self/stat' : `/proc/self/task/${tid}/stat`, 'utf8')); } catch { return 0; }
}

/** This thread's id (the first field of its /proc stat); 0 where there is none. */
export function threadId(): number {
  try { return parseInt(fs.readFileSync('/proc/thread-self/stat', 'utf8'), 10) || 0; } catch { return 0; }
}

/** The servers a target's bench flows are joined to, on 127.0.0.1:ephemeral: a source (writes zeros
 *  until its client half-closes, as `npm run bench`'s backend streams), a sink (reads, and closes once
 *  its client did: the flow-rate phase) and an echo. `sockets` holds every connection. */
export function serveEnds(sockets: Set<net.Socket>): Promise<{ source: net.Server; sink: net.Server; echo: net.Server }> {
  const track = (s: net.Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => s.destroy()); };
  const source = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => {
    track(s);
    let stop = false;
    const pump = () => { while (!stop && s.write(CHUNK)); };
    s.on('drain', pump);
    s.on('data', () => {});
    s.on('end', () => { stop = true; s.end(); });
    pump();
  });
  const sink = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => { track(s); s.on('data', () => {}); s.on('end', () => s.end()); });
  const echo = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => { track(s); s.pipe(s); });
  const listen = (srv: net.Server) => new Promise<void>((res, rej) => { srv.once('error', rej); srv.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => res()); });
  return Promise.all([listen(source), listen(sink), listen(echo)]).then(() => ({ source, sink, echo }));
}

export interface SocketFlow { bytes: number; ms: number }

/** `flows` clients of the target's source through `port`, each reading and counting until finish()
 *  (or `maxBytes` received in all): it then half-closes, and its flow is over once the source's FIN
 *  arrived after the bytes in flight. As `npm run bench`'s bulk client, counted where it arrives. */
export function socketThroughput(port: number, flows: number, maxBytes: number, sockets: Set<net.Socket>) {
  let received = 0;
  const results: SocketFlow[] = [];
  let settle!: (r: SocketFlow[]) => void;
  let fail!: (e: Error) => void;
  const done = new Promise<SocketFlow[]>((res, rej) => { settle = res; fail = rej; });
  const all: net.Socket[] = [];
  const finish = () => { for (const s of all) if (!s.writableEnded) s.end(); };
  for (let i = 0; i < flows; i++) {
    const t0 = performance.now();
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true, noDelay: true });
    sockets.add(s);
    all.push(s);
    let bytes = 0;
    s.on('data', (d: Buffer) => { bytes += d.length; received += d.length; if (received >= maxBytes) finish(); });
    s.on('end', () => {
      sockets.delete(s);
      s.destroy();
      results.push({ bytes, ms: performance.now() - t0 });
      if (results.length === flows) settle(results);
    });
    s.on('error', (err) => fail(new Error(`a throughput flow failed: ${err.message}`)));
    s.on('close', () => { sockets.delete(s); if (!s.readableEnded) fail(new Error('a throughput flow was reset')); });
  }
  return { received: () => received, finish, done };
}

/** Round trips of `size`-byte messages over one connection to an echo, for `ms` from its connect; in ms. */
export function socketLatency(port: number, size: number, ms: number, sockets: Set<net.Socket>): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const msg = Buffer.alloc(size, 0x62);
    const samples: number[] = [];
    // The window starts at the connect: a busy loop that sees it late (a lossy link's run, a loaded machine)
    // must still get its round trips, not end at once with none.
    let until = Infinity;
    let got = 0;
    let sentAt = 0;
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true, noDelay: true });
    sockets.add(s);
    const next = () => {
      if (performance.now() >= until || samples.length >= MAX_SAMPLES) { s.end(); return; }
      got = 0;
      sentAt = performance.now();
      s.write(msg);
    };
    s.on('connect', () => { until = performance.now() + ms; next(); });
    s.on('data', (d: Buffer) => { got += d.length; if (got >= size) { samples.push(performance.now() - sentAt); next(); } });
    s.on('end', () => { sockets.delete(s); s.destroy(); resolve(samples); });
    s.on('error', (err) => reject(new Error(`the latency flow failed: ${err.message}`)));
    s.on('close', () => { sockets.delete(s); if (!s.readableEnded) reject(new Error('the latency flow was reset')); });
  });
}

/** Connections opened, half-closed and answered (the sink's FIN) for `ms`,
 *  RATE_CONCURRENCY at a time and at most RATE_MAX_PER_SEC (paced-opens.ts). */
export function socketRate(port: number, ms: number, sockets: Set<net.Socket>): Promise<RateFigures> {
  return pacedOpens({
    ms, concurrency: RATE_CONCURRENCY, maxFlows: MAX_SAMPLES,
    open: (ended) => {
      const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true, noDelay: true });
      sockets.add(s);
      let ok = false;
      s.on('connect', () => s.end());
      s.on('data', () => {});
      s.on('end', () => { ok = true; s.destroy(); });
      s.on('error', () => s.destroy());
      s.on('close', () => { sockets.delete(s); ended(ok ? undefined : new Error('connection failed')); });
      return true;
    },
    noneOpened: () => new Error('no connection could be opened'),
    // A target that refuses every connection ends the phase with its figures.
    allFailing: () => undefined,
  });
}
