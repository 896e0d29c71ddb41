// Traffic helpers: servers and clients that check every byte with a hash.
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';

/** A server that replies to each connection with the sha256 of everything it received, then closes. */
export function hashServer(port: number, host = '127.0.0.1'): Promise<net.Server> {
  return listen(net.createServer({ allowHalfOpen: true }, (s) => {
    const h = createHash('sha256');
    let n = 0;
    s.on('data', (d) => { h.update(d); n += d.length; });
    s.on('end', () => s.end(`${n} ${h.digest('hex')}`));
    s.on('error', () => s.destroy());
  }), port, host);
}

/** A server that streams `bytes` of seeded pseudo-random data to each connection, then closes. */
export function sourceServer(port: number, bytes: number, host = '127.0.0.1'): Promise<net.Server> {
  return listen(net.createServer((s) => {
    let sent = 0;
    const block = patternBlock();
    const pump = () => {
      while (sent < bytes) {
        const n = Math.min(block.length, bytes - sent);
        sent += n;
        if (!s.write(n === block.length ? block : block.subarray(0, n))) { s.once('drain', pump); return; }
      }
      s.end();
    };
    s.on('error', () => s.destroy());
    pump();
  }), port, host);
}

/** An echo server (half-close aware: ends after the client ends). */
export function echoServer(port: number, host = '127.0.0.1'): Promise<net.Server> {
  return listen(net.createServer({ allowHalfOpen: true }, (s) => { s.pipe(s); s.on('error', () => s.destroy()); }), port, host);
}

function listen(server: net.Server, port: number, host: string): Promise<net.Server> {
  return new Promise((resolve, reject) => { server.once('error', reject); server.listen(port, host, () => resolve(server)); });
}

let block: Buffer | undefined;
/** A fixed 64 KiB block of random bytes shared by sender and checker. */
export function patternBlock(): Buffer {
  return (block ??= randomBytes(65536));
}

/** Sends `bytes` of the pattern, half-closes, and returns the server's "N sha256" reply. */
export function sendAndHash(port: number, bytes: number, host = '127.0.0.1'): Promise<{ reply: string; expected: string }> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    const b = patternBlock();
    let sent = 0;
    let reply = '';
    const c = net.connect({ port, host, allowHalfOpen: true });
    const pump = () => {
      while (sent < bytes) {
        const n = Math.min(b.length, bytes - sent);
        const chunk = n === b.length ? b : b.subarray(0, n);
        h.update(chunk);
        sent += n;
        if (!c.write(chunk)) { c.once('drain', pump); return; }
      }
      c.end();
    };
    c.on('connect', pump);
    c.on('data', (d) => { reply += d; });
    c.on('end', () => resolve({ reply, expected: `${bytes} ${h.digest('hex')}` }));
    c.on('error', reject);
  });
}

/** Receives everything from a source server; returns bytes and sha256 of what arrived. */
export function receiveAndHash(port: number, host = '127.0.0.1'): Promise<{ bytes: number; hash: string }> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    let n = 0;
    const c = net.connect({ port, host });
    c.on('data', (d) => { h.update(d); n += d.length; });
    c.on('end', () => resolve({ bytes: n, hash: h.digest('hex') }));
    c.on('error', reject);
  });
}

/** sha256 of `bytes` of the pattern, as sourceServer sends it. */
export function expectedPatternHash(bytes: number): string {
  const h = createHash('sha256');
  const b = patternBlock();
  for (let sent = 0; sent < bytes; sent += b.length) h.update(b.subarray(0, Math.min(b.length, bytes - sent)));
  return h.digest('hex');
}

/** Connects, sends `msg`, half-closes, returns everything received. */
export function exchange(port: number, msg: Buffer | string, host = '127.0.0.1'): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const c = net.connect({ port, host, allowHalfOpen: true }, () => c.end(msg));
    c.on('data', (d) => parts.push(d));
    c.on('end', () => { c.end(); resolve(Buffer.concat(parts)); });
    c.on('error', reject);
  });
}

/** Sends `bytes` of the pattern spread over `ms`, half-closes, and returns whether the server's hash matches. */
export function pacedFlow(port: number, bytes: number, ms: number, host = '127.0.0.1'): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    const h = createHash('sha256');
    const b = patternBlock();
    const steps = Math.ceil(bytes / b.length);
    let sent = 0;
    let reply = '';
    const c = net.connect({ port, host, allowHalfOpen: true });
    const step = () => {
      if (sent >= bytes) { c.end(); return; }
      const n = Math.min(b.length, bytes - sent);
      h.update(b.subarray(0, n));
      sent += n;
      c.write(b.subarray(0, n));
      setTimeout(step, ms / steps);
    };
    c.on('connect', step);
    c.on('data', (d) => { reply += d; });
    c.on('end', () => { const want = `${bytes} ${h.digest('hex')}`; resolve({ ok: reply === want, detail: `got "${reply}" want "${want}" after ${sent} bytes sent` }); });
    c.on('error', (e) => resolve({ ok: false, detail: `${e.message} after ${sent} bytes sent` }));
  });
}
