// Free loopback ports: bind port 0 on 127.0.0.1, read the port, release it.
import net from 'node:net';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address() as net.AddressInfo; s.close(() => resolve(port)); });
  });
}

const handedOut = new Set<number>();

/** `n` free ports, never the same one twice in this run. */
export async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  while (out.length < n) {
    const p = await freePort();
    if (!handedOut.has(p)) { handedOut.add(p); out.push(p); }
  }
  return out;
}
