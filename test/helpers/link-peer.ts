// A fake site for attack tests: dials a real site's link port with a real link certificate (got by
// redeeming a real token) and speaks the link protocol frame by frame, so a test can send exactly
// what a malicious or broken peer would — forged HELLOs, ROUTES, OPEN floods, malformed frames.
import tls from 'node:tls';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import * as P from '../../wasm/assembly/protocol.js';
import { helloProofBytes } from '../../dataplane/hello.js';
import { SiteIdentity } from '../../common/identity.js';

/** One frame as it came off the wire. */
export interface Frame { type: number; flags: number; stream: number; payload: Buffer }

/** Key, certificate and trusted CA of one outbound link, as `svcnet token redeem` stored them. */
export interface LinkCredentialsPem { key: string; cert: string; ca: string }

/** Reads the credentials of link `link` (default: the only one) from a site directory that redeemed a token. */
export function readCredentials(siteDir: string, link?: string): LinkCredentialsPem {
  const names = fs.readdirSync(path.join(siteDir, 'links'));
  const name = link ?? names[0];
  const v = JSON.parse(fs.readFileSync(path.join(siteDir, 'links', name, 'credentials.json'), 'utf8')) as LinkCredentialsPem;
  return { key: v.key, cert: v.cert, ca: v.ca };
}

/** Encodes one frame: u32 length | u8 type | u8 flags | u16 0 | u32 stream, then the payload. */
export function frame(type: number, stream: number, payload: Buffer | string | null = null, flags = 0): Buffer {
  const body = payload === null ? Buffer.alloc(0) : Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const head = Buffer.alloc(P.HEADER_SIZE);
  head.writeUInt32BE(body.length, 0);
  head.writeUInt8(type, 4);
  head.writeUInt8(flags, 5);
  head.writeUInt32BE(stream, 8);
  return Buffer.concat([head, body]);
}

/** A CREDIT or RESET frame: its payload is one u32. */
export function u32Frame(type: number, stream: number, value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0, 0);
  return frame(type, stream, b);
}

export class LinkPeer {
  readonly frames: Frame[] = [];
  closed = false;
  private pending: Buffer = Buffer.alloc(0);
  private readonly waiters = new Set<() => void>();

