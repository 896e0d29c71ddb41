// `npm run bench`: starts the backend, the load process and every setup side by side, runs each
// scenario round by round alternating setups, prints one table, and rewrites bench/RESULTS.md
// (and --json FILE). Every process it starts is stopped by pid at the end, on errors and on Ctrl-C.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RESULTS, parseOptions, type Options } from './options.js';
import { forkModule, installCleanup, stopAll } from './procs.js';
import { LoadClient } from './load-client.js';
import { makeCerts } from './certs.js';
import { describeMachine } from './machine.js';
import { peakRssBytes, processTree, quiesce } from './proc-stats.js';
import { SCENARIOS } from './scenarios/index.js';
import { ON_REQUEST, SETUPS } from './setups/index.js';
import { startLineup, stopLineup, type Lineup } from './lineup.js';
import { profileTwoSites } from './profile.js';
import { figuresTable, ratiosTable } from './tables.js';
import { targetsTable } from './targets.js';
import { renderReport } from './report.js';
import type { Results, RunRecord } from './results.js';
import { MiB, type Scenario } from './scenarios/scenario.js';
import { PAIRED, pairOrder } from './paired.js';

const BACKEND = fileURLToPath(new URL('./backend.js', import.meta.url));

function options(): Options {
  try { return parseOptions(process.argv.slice(2)); } catch (err) { process.stderr.write(`${(err as Error).message}\n`); process.exit(2); }
}

function startBackend(root: string): Promise<number> {
  const child = forkModule(BACKEND, path.join(root, 'backend.log'));
  return new Promise((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`backend exited (${code}); see ${root}/backend.log`)));
  });
}

function pick<T extends { name: string }>(all: T[], names: string[], what: string): T[] {
  if (names.length === 0) return all;
  const unknown = names.filter((n) => !all.some((x) => x.name === n));
  if (unknown.length) { process.stderr.write(`unknown ${what} ${unknown.join(', ')}; known: ${all.map((x) => x.name).join(', ')}\n`); process.exit(2); }
  return all.filter((x) => names.includes(x.name));
}

const fmtValues = (v: Record<string, number>) => Object.entries(v).map(([k, x]) => `${k} ${Number.isFinite(x) ? +x.toPrecision(4) : '—'}`).join('  ');

