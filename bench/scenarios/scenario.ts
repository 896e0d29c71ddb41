// What a scenario is: a named measurement with its metrics, run by the runner against one setup's
// entry port; its client side runs in the load process (see load-worker.ts).
import type { LoadClient } from '../load-client.js';
import type { Options } from '../options.js';
import type { ControlWork } from '../setups/setup.js';

/** One figure a scenario reports. */
export interface Metric {
  key: string;
  label: string;
  unit: string;
  higherIsBetter: boolean;
  /** decimals shown */
  digits: number;
}

/** What a scenario sees of a running setup. */
export interface Endpoint {
  setup: string;
  port: number;
  /** pids of the setup's proxy processes, empty for a direct connection */
  pids: () => number[];
  /** the same processes grouped by node: a site with its engine, a proxy with its workers */
  nodes: () => number[][];
  /** control-plane work beside the traffic, when the setup has a control plane */
  controlWork?: () => ControlWork;
}

/** What one run of a scenario gets. */
export interface Context { load: LoadClient; endpoint: Endpoint; opts: Options }

/** A scenario, registered in scenarios/index.ts. */
export interface Scenario {
  name: string;
  title: string;
  metrics: Metric[];
  /** wait until the previous run's proxies go quiet first (they may still be draining bulk data) */
  settle?: boolean;
  /** One run: returns a value per metric key (NaN when it does not apply or failed). */
  run(ctx: Context): Promise<Record<string, number>>;
}

/** Bytes in a MiB. */
export const MiB = 1024 * 1024;
/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
