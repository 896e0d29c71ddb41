// New connections per second: 32 concurrent loops of connect, one 64-byte exchange, close (wait for
// the close to complete), for a fixed time.
import net from 'node:net';
import type { Context, Scenario } from './scenario.js';

const CONCURRENCY = 32;
const SIZE = 64;

interface Params { port: number; seconds: number }
interface Result { completed: number; failed: number; seconds: number }

function once(port: number, msg: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    let got = 0;
    let ok = false;
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => s.write(msg));
    s.on('data', (d) => { got += d.length; if (got >= SIZE && !ok) { ok = true; s.end(); } });
    s.on('error', () => undefined);
    s.on('close', () => resolve(ok));
  });
}

/** Load side: runs the loops until `seconds` pass; counts completed exchanges. */
export async function connections(p: Params): Promise<Result> {
  const msg = Buffer.alloc(SIZE, 'c');
  const t0 = performance.now();
  const end = t0 + p.seconds * 1000;
  let completed = 0;
  let failed = 0;
  const loop = async () => {
    while (performance.now() < end) {
      if (await once(p.port, msg)) completed++; else failed++;
      if (failed > 1000) return;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  return { completed, failed, seconds: (performance.now() - t0) / 1000 };
}

/** The connection-rate scenario. */
export const connectRateScenario: Scenario = {
  name: 'connect-rate',
  title: 'new connections (connect, 64-byte exchange, close; 32 concurrent)',
  metrics: [{ key: 'cps', label: 'new connections per second', unit: 'conn/s', higherIsBetter: true, digits: 0 }],
  async run({ load, endpoint, opts }: Context) {
    const r = await load.call<Result>('connect-rate', 'connections', { port: endpoint.port, seconds: opts.connectSeconds }, opts.connectSeconds * 1000 + 60_000);
    if (r.failed > r.completed / 100) throw new Error(`${r.failed} of ${r.completed + r.failed} connections failed`);
    return { cps: r.completed / r.seconds };
  },
};
