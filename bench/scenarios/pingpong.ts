// Request/response latency: one flow, a 64-byte message echoed back, one at a time, for a fixed
// time. Reports p50 and p99 of the round trip and round trips per second.
import net from 'node:net';
import { percentile } from '../stats.js';
import type { Context, Scenario } from './scenario.js';

const SIZE = 64;
const WARMUP_ROUND_TRIPS = 50;
const MAX_ROUND_TRIPS = 500_000;

interface Params { port: number; seconds: number }
interface Result { p50us: number; p99us: number; rtps: number }

/** Load side: ping-pong on one connection until `seconds` pass (or the count bound). */
export function pingpong(p: Params): Promise<Result> {
  return new Promise((resolve, reject) => {
    const msg = Buffer.alloc(SIZE, 'p');
    const lat = new Float64Array(MAX_ROUND_TRIPS);
    let n = -WARMUP_ROUND_TRIPS;
    let got = 0;
    let sentAt = 0n;
    let t0 = 0;
    let end = Infinity;
    const s = net.connect({ port: p.port, host: '127.0.0.1', noDelay: true });
    const send = () => { got = 0; sentAt = process.hrtime.bigint(); s.write(msg); };
    s.on('connect', send);
    s.on('error', reject);
    s.on('data', (d) => {
      got += d.length;
      if (got < SIZE) return;
      const us = Number(process.hrtime.bigint() - sentAt) / 1000;
      if (n >= 0) lat[n] = us;
      n++;
      if (n === 0) { t0 = performance.now(); end = t0 + p.seconds * 1000; }
      if (n < MAX_ROUND_TRIPS && performance.now() < end) { send(); return; }
      const seconds = (performance.now() - t0) / 1000;
      s.destroy();
      const sorted = lat.subarray(0, n).sort();
      resolve({ p50us: percentile(sorted, 50), p99us: percentile(sorted, 99), rtps: n / seconds });
    });
  });
}

/** The ping-pong latency scenario. */
export const pingpongScenario: Scenario = {
  name: 'pingpong',
  title: '64-byte ping-pong on one flow',
  metrics: [
    { key: 'p50us', label: 'round trip p50', unit: 'µs', higherIsBetter: false, digits: 0 },
    { key: 'p99us', label: 'round trip p99', unit: 'µs', higherIsBetter: false, digits: 0 },
    { key: 'rtps', label: 'round trips per second', unit: 'rt/s', higherIsBetter: true, digits: 0 },
  ],
  async run({ load, endpoint, opts }: Context) {
    const r = await load.call<Result>('pingpong', 'pingpong', { port: endpoint.port, seconds: opts.pingpongSeconds }, opts.pingpongSeconds * 1000 + 30_000);
    return { ...r };
  },
};
