// The application ends of `svcnet bench --ends socket` (issue 14): real loopback TCP sockets, as an
// application's client and server would be. The client side (sources, pinger, open/close loop)
// connects to the driving engine's bench entry port; the server side (sink, echo) is what the
// target engine's bench flows are connected to, through the ordinary connector path. Both run in
// the engine's bench-ends worker thread (ends-worker.ts), so the sockets' work never shares the
// engine's event loop, as `npm run bench`'s load and backend processes do not. No engine imports.
import net from 'node:net';
import fs from 'node:fs';

/** What the sink answers once its client half-closed: the bytes it read and the CPU the engine
 *  process spent meanwhile, less this thread's own (the proxy's cost, not the application's). */
export interface SocketSinkReport { bytes: number; cpuUs: number }

const CHUNK = Buffer.alloc(65_536);
const REPORT_MAX = 4096;
/** Flows of the rate phase in flight at once, and their pace (as bench-phases.ts). */
const RATE_CONCURRENCY = 8;
const RATE_MAX_PER_SEC = 5_000;
const MAX_SAMPLES = 20_000;

/** CPU microseconds this thread used (Linux /proc/thread-self; 0 where there is none). */
export function threadCpuUs(): number {
  try {
    const stat = fs.readFileSync('/proc/thread-self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
    return (Number(f[11]) + Number(f[12])) * 10_000;
  } catch { return 0; }
}

/** The engine process's CPU, microseconds, less this thread's. */
export function engineCpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system - threadCpuUs();
}

/** The sink and echo servers on 127.0.0.1:ephemeral; `sockets` holds every connection for stop(). */
export function serveEnds(sockets: Set<net.Socket>): Promise<{ sink: net.Server; echo: net.Server }> {
  const track = (s: net.Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => s.destroy()); };
  const sink = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => {
    track(s);
    const cpu0 = engineCpuUs();
    let bytes = 0;
    s.on('data', (d: Buffer) => { bytes += d.length; });
    s.on('end', () => { const r: SocketSinkReport = { bytes, cpuUs: Math.max(0, engineCpuUs() - cpu0) }; s.end(JSON.stringify(r)); });
  });
  const echo = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => { track(s); s.pipe(s); });
  const listen = (srv: net.Server) => new Promise<void>((res, rej) => { srv.once('error', rej); srv.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => res()); });
  return Promise.all([listen(sink), listen(echo)]).then(() => ({ sink, echo }));
}

export interface SocketFlow { bytes: number; ms: number; cpuUs: number }

/** `flows` sources writing zeros to `port` until finish() or `maxBytes` in all; each then half-closes
 *  and reads the sink's report. */
export function socketThroughput(port: number, flows: number, maxBytes: number, sockets: Set<net.Socket>) {
  let sent = 0;
  let finished = false;
  const results: SocketFlow[] = [];
  let settle!: (r: SocketFlow[]) => void;
  let fail!: (e: Error) => void;
  const done = new Promise<SocketFlow[]>((res, rej) => { settle = res; fail = rej; });
  const all: net.Socket[] = [];
  for (let i = 0; i < flows; i++) {
    const t0 = performance.now();
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true, noDelay: true });
    sockets.add(s);
    all.push(s);
    let report = '';
    const pump = () => {
      while (!finished && sent < maxBytes) {
        const n = Math.min(CHUNK.length, maxBytes - sent);
        sent += n;
        if (!s.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return; // 'drain' resumes
      }
      if (!s.writableEnded) s.end();
    };
    s.on('connect', pump);
    s.on('drain', pump);
    s.on('data', (d: Buffer) => { if (report.length + d.length <= REPORT_MAX) report += d.toString('utf8'); });
    s.on('end', () => {
      sockets.delete(s);
      s.destroy();
      let r: SocketSinkReport;
      try { r = JSON.parse(report) as SocketSinkReport; } catch { fail(new Error('the target sent no byte count')); return; }
      results.push({ bytes: Number(r.bytes) || 0, ms: performance.now() - t0, cpuUs: Number(r.cpuUs) || 0 });
      if (results.length === flows) settle(results);
    });
    s.on('error', (err) => fail(new Error(`a throughput flow failed: ${err.message}`)));
    s.on('close', () => { sockets.delete(s); if (!s.readableEnded) fail(new Error('a throughput flow was reset')); });
  }
  return {
    sent: () => sent,
    finish: () => { finished = true; for (const s of all) if (!s.writableEnded) s.end(); },
    done,
  };
}

/** Round trips of `size`-byte messages over one connection to an echo, for `ms`; in ms. */
export function socketLatency(port: number, size: number, ms: number, sockets: Set<net.Socket>): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const msg = Buffer.alloc(size, 0x62);
    const samples: number[] = [];
    const until = performance.now() + ms;
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
    s.on('connect', next);
    s.on('data', (d: Buffer) => { got += d.length; if (got >= size) { samples.push(performance.now() - sentAt); next(); } });
    s.on('end', () => { sockets.delete(s); s.destroy(); resolve(samples); });
    s.on('error', (err) => reject(new Error(`the latency flow failed: ${err.message}`)));
    s.on('close', () => { sockets.delete(s); if (!s.readableEnded) reject(new Error('the latency flow was reset')); });
  });
}

/** Connections opened, half-closed and answered (the sink's report, then its FIN) for `ms`,
 *  RATE_CONCURRENCY at a time and at most RATE_MAX_PER_SEC. */
export function socketRate(port: number, ms: number, sockets: Set<net.Socket>): Promise<{ flows: number; failed: number; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const until = t0 + ms;
    let flows = 0;
    let failed = 0;
    let live = 0;
    let paced: NodeJS.Timeout | undefined;
    const start = () => {
      const now = performance.now();
      if (now >= until || flows + failed + live >= MAX_SAMPLES) { if (live === 0) { clearTimeout(paced); resolve({ flows, failed, ms: now - t0 }); } return; }
      if (flows + failed + live >= ((now - t0) / 1000) * RATE_MAX_PER_SEC + RATE_CONCURRENCY) {
        paced ??= setTimeout(() => { paced = undefined; for (let i = live; i < RATE_CONCURRENCY; i++) start(); }, 2);
        return;
      }
      live++;
      const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true, noDelay: true });
      sockets.add(s);
      let ok = false;
      s.on('connect', () => s.end());
      s.on('data', () => {});
      s.on('end', () => { ok = true; s.destroy(); });
      s.on('error', () => s.destroy());
      s.on('close', () => {
        sockets.delete(s);
        live--;
        if (ok) flows++; else failed++;
        // A target that refuses every flow ends the phase instead of spinning.
        if (failed > 100 && flows === 0) { resolve({ flows, failed, ms: performance.now() - t0 }); return; }
        start();
      });
    };
    for (let i = 0; i < RATE_CONCURRENCY; i++) start();
  });
}
