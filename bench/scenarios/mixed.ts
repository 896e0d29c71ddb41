// No flow starved (issue 6): one 64-byte ping-pong flow measured while 64 bulk flows share the
// same setup (for svcnet: the same link). Reports the ping-pong p50/p99 and the bulk throughput.
import { receive } from './bulk.js';
import { pingpong } from './pingpong.js';
import type { Context, Scenario } from './scenario.js';

const BULK_FLOWS = 64;

interface Params { port: number; warmupMs: number; seconds: number }

/** Load side: starts the bulk flows, then runs ping-pong for `seconds` while they pull. */
export async function mixed(p: Params): Promise<Record<string, number>> {
  // The bulk window outlasts the ping-pong so every round trip is measured under load.
  const windowMs = p.seconds * 1000 + 1000;
  const bulk = receive({ port: p.port, flows: BULK_FLOWS, warmupMs: p.warmupMs, windowMs });
  await new Promise((r) => setTimeout(r, p.warmupMs + 500));
  const pp = await pingpong({ port: p.port, seconds: p.seconds });
  const b = await bulk;
  if (b.failed > 0) throw new Error(`${b.failed} of ${BULK_FLOWS} bulk flows ended early or never started`);
  return { p50us: pp.p50us, p99us: pp.p99us, gbps: (b.windowBytes * 8) / b.windowSeconds / 1e9 };
}

/** The mixed scenario. */
export const mixedScenario: Scenario = {
  name: 'mixed',
  title: `ping-pong beside ${BULK_FLOWS} bulk flows`,
  metrics: [
    { key: 'p50us', label: `ping-pong p50 beside ${BULK_FLOWS} bulk flows`, unit: 'µs', higherIsBetter: false, digits: 0 },
    { key: 'p99us', label: `ping-pong p99 beside ${BULK_FLOWS} bulk flows`, unit: 'µs', higherIsBetter: false, digits: 0 },
    { key: 'gbps', label: 'bulk throughput meanwhile', unit: 'Gbit/s', higherIsBetter: true, digits: 2 },
  ],
  settle: true,
  async run({ load, endpoint, opts }: Context) {
    const params: Params = { port: endpoint.port, warmupMs: opts.warmupSeconds * 1000, seconds: opts.pingpongSeconds };
    return load.call<Record<string, number>>('mixed', 'mixed', params, (opts.warmupSeconds + opts.pingpongSeconds) * 1000 + 60_000);
  },
};
