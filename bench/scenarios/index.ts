// Every scenario, in the order the bench runs them.
import { bulk } from './bulk.js';
import { pingpongScenario } from './pingpong.js';
import { connectRateScenario } from './connect-rate.js';
import { http } from './http.js';
import { idleFlowsScenario } from './idle-flows.js';
import { mixedScenario } from './mixed.js';
import type { Scenario } from './scenario.js';

/** All scenarios; peak RSS is sampled during the 8-flow bulk run (the memory target's load). */
export const SCENARIOS: Scenario[] = [
  bulk(1), bulk(8, true), bulk(64),
  pingpongScenario, mixedScenario, connectRateScenario,
  http(1), http(64),
  idleFlowsScenario,
];
