#!/usr/bin/env node
// Runs every uvu test file (compiled to dist/test) in its own process, unit first, then
// integration, netns and fuzz; streams their output; ends with the plain line "N passed, N failed".
// Usage: node scripts/test.mjs [substring filter]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const groups = ['unit', 'integration', 'netns', 'fuzz'];
const filter = process.argv[2] ?? '';
const files = groups.flatMap((g) => {
  const dir = path.join(root, 'dist', 'test', g);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort().map((f) => path.join(dir, f));
}).filter((f) => f.includes(filter));

const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');
let passed = 0;
let failed = 0;

for (const file of files) {
  const rel = path.relative(path.join(root, 'dist', 'test'), file);
  process.stdout.write(`\n# ${rel}\n`);
  const started = Date.now();
  const out = await new Promise((resolve) => {
    let text = '';
    const child = spawn(process.execPath, [file], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FORCE_COLOR: '0', SVCNET_STRICT_STATES: '1' } });
    child.stdout.on('data', (d) => { text += d; process.stdout.write(d); });
    child.on('close', (code, signal) => resolve({ text: strip(text), code, signal }));
  });
  const total = Number(/Total:\s+(\d+)/.exec(out.text)?.[1] ?? NaN);
  const ok = Number(/Passed:\s+(\d+)/.exec(out.text)?.[1] ?? NaN);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(out.text)?.[1] ?? 0);
  if (Number.isNaN(total) || Number.isNaN(ok)) {
    // No summary: the file crashed before uvu could report. Count it as one failure.
    process.stdout.write(`# ${rel}: no uvu summary (exit ${out.code ?? out.signal}); counted as a failure\n`);
    failed += 1;
    continue;
  }
  passed += ok;
  failed += total - ok - skipped;
  if (out.code !== 0 && total - ok - skipped === 0) failed += 1; // exited non-zero with nothing failed: still a failure
  process.stdout.write(`# ${rel}: ${ok}/${total} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 || files.length === 0 ? 1 : 0);
