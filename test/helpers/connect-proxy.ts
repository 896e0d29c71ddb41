// A minimal HTTP CONNECT proxy for tests: tunnels to loopback targets and counts the tunnels.
import net from 'node:net';

export interface ConnectProxy { server: net.Server; tunnels: string[] }

export function connectProxy(port: number, host = '127.0.0.1'): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const server = net.createServer((client) => {
    let head = Buffer.alloc(0);
    client.on('error', () => client.destroy());
    const onData = (d: Buffer) => {
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.off('data', onData);
      const m = /^CONNECT ([^\s:]+):(\d+) HTTP\/1\.1\r\n/.exec(head.toString('latin1'));
      if (!m || m[1] !== '127.0.0.1') { client.end('HTTP/1.1 403 Forbidden\r\n\r\n'); return; }
      const upstream = net.connect({ host: m[1], port: Number(m[2]) }, () => {
        tunnels.push(`${m[1]}:${m[2]}`);
        client.write('HTTP/1.1 200 Connection established\r\n\r\n');
        const rest = head.subarray(end + 4);
        if (rest.length) upstream.write(rest);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      upstream.on('error', () => { client.destroy(); upstream.destroy(); });
    };
    client.on('data', onData);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve({ server, tunnels }));
  });
}
