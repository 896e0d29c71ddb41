// Command-line options of `npm run bench`: full or --quick, --json FILE, --only NAME, and a few
// knobs for partial runs. Partial runs (--only, --setups) leave bench/RESULTS.md alone unless
// --results FILE is given.
import { fileURLToPath } from 'node:url';

/** Everything a run is told on the command line, with the mode's durations filled in. */
export interface Options {
  quick: boolean;
  rounds: number;
  /** scenario names to run (all when empty) */
  only: string[];
  /** setup names to run (all when empty) */
  setups: string[];
  json?: string;
  /** re-render the report from a saved --json file instead of measuring */
  fromJson?: string;
  /** where to write the markdown report; undefined: do not write */
  results?: string;
  profile: boolean;
  /** rounds of each paired comparison (paired.ts); undefined: its own count in a full run, none otherwise */
  pairedRounds?: number;
  /** seconds of measurement per run and scenario family */
  bulkSeconds: number;
  warmupSeconds: number;
  pingpongSeconds: number;
  connectSeconds: number;
  httpSeconds: number;
  idleFlows: number;
  /** the command line as typed, for the report */
  command: string;
}

/** bench/RESULTS.md in the source tree (the runner is compiled to dist/bench/). */
export const DEFAULT_RESULTS = fileURLToPath(new URL('../../bench/RESULTS.md', import.meta.url));

const USAGE = `usage: npm run bench [-- --quick] [--json FILE] [--only NAME[,NAME]] [--setups NAME[,NAME]]
                     [--rounds N] [--paired-rounds N] [--results FILE] [--no-profile] [--from-json FILE]
  --paired-rounds N rounds of the close comparisons (bench/paired.ts; default: theirs in a full run, 0 otherwise)
  --from-json FILE  rewrite the report from a saved --json file (after editing bench/analysis.md)`;

/** Parses argv (without node and script); throws with the usage text on a bad option. */
export function parseOptions(argv: string[]): Options {
  const o: Options = {
    quick: false, rounds: 3, only: [], setups: [], profile: true,
    bulkSeconds: 2, warmupSeconds: 0.5, pingpongSeconds: 2, connectSeconds: 2, httpSeconds: 3, idleFlows: 1000,
    command: process.env.npm_lifecycle_event === 'bench'
      ? `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`
      : ['node', 'dist/bench/run.js', ...argv].join(' '),
  };
  let resultsGiven = false;
  const value = (i: number) => { if (argv[i + 1] === undefined) throw new Error(`${argv[i]} needs a value\n${USAGE}`); return argv[i + 1]; };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--json') o.json = value(i++);
    else if (a === '--from-json') o.fromJson = value(i++);
    else if (a === '--only') o.only = value(i++).split(',');
    else if (a === '--setups') o.setups = value(i++).split(',');
    else if (a === '--rounds') o.rounds = Math.max(1, Number(value(i++)) | 0);
    else if (a === '--paired-rounds') o.pairedRounds = Math.max(0, Number(value(i++)) | 0);
    else if (a === '--results') { o.results = value(i++); resultsGiven = true; }
    else if (a === '--no-profile') o.profile = false;
    else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  if (o.quick) Object.assign(o, { bulkSeconds: 0.4, warmupSeconds: 0.2, pingpongSeconds: 0.4, connectSeconds: 0.4, httpSeconds: 1, idleFlows: 300 });
  if (!resultsGiven && o.only.length === 0 && o.setups.length === 0) o.results = DEFAULT_RESULTS;
  return o;
}
