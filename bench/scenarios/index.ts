// Every scenario, in the order the bench runs them.
import { bulk } from './bulk.js';
import { pingpongScenario } from './pingpong.js';
import { connectRateScenario } from './connect-rate.js';
import { http } from './http.js';
import { idleFlowsScenario } from './idle-flows.js';
import { mixedScenario } from './mixed.js';
import { idleRssScenario } from './idle-rss.js';
import { pingpongBusyScenario } from './pingpong-busy.js';
import type { Scenario } from './scenario.js';

/** All scenarios; idle RSS first (before any load grows a heap), peak RSS during the 8-flow bulk
 *  run (the memory target's load). */
export const SCENARIOS: Scenario[] = [
  idleRssScenario,
  bulk(1), bulk(8, true), bulk(64),
  pingpongScenario, pingpongBusyScenario, mixedScenario, connectRateScenario,
  http(1), http(64),
  idleFlowsScenario,
];
