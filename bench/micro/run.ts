// `npm run bench:micro [-- --quick] [--only TEXT] [--no-write]`: per-frame and per-byte costs of the
// wasm core against the TypeScript reference, printed as a table and written to bench/micro/RESULTS.md
// with the command, the machine and the date. Every case is bounded (rounds × round time per core).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeMachine } from '../machine.js';
import { cases } from './cases.js';
import { measureAlternating, type Measured } from './measure.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : '';
const ROUNDS = quick ? 3 : 5;
const ROUND_MS = quick ? 150 : 400;

interface Row { name: string; unit: string; wasm?: Measured; ts?: Measured }

const ns = (m?: Measured): string => (m ? (m.nsPerUnit.median < 100 ? m.nsPerUnit.median.toFixed(1) : m.nsPerUnit.median.toFixed(0)) : '–');
const spread = (m?: Measured): string => (m ? `${m.nsPerUnit.min.toPrecision(3)}–${m.nsPerUnit.max.toPrecision(3)}` : '–');
const gbs = (m?: Measured): string => (m && m.gbPerSec.median > 0 ? m.gbPerSec.median.toFixed(2) : '–');
const ratio = (r: Row): string => (r.wasm && r.ts ? `${(r.ts.nsPerUnit.median / r.wasm.nsPerUnit.median).toFixed(2)}×` : '–');

const machine = describeMachine(); // load average before we add to it
const wall0 = process.hrtime.bigint(), cpu0 = process.cpuUsage();
const rows: Row[] = [];
for (const c of cases()) {
  if (only && !c.name.includes(only)) continue;
  process.stderr.write(`… ${c.name}\n`);
  const steps = [c.wasm?.(), c.ts?.()];
  const got = measureAlternating(steps.filter((s) => s !== undefined), ROUNDS, ROUND_MS);
  rows.push({ name: c.name, unit: c.unit, wasm: steps[0] && got[0], ts: steps[1] && got[steps[0] ? 1 : 0] });
}

const head = ['case', 'unit', 'wasm ns/unit', 'TsCore ns/unit', 'TsCore/wasm', 'wasm GB/s', 'TsCore GB/s', 'wasm min–max', 'TsCore min–max'];
const table = [head, ...rows.map((r) => [r.name, r.unit, ns(r.wasm), ns(r.ts), ratio(r), gbs(r.wasm), gbs(r.ts), spread(r.wasm), spread(r.ts)])];
const md = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`, ...table.slice(1).map((r) => `| ${r.join(' | ')} |`)].join('\n');
console.log(md);
const cpu = process.cpuUsage(cpu0);
const share = (cpu.user + cpu.system) * 1000 / Number(process.hrtime.bigint() - wall0);
console.log(`\nthis process got ${(share * 100).toFixed(0)}% of one core over the run (100% = no contention)`);

/** Where the time of one 64 B frame goes in the wasm core: copy-in, the walk, and the JS dispatch. */
function breakdown(): string {
  const whole = rows.find((r) => r.name.startsWith('decode: 64 B'))?.wasm;
  const walk = rows.find((r) => r.name.startsWith('walk only'));
  const copy = rows.find((r) => r.name.startsWith('boundary: copy-in'))?.wasm;
  const big = rows.find((r) => r.name.startsWith('decode: 16 KiB'));
  if (!whole || !walk?.wasm || !copy) return '';
  const framesPerChunk = 65536 / 76;
  const c = copy.nsPerUnit.median / framesPerChunk;
  const w = walk.wasm.nsPerUnit.median;
  const d = whole.nsPerUnit.median - c - w;
  return `Per 64 B frame through \`WasmCore.decode\` (${whole.nsPerUnit.median.toFixed(1)} ns): copy-in ${c.toFixed(1)} ns, ` +
    `the wasm walk ${w.toFixed(1)} ns (TsCore's walk: ${walk.ts ? walk.ts.nsPerUnit.median.toFixed(1) : '–'} ns), ` +
    `JS dispatch (a payload view and a sink call per descriptor) ${d.toFixed(1)} ns.` +
    (big?.wasm && big.ts ? ` Per 16 KiB frame the copy-in alone is ${(copy.nsPerUnit.median / 4).toFixed(0)} ns of the wasm core's ` +
      `${big.wasm.nsPerUnit.median.toFixed(0)} ns; TsCore, which reads the chunk where it lies, takes ${big.ts.nsPerUnit.median.toFixed(0)} ns.` : '');
}

if (!args.includes('--no-write') && !only) {
  const m = machine;
  const out = fileURLToPath(new URL('../../../bench/micro/RESULTS.md', import.meta.url));
  writeFileSync(out, `# bench/micro results

The wasm forwarding core (\`build/core.wasm\`, release) against the TypeScript reference
(\`dataplane/core/ts-core.ts\`), both through the \`ForwardingCore\` interface unless the case says
otherwise. ns/unit and GB/s (input bytes) are medians of ${ROUNDS} rounds of ${ROUND_MS} ms per core after a
warm-up, the two cores' rounds alternating (A B A B); min–max is over the rounds. Decode cases include
the one CREDIT per pass over the input that keeps the window open.

- command: \`npm run bench:micro${quick ? ' -- --quick' : ''}\`
- machine: ${m.cores} cores, ${m.cpu}, ${m.memoryGiB} GiB, ${m.kernel}
- load average at start ${m.loadAtStart.join(' ')}; this process got ${(share * 100).toFixed(0)}% of one core over the run
  (100% = no contention: below that, other processes shared the cores and absolute figures are inflated;
  the TsCore/wasm ratios hold better, as both cores' rounds alternate)
- Node ${m.node}
- date: ${new Date().toISOString()}

${md}

${breakdown()}

What the cases isolate: *decode* rows are the whole \`ForwardingCore.decode\` (for wasm: copy into
core memory of the bytes the core parses — not the DATA payload a chunk begins with, see
\`dataAhead\` — the wasm walk, and the JS dispatch that turns each descriptor into a payload view and
a sink call); *walk only* is the frame walk alone on bytes already in place; *encode* rows
are \`queue()\` per request plus one \`encode()\` and the copy of the heads; the *boundary* rows are
the price of crossing into wasm (one call) and of the copy-in.
`);
  process.stderr.write(`wrote ${out}\n`);
}