async function main(): Promise<void> {
  const opts = options();
  if (opts.fromJson) {
    const saved = JSON.parse(fs.readFileSync(opts.fromJson, 'utf8')) as Results;
    const out = opts.results ?? DEFAULT_RESULTS;
    fs.writeFileSync(out, renderReport(saved));
    console.log(`wrote ${out} from ${opts.fromJson}`);
    return;
  }
  const scenarios = pick(SCENARIOS, opts.only, 'scenario');
  const kinds = opts.setups.length ? pick([...SETUPS, ...ON_REQUEST], opts.setups, 'setup') : SETUPS;
  const started = Date.now();
  const machine = describeMachine();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'svcnet-bench-'));
  let lineup: Lineup | undefined;
  installCleanup(async () => { await stopLineup(lineup); await stopAll(); });
  const mode = opts.only.length || opts.setups.length ? 'partial' : opts.quick ? 'quick' : 'full';
  console.log(`svcnet bench (${mode}): ${scenarios.length} scenarios × ${kinds.length} setups × ${opts.rounds} rounds; logs in ${root}`);

  const backendPort = await startBackend(root);
  const load = LoadClient.start(path.join(root, 'load.log'));
  const certs = await makeCerts(path.join(root, 'certs'));
  lineup = await startLineup(kinds, { root, backendPort, certs });

  const runs: RunRecord[] = [];
  const total = opts.rounds * scenarios.reduce((n, sc) => n + lineup!.running.filter((r) => !r.kind.scenarios || r.kind.scenarios.includes(sc.name)).length, 0);
  let i = 0;
  let quiet = 0;
  let previous: number[] = [];
  type Running = Lineup['running'][number];
  /** One run of `sc` on a running setup, logged under `label`. */
  const measure = async (sc: Scenario, { info, setup }: Running, round: number, label: string): Promise<RunRecord> => {
    const nodes = setup.pids().map((root) => processTree([root]));
    const pids = nodes.flat();
    const q0 = Date.now();
    if (sc.settle) await quiesce(previous, opts.quick ? 300 : 2000);
    const waited = Date.now() - q0;
    quiet += waited;
    previous = pids;
    const t0 = Date.now();
    try {
      const values = await sc.run({ load, endpoint: { setup: info.name, port: setup.port, pids: () => pids, nodes: () => nodes, controlWork: setup.controlWork?.bind(setup) }, opts });
      console.log(`${label} ${fmtValues(values)}  (${((Date.now() - t0) / 1000).toFixed(1)} s${waited > 100 ? `, after ${(waited / 1000).toFixed(1)} s waiting for the previous setup to go quiet` : ''})`);
      return { scenario: sc.name, setup: info.name, round, values };
    } catch (err) {
      const error = (err as Error).message.split('\n')[0];
      console.log(`${label} FAILED: ${error}`);
      return { scenario: sc.name, setup: info.name, round, values: {}, error };
    }
  };
  for (const sc of scenarios) {
    for (let round = 1; round <= opts.rounds; round++) {
      for (const running of lineup.running) {
        if (running.kind.scenarios && !running.kind.scenarios.includes(sc.name)) continue;
        i++;
        runs.push(await measure(sc, running, round, `[${String(i).padStart(String(total).length)}/${total}] ${sc.name.padEnd(12)} round ${round}/${opts.rounds}  ${running.info.name.padEnd(9)}`));
      }
    }
  }
  // Close comparisons get rounds of their own (paired.ts): the two setups back to back, in alternating order.
  const pairs: RunRecord[] = [];
  for (const c of PAIRED) {
    const sc = scenarios.find((x) => x.name === c.scenario);
    const sides = [c.base, c.other].map((name) => lineup!.running.find((r) => r.info.name === name));
    const rounds = opts.pairedRounds ?? (mode === 'full' ? c.rounds : 0);
    if (!sc || sides.some((x) => x === undefined) || rounds <= 0) continue;
    for (let round = 1; round <= rounds; round++) {
      for (const name of pairOrder(c, round)) {
        const running = lineup.running.find((r) => r.info.name === name)!;
        pairs.push(await measure(sc, running, round, `[paired ${round}/${rounds}] ${sc.name.padEnd(12)} ${name.padEnd(9)}`));
      }
    }
  }

  console.log(`measured ${runs.length} runs in ${Math.round((Date.now() - started) / 1000)} s since start (${(quiet / 1000).toFixed(1)} s waiting for quiet proxies)`);
  const peakRss: Results['peakRss'] = {};
  for (const { info, setup } of lineup.running) {
    const per = processTree(setup.pids()).map(peakRssBytes);
    if (per.length) peakRss[info.name] = { maxProc: Math.max(...per) / MiB, total: per.reduce((a, b) => a + b, 0) / MiB };
  }
  const setups = lineup.running.map((r) => r.info);
  const skipped = lineup.skipped;
  let profile: Results['profile'];
  const two = lineup.running.find((r) => r.info.name === 'svcnet-2');
  if (opts.profile && opts.results && two) {
    console.log('profile: svcnet-2 sites restarted under node --cpu-prof, one flow…');
    profile = await profileTwoSites({ running: two.setup, dir: path.join(root, 'profile'), load, seconds: opts.quick ? 1.5 : 5 })
      .catch((err) => { console.log(`profile FAILED: ${(err as Error).message}`); return undefined; });
  }
  await stopLineup(lineup);
  lineup = undefined;

  const results: Results = {
    command: opts.command, mode, date: new Date().toISOString(), seconds: (Date.now() - started) / 1000,
    machine, rounds: opts.rounds,
    durations: { bulkSeconds: opts.bulkSeconds, warmupSeconds: opts.warmupSeconds, pingpongSeconds: opts.pingpongSeconds, connectSeconds: opts.connectSeconds, httpSeconds: opts.httpSeconds, idleFlows: opts.idleFlows },
    setups, skipped, scenarios: scenarios.map(({ name, title, metrics }) => ({ name, title, metrics })),
    runs, peakRss, profile,
    ...(pairs.length ? { pairs } : {}),
  };
  console.log(`\n${figuresTable(results)}\n\n${ratiosTable(results)}\n\n${targetsTable(results)}\n`);
  if (opts.results) { fs.writeFileSync(opts.results, renderReport(results)); console.log(`wrote ${opts.results}`); }
  if (opts.json) { fs.writeFileSync(opts.json, JSON.stringify(results, null, 2)); console.log(`wrote ${opts.json}`); }
  await stopAll();
  if (skipped.length || runs.some((x) => x.error)) console.log(`logs of the skipped setups and failed runs kept in ${root}`);
  else fs.rmSync(root, { recursive: true, force: true });
  console.log(`done in ${Math.round((Date.now() - started) / 1000)} s`);
}

await main();
