// Latency while the control plane works: the ping-pong of pingpong.ts while the entry site's control
// process signs certificates through its API in a loop. The data plane runs in its own process, so
// the round trip should not notice (issue 11: p99 within 1.2× of the quiet figure).
import { pingpongScenario } from './pingpong.js';
import type { Context, Scenario } from './scenario.js';

interface Result { p50us: number; p99us: number; rtps: number }

/** Ping-pong beside control-plane signing; NaN for setups without a control plane. */
export const pingpongBusyScenario: Scenario = {
  name: 'pingpong-busy',
  title: '64-byte ping-pong on one flow while the entry site signs certificates in a loop',
  metrics: [
    ...pingpongScenario.metrics.filter((m) => m.key !== 'rtps'),
    { key: 'signsPerSec', label: 'certificates signed per second meanwhile', unit: '/s', higherIsBetter: true, digits: 1 },
  ],
  async run({ load, endpoint, opts }: Context) {
    if (!endpoint.controlWork) return { p50us: NaN, p99us: NaN, signsPerSec: NaN };
    const work = endpoint.controlWork();
    let r: Result;
    try {
      r = await load.call<Result>('pingpong', 'pingpong', { port: endpoint.port, seconds: opts.pingpongSeconds }, opts.pingpongSeconds * 1000 + 30_000);
    } catch (err) {
      await work.stop();
      throw err;
    }
    const done = await work.stop();
    if (done.operations === 0) throw new Error('the site signed no certificate during the run');
    return { p50us: r.p50us, p99us: r.p99us, signsPerSec: done.operations / done.seconds };
  },
};