  private constructor(readonly socket: tls.TLSSocket, private readonly raw: net.Socket) {
    raw.on('error', () => {});
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => {});
    socket.on('close', () => { this.closed = true; this.wake(); });
  }

  /** Dials host:port with `cred` (TLS 1.3, the peer verified against cred.ca). Rejects if the handshake fails. */
  static connect(port: number, cred: LinkCredentialsPem, host = '127.0.0.1'): Promise<LinkPeer> {
    return new Promise((resolve, reject) => {
      // TLS over a TCP socket of our own, so reset() can send a RST (a TLS socket cannot).
      const raw = net.connect({ host, port });
      raw.once('error', reject);
      const s = tls.connect({ socket: raw, key: cred.key, cert: cred.cert, ca: [cred.ca], minVersion: 'TLSv1.3', checkServerIdentity: () => undefined }, () => resolve(new LinkPeer(s, raw)));
      s.once('error', reject);
    });
  }

  /** Aborts the TCP connection with a RST, as a crashed host or a middlebox would. */
  reset(): void { if (!this.raw.destroyed) this.raw.resetAndDestroy(); }

  /** Writes raw bytes (one or several frames, or garbage). */
  write(bytes: Buffer): void { if (!this.socket.destroyed) this.socket.write(bytes); }

  /** Sends one frame. */
  send(type: number, stream: number, payload: Buffer | string | object | null = null, flags = 0): void {
    const body = payload === null || Buffer.isBuffer(payload) || typeof payload === 'string' ? payload : JSON.stringify(payload);
    this.write(frame(type, stream, body, flags));
  }

  /** This TLS session's keying material: what a HELLO proof signs (dataplane/hello.ts). */
  binding(): Buffer { return this.socket.exportKeyingMaterial(32, 'EXPORTER-svcnet-hello', Buffer.alloc(0)); }

  /** Sends a HELLO proved with identity key `key` (siteId/siteName default to the key's own id and `name`). */
  helloAs(key: { pub: string; sign(b: Buffer): string }, name: string, fields: Record<string, unknown> = {}, siteId?: string): void {
    const id = siteId ?? (key as { id?: string }).id ?? '';
    const siteName = (fields.siteName as string | undefined) ?? name;
    const proof = key.sign(helloProofBytes((fields.siteId as string | undefined) ?? id, siteName, this.binding()));
    this.hello({ siteId: id, siteName, pub: key.pub, proof, ...fields });
  }

  /** Sends the honest HELLO of the site in `siteDir` (its id, name and identity key), with `fields` overriding. */
  helloFrom(siteDir: string, fields: Record<string, unknown> = {}): void {
    const cfg = JSON.parse(fs.readFileSync(path.join(siteDir, 'site.json'), 'utf8')) as { name: string };
    this.helloAs(SiteIdentity.fromPem(fs.readFileSync(path.join(siteDir, 'pki', 'site-identity.pem'), 'utf8')), cfg.name, fields);
  }

  /** Sends a HELLO with the given fields (the caller decides whether they are honest). */
  hello(fields: Record<string, unknown>): void { this.send(P.FRAME_HELLO, 0, { version: P.PROTOCOL_VERSION, window: 262144, cost: 1, ...fields }); }

  /** The first frame received so far or later that satisfies `pred`; rejects after `ms` or when the link closes first. */
  async waitFrame(pred: (f: Frame) => boolean, ms = 5000, what = 'a frame'): Promise<Frame> {
    const end = Date.now() + ms;
    for (;;) {
      const f = this.frames.find(pred);
      if (f) return f;
      if (this.closed) throw new Error(`link closed before ${what} arrived`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise<void>((r) => { const t = setTimeout(r, left); this.waiters.add(() => { clearTimeout(t); r(); }); });
    }
  }

  /** Resolves when the site closes the link; rejects after `ms`. */
  async waitClosed(ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!this.closed) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`link still open after ${ms} ms`);
      await new Promise<void>((r) => { const t = setTimeout(r, left); this.waiters.add(() => { clearTimeout(t); r(); }); });
    }
  }

  /** The GOAWAY the site sent, as code and reason, if any. */
  goAway(): { code: number; reason: string } | undefined {
    const f = this.frames.find((x) => x.type === P.FRAME_GOAWAY);
    return f && f.payload.length >= 4 ? { code: f.payload.readUInt32BE(0), reason: f.payload.subarray(4).toString('utf8') } : undefined;
  }

  /** The site's HELLO, parsed. */
  async peerHello(ms = 5000): Promise<Record<string, unknown>> {
    const f = await this.waitFrame((x) => x.type === P.FRAME_HELLO, ms, 'HELLO');
    return JSON.parse(f.payload.toString('utf8')) as Record<string, unknown>;
  }

  /** Sends a PING every 300 ms until closed, so the site does not declare a quiet peer dead. */
  keepAlive(): void {
    const t = setInterval(() => { if (this.closed) clearInterval(t); else this.send(P.FRAME_PING, 0); }, 300);
    t.unref();
  }

  close(): void { this.socket.destroy(); }

  private onData(d: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, d]) : d;
    while (this.pending.length >= P.HEADER_SIZE) {
      const len = this.pending.readUInt32BE(0);
      if (this.pending.length < P.HEADER_SIZE + len) break;
      this.frames.push({
        type: this.pending.readUInt8(4), flags: this.pending.readUInt8(5), stream: this.pending.readUInt32BE(8),
        payload: Buffer.from(this.pending.subarray(P.HEADER_SIZE, P.HEADER_SIZE + len)),
      });
      this.pending = this.pending.subarray(P.HEADER_SIZE + len);
    }
    this.wake();
  }

  private wake(): void {
    const w = [...this.waiters];
    this.waiters.clear();
    for (const f of w) f();
  }
}
