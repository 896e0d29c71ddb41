#!/usr/bin/env node
// Builds (wasm + tsc) only when an output is missing or older than a source, so `npm run demo` and
// `npm test` right after `npm install` (whose `prepare` built everything) start at once (issue 15).
// Usage: node scripts/build-if-stale.mjs [--check]   (--check: print the reason, build nothing)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Each output group and what it is built from: the wasm core (asc), and dist/ (tsc). */
export const RULES = [
  { outputs: ['build/core.wasm', 'build/core.debug.wasm'], sources: ['wasm/assembly', 'asconfig.json'] },
  { outputs: ['dist/control/demo.js', 'dist/control/cli/main.js'], sources: ['common', 'control', 'dataplane', 'bench', 'test', 'examples', 'wasm/assembly/protocol.ts', 'tsconfig.json'] },
];

function newest(p) {
  const st = fs.statSync(p, { throwIfNoEntry: false });
  if (!st) return { file: p, mtime: 0 };
  if (!st.isDirectory()) return { file: p, mtime: st.mtimeMs };
  let best = { file: p, mtime: 0 };
  for (const e of fs.readdirSync(p)) {
    const n = newest(path.join(p, e));
    if (n.mtime > best.mtime) best = n;
  }
  return best;
}

/** Why `root` needs a build (a missing output, or a source newer than its outputs), or undefined when it is fresh. */
export function staleReason(root) {
  for (const rule of RULES) {
    let oldest = Infinity;
    for (const o of rule.outputs) {
      const st = fs.statSync(path.join(root, o), { throwIfNoEntry: false });
      if (!st) return `${o} is missing`;
      oldest = Math.min(oldest, st.mtimeMs);
    }
    for (const s of rule.sources) {
      const n = newest(path.join(root, s));
      if (n.mtime > oldest) return `${path.relative(root, n.file)} changed since the last build`;
    }
  }
  return undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const reason = staleReason(root);
  if (process.argv.includes('--check')) {
    console.log(reason ?? 'fresh');
  } else if (reason) {
    console.log(`building: ${reason}...`);
    execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  }
}
