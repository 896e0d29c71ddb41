// Real h2c conversations for the HTTP/2 observer's tests (issue 13), captured at run time (nothing is
// committed): Node's http2 client and server talk through a loopback relay that records each direction's
// chunks. The server answers GET, echoes POST bodies and ends gRPC-style responses with trailers.
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Turn } from './http1-gen.js';

/** One connection's bytes, in the order the relay saw them, and the streams the client made. */
export interface H2Capture { turns: Turn[]; requests: { method: string; path: string; status: number; grpcStatus?: number }[] }

/** Runs one client connection of `requests` (made concurrently) through a recording relay. */
export async function captureNodeH2(requests: { method: string; path: string; body?: number }[], headerTableSize?: number): Promise<H2Capture> {
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const path = String(headers[':path']);
    let got = 0;
    stream.on('data', (b: Buffer) => { got += b.length; });
    stream.on('end', () => {
      if (path.startsWith('/grpc')) {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'OK' }));
        stream.end(Buffer.alloc(64, 1));
      } else if (path.startsWith('/missing')) {
        stream.respond({ ':status': 404 });
        stream.end();
      } else {
        stream.respond({ ':status': 200, 'content-type': 'text/plain', 'x-got': String(got) });
        stream.end('x'.repeat(3000));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const turns: Turn[] = [];
  const note = (d: 0 | 1, b: Buffer): void => {
    const last = turns[turns.length - 1];
    if (last && last[0] === d) last[1] = Buffer.concat([last[1], b]); else turns.push([d, Buffer.from(b)]);
  };
  const relay = net.createServer((c) => {
    const s = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
    c.on('data', (b) => { note(0, b); s.write(b); });
    s.on('data', (b) => { note(1, b); c.write(b); });
    c.on('close', () => s.destroy());
    s.on('close', () => c.destroy());
    c.on('error', () => {});
    s.on('error', () => {});
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  const client = http2.connect(`http://127.0.0.1:${(relay.address() as AddressInfo).port}`, headerTableSize ? { settings: { headerTableSize } } : {});
  const results = await Promise.all(requests.map((q) => new Promise<H2Capture['requests'][number]>((resolve, reject) => {
    const st = client.request({ ':method': q.method, ':path': q.path, 'user-agent': 'svcnet-test', 'x-trace': `t-${q.path}` }, { endStream: !q.body });
    let status = 0;
    let grpcStatus: number | undefined;
    st.on('response', (h) => { status = Number(h[':status']); });
    st.on('trailers', (h) => { if (h['grpc-status'] !== undefined) grpcStatus = Number(h['grpc-status']); });
    st.on('data', () => {});
    st.on('end', () => resolve({ method: q.method, path: q.path, status, grpcStatus }));
    st.on('error', reject);
    if (q.body) st.end(Buffer.alloc(q.body, 2));
  })));
  await new Promise<void>((r) => client.close(() => r()));
  await new Promise<void>((r) => relay.close(() => r()));
  await new Promise<void>((r) => server.close(() => r()));
  return { turns, requests: results };
}

/** The captures the differential and fuzz tests mutate. */
export async function standardCaptures(): Promise<H2Capture[]> {
  return [
    await captureNodeH2([{ method: 'GET', path: '/' }, { method: 'GET', path: '/api/items?x=1' }, { method: 'POST', path: '/upload', body: 70000 }, { method: 'GET', path: '/missing' }]),
    await captureNodeH2([{ method: 'POST', path: '/grpc.Svc/Call', body: 20 }, { method: 'POST', path: '/grpc.Svc/Call', body: 20 }, { method: 'DELETE', path: '/api/1' }]),
    // A client allowing a 64 KiB table: Node's encoder keeps to 4,096 bytes, so the observer still follows.
    await captureNodeH2([{ method: 'GET', path: '/a' }, { method: 'GET', path: '/b' }], 65536),
  ];
}
