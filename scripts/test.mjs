#!/usr/bin/env node
// Runs every uvu test file (compiled to dist/test) in its own process — unit and integration, then
// netns and fuzz — and ends with the plain line "N passed, N failed". Unit and integration files
// run a few at a time from one queue (each owns its ports, directories and processes); netns files,
// which change the host's namespaces and routes, and the time-bounded fuzz files run one at a time.
// A file's output is printed whole when it ends, so lanes never interleave.
// The longest files start first (scripts/test-times.json: seconds per file from a CI run), so the
// lanes end together instead of one lane finishing a long file alone; a file not listed there is
// taken for a long one and starts early. SVCNET_TEST_TIMES=FILE writes this run's times to FILE
// in that form (to refresh the list).
// Usage: node scripts/test.mjs [substring filter]   (SVCNET_TEST_JOBS=1 runs everything one by one)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const filter = process.argv[2] ?? '';
const jobs = Math.max(1, Number(process.env.SVCNET_TEST_JOBS) || Math.min(2, os.availableParallelism()));
/** The directories whose files share a queue, and how many of them run at once. */
const groups = [[['unit', 'integration'], jobs], [['netns'], 1], [['fuzz'], 1]];
/** Seconds each file took in a recorded run ("integration/NAME": s); unlisted files count as longest. */
const times = JSON.parse(fs.readFileSync(path.join(root, 'scripts', 'test-times.json'), 'utf8'));
const took = {};

const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');
let passed = 0;
let failed = 0;
let files = 0;

/** Runs one file; returns its output and its own pass/fail counts. */
function runFile(file) {
  const rel = path.relative(path.join(root, 'dist', 'test'), file);
  const started = Date.now();
  return new Promise((resolve) => {
    let text = '';
    const child = spawn(process.execPath, [file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', SVCNET_STRICT_STATES: '1' } });
    child.stdout.on('data', (d) => { text += d; });
    child.stderr.on('data', (d) => { text += d; });
    child.on('close', (code, signal) => {
      const out = strip(text);
      const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? NaN);
      const ok = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? NaN);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0);
      let report = `\n# ${rel}\n${text}`;
      let p = 0;
      let f = 0;
      if (Number.isNaN(total) || Number.isNaN(ok)) {
        // No summary: the file crashed before uvu could report. Count it as one failure.
        report += `# ${rel}: no uvu summary (exit ${code ?? signal}); counted as a failure\n`;
        f = 1;
      } else {
        p = ok;
        // uvu's Total counts the tests that ran (skipped ones are not among them).
        f = total - ok;
        if (code !== 0 && f === 0) f = 1; // exited non-zero with nothing failed: still a failure
        report += `# ${rel}: ${ok}/${total} in ${((Date.now() - started) / 1000).toFixed(1)} s${skipped ? `, ${skipped} skipped` : ''}\n`;
        took[rel.replace(/\.test\.js$/, '')] = Math.round((Date.now() - started) / 1000);
      }
      resolve({ report, p, f });
    });
  });
}

/** A file's recorded seconds, or Infinity when it has none. */
const expected = (file) => times[path.relative(path.join(root, 'dist', 'test'), file).replace(/\.test\.js$/, '')] ?? Infinity;

for (const [dirs, width] of groups) {
  const queue = dirs.flatMap((group) => {
    const dir = path.join(root, 'dist', 'test', group);
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir).filter((f) => f.endsWith('.test.js') && `${group}/${f}`.includes(filter)).sort().map((f) => path.join(dir, f));
  });
  // Longest first (a stable sort: equal times keep the alphabetical order).
  queue.sort((a, b) => expected(b) - expected(a));
  files += queue.length;
  // `width` lanes take the next file as each finishes; reports print in the order files end.
  await Promise.all(Array.from({ length: Math.min(width, queue.length) }, async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const r = await runFile(file);
      process.stdout.write(r.report);
      passed += r.p;
      failed += r.f;
    }
  }));
}

if (process.env.SVCNET_TEST_TIMES) {
  const all = Object.fromEntries(Object.entries({ ...times, ...took }).sort(([a], [b]) => (a < b ? -1 : 1)));
  fs.writeFileSync(process.env.SVCNET_TEST_TIMES, `{\n${Object.entries(all).map(([k, v]) => `  ${JSON.stringify(k)}: ${v}`).join(',\n')}\n}\n`);
}
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 || files === 0 ? 1 : 0);
