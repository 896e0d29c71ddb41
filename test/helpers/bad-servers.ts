// Servers that answer badly on purpose (issue 13's "bad input"), tiny raw TCP servers so the bytes are
// exactly what the test means: an HTTP/1.1 server whose answer to `/bad` has an invalid status line,
// and an h2c server whose answer to a marked client is a HEADERS frame HPACK cannot decode. Both
// answer everyone else well, so a good client beside the bad one can be checked.
import net from 'node:net';

/** A request whose HEADERS frame is longer than this gets the broken block (send a long header to be marked). */
export const BAD_HPACK_MARK = 512;

/** HTTP/1.1 on `port`: `GET /bad` gets "HTTP/1.1 2x0 Oops" (then close), any other GET "200 good\n" (keep-alive). */
export function badStatusServer(port: number): Promise<net.Server> {
  const s = net.createServer((c) => {
    let buf = '';
    c.on('error', () => c.destroy());
    c.on('data', (d) => {
      buf += d.toString('latin1');
      let i;
      while ((i = buf.indexOf('\r\n\r\n')) >= 0) {
        const head = buf.slice(0, i);
        buf = buf.slice(i + 4);
        if (/^\S+ \/bad[ ?]/.test(head)) { c.end('HTTP/1.1 2x0 Oops\r\nContent-Length: 3\r\n\r\nno\n'); return; }
        c.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\ngood\n');
      }
    });
  });
  return new Promise((resolve) => s.listen(port, '127.0.0.1', () => resolve(s)));
}

/** One HTTP/2 frame: the 9-byte header, then `payload`. */
export const h2Frame = (type: number, flags: number, stream: number, payload: Buffer): Buffer => {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type; h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
};
const frame = h2Frame;

/** What a client sends whose HEADERS block HPACK cannot decode: the preface, empty SETTINGS, and stream 1's
 *  HEADERS (END_HEADERS, END_STREAM) whose only field is index 126, in neither HPACK table. */
export const BAD_HPACK_CLIENT = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), h2Frame(4, 0, 0, Buffer.alloc(0)), h2Frame(1, 5, 1, Buffer.from([0xfe]))]);

/**
 * h2c (prior knowledge) on `port`: each client stream gets one HEADERS frame (END_STREAM, END_HEADERS):
 * `:status: 200` (static index 8) as usual; index 126, in neither table, to a request whose HEADERS
 * frame is over BAD_HPACK_MARK bytes — a COMPRESSION_ERROR for anyone decoding it. The client's
 * GOAWAY closes the connection (Node's and curl's clients wait for the server to close it).
 */
export function badHpackServer(port: number): Promise<net.Server> {
  const s = net.createServer((c) => {
    let buf = Buffer.alloc(0);
    let preface = false;
    c.on('error', () => c.destroy());
    c.write(frame(4, 0, 0, Buffer.alloc(0)));
    c.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!preface) {
        if (buf.length < 24) return;
        buf = buf.subarray(24);
        preface = true;
      }
      while (buf.length >= 9) {
        const len = buf.readUIntBE(0, 3), type = buf[3], flags = buf[4], stream = buf.readUInt32BE(5) & 0x7fffffff;
        if (buf.length < 9 + len) return;
        buf = buf.subarray(9 + len);
        if (type === 4 && !(flags & 1)) {
          c.write(frame(4, 1, 0, Buffer.alloc(0)));
        } else if (type === 1) {
          c.write(frame(1, 0x5, stream, Buffer.from([len > BAD_HPACK_MARK ? 0xfe : 0x88])));
        } else if (type === 7) c.end();
      }
    });
  });
  return new Promise((resolve) => s.listen(port, '127.0.0.1', () => resolve(s)));
}
