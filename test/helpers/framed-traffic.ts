// Framed test traffic: every flow announces its length (and for downloads its sha256) up front, so
// both ends can tell a complete flow from one cut short — a clean EOF after too few bytes is
// "truncated data presented as complete", the failure a service network must never produce.
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';

/** How a client saw its flow end. Only 'complete' and 'error' are acceptable outcomes. */
export type Outcome = 'complete' | 'error' | 'timeout' | 'corrupt' | 'truncated-eof';

export interface FlowResult {
  outcome: Outcome;
  /** payload bytes sent (upload) or received (download) */
  bytes: number;
  ms: number;
  detail?: string;
}

export interface ServerStats {
  accepted: number;
  complete: number;
  /** the flow ended with a clean EOF before the announced length: must stay 0 */
  truncatedEof: number;
  errors: number;
}

const block = randomBytes(64 * 1024);
const HEADER = 8;
const DIGEST = 32;

function listen(server: net.Server, port: number, host: string): Promise<net.Server> {
  return new Promise((resolve, reject) => { server.once('error', reject); server.listen(port, host, () => resolve(server)); });
}

/** The payload of every flow: the block repeated, cut at the flow's length. */
function payloadHash(bytes: number): Buffer {
  const h = createHash('sha256');
  for (let n = 0; n < bytes; n += block.length) h.update(block.subarray(0, Math.min(block.length, bytes - n)));
  return h.digest();
}

/** Writes `bytes` of the payload to `s` at `rateBps` (0: as fast as it drains), then half-closes. */
function pump(s: net.Socket, bytes: number, rateBps: number, onChunk?: (b: Buffer) => void): void {
  let sent = 0;
  const next = (max: number): Buffer => {
    const off = sent % block.length;
    const n = Math.min(block.length - off, bytes - sent, max);
    const chunk = block.subarray(off, off + n);
    sent += n;
    onChunk?.(chunk);
    return chunk;
  };
  if (rateBps <= 0) {
    const go = () => {
      while (sent < bytes) if (!s.write(next(Infinity))) { s.once('drain', go); return; }
      s.end();
    };
    go();
    return;
  }
  const perTick = Math.max(1, Math.round(rateBps / 100));
  let waiting = false;
  const t = setInterval(() => {
    if (s.destroyed) { clearInterval(t); return; }
    if (waiting) return;
    if (sent >= bytes) { clearInterval(t); s.end(); return; }
    if (!s.write(next(perTick))) { waiting = true; s.once('drain', () => { waiting = false; }); }
  }, 10);
  s.once('close', () => clearInterval(t));
}

/** Server: reads an 8-byte length and that many bytes; replies "N sha256" only if all arrived. */
export async function uploadServer(port: number, host = '0.0.0.0'): Promise<{ server: net.Server; stats: ServerStats }> {
  const stats: ServerStats = { accepted: 0, complete: 0, truncatedEof: 0, errors: 0 };
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    stats.accepted++;
    const h = createHash('sha256');
    let head = Buffer.alloc(0);
    let want = -1;
    let got = 0;
    let failed = false;
    s.on('data', (d: Buffer) => {
      if (want < 0) {
        head = Buffer.concat([head, d]);
        if (head.length < HEADER) return;
        want = Number(head.readBigUInt64BE(0));
        d = head.subarray(HEADER);
      }
      got += d.length;
      h.update(d);
    });
    s.on('end', () => {
      if (want >= 0 && got === want) { stats.complete++; s.end(`${got} ${h.digest('hex')}`); return; }
      stats.truncatedEof++;
      s.destroy();
    });
    s.on('error', () => { if (!failed) { failed = true; stats.errors++; } s.destroy(); });
  });
  return { server: await listen(server, port, host), stats };
}

/** Server: sends an 8-byte length, the sha256 of the payload, then `bytes` of payload at `rateBps`. */
export async function downloadServer(port: number, bytes: number, rateBps = 0, host = '0.0.0.0'): Promise<{ server: net.Server; stats: ServerStats }> {
  const stats: ServerStats = { accepted: 0, complete: 0, truncatedEof: 0, errors: 0 };
  const header = Buffer.alloc(HEADER + DIGEST);
  header.writeBigUInt64BE(BigInt(bytes), 0);
  payloadHash(bytes).copy(header, HEADER);
  const server = net.createServer((s) => {
    stats.accepted++;
    s.on('error', () => { stats.errors++; s.destroy(); });
    s.on('finish', () => { stats.complete++; });
    s.write(header);
    pump(s, bytes, rateBps);
  });
  return { server: await listen(server, port, host), stats };
}

/** Client: uploads `bytes` (paced at `rateBps` when > 0) and checks the server's hash reply. */
export function upload(host: string, port: number, bytes: number, rateBps = 0, timeoutMs = 20_000): Promise<FlowResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    const h = createHash('sha256');
    let sent = 0;
    let reply = '';
    let done = false;
    const s = net.connect({ host, port, allowHalfOpen: true });
    const finish = (outcome: Outcome, detail?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ outcome, bytes: sent, ms: Date.now() - started, detail });
    };
    const timer = setTimeout(() => finish('timeout', `after ${timeoutMs} ms, ${sent} bytes sent`), timeoutMs);
    s.on('connect', () => {
      const head = Buffer.alloc(HEADER);
      head.writeBigUInt64BE(BigInt(bytes), 0);
      s.write(head);
      pump(s, bytes, rateBps, (c) => { h.update(c); sent += c.length; });
    });
    s.on('data', (d) => { reply += d; });
    s.on('end', () => {
      const expected = `${bytes} ${h.digest('hex')}`;
      if (reply === expected) finish('complete');
      else if (reply === '') finish('error', 'closed without a reply');
      else finish('corrupt', `reply "${reply}" expected "${expected}"`);
    });
    s.on('error', (e: NodeJS.ErrnoException) => finish('error', e.code ?? e.message));
    s.on('close', () => finish('error', 'closed'));
  });
}

/** Client: downloads one framed payload and checks its length and sha256. */
export function download(host: string, port: number, timeoutMs = 20_000): Promise<FlowResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    const h = createHash('sha256');
    let head = Buffer.alloc(0);
    let got = 0;
    let done = false;
    const s = net.connect({ host, port });
    const finish = (outcome: Outcome, detail?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ outcome, bytes: got, ms: Date.now() - started, detail });
    };
    const timer = setTimeout(() => finish('timeout', `after ${timeoutMs} ms, ${got} bytes received`), timeoutMs);
    s.on('data', (d: Buffer) => {
      if (head.length < HEADER + DIGEST) {
        const need = HEADER + DIGEST - head.length;
        head = Buffer.concat([head, d.subarray(0, need)]);
        d = d.subarray(need);
      }
      got += d.length;
      h.update(d);
    });
    s.on('end', () => {
      if (head.length < HEADER + DIGEST) return finish('truncated-eof', `clean EOF after ${head.length} header bytes`);
      const want = Number(head.readBigUInt64BE(0));
      if (got < want) return finish('truncated-eof', `clean EOF after ${got} of ${want} bytes`);
      if (got > want || !h.digest().equals(head.subarray(HEADER))) return finish('corrupt', `${got} bytes, hash mismatch or too long (want ${want})`);
      finish('complete');
    });
    s.on('error', (e: NodeJS.ErrnoException) => finish('error', e.code ?? e.message));
    s.on('close', () => finish('error', 'closed'));
  });
}
