// Issue 15: `npm run demo` builds only when an output is missing or older than a source
// (scripts/build-if-stale.mjs), so it starts at once after `npm install` built everything.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../../scripts/build-if-stale.mjs', import.meta.url));
type Mod = { staleReason(root: string): string | undefined; RULES: { outputs: string[]; sources: string[] }[] };

test('issue 15: fresh after a build, stale when a source is newer or an output is missing', async () => {
  const m = (await import(script)) as Mod;
  const outputs = m.RULES.flatMap((r) => r.outputs);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'svcnet-stale-'));
  const put = (f: string, at: number) => {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), 'x');
    fs.utimesSync(path.join(root, f), at, at);
  };
  const t = Date.now() / 1000 - 1000;
  put('control/cli/main.ts', t);
  put('wasm/assembly/decoder.ts', t);
  put('package.json', t);
  assert.is(m.staleReason(root), `${outputs[0]} is missing`);
  for (const o of outputs) put(o, t + 10);
  assert.is(m.staleReason(root), undefined, 'outputs newer than every source: no build');
  put('wasm/assembly/decoder.ts', t + 20);
  assert.is(m.staleReason(root), 'wasm/assembly/decoder.ts changed since the last build');
  for (const o of outputs) put(o, t + 30);
  assert.is(m.staleReason(root), undefined);
  put('control/cli/main.ts', t + 40);
  for (const o of outputs.filter((f) => f.startsWith('build/'))) put(o, t + 50);
  assert.is(m.staleReason(root), 'control/cli/main.ts changed since the last build', 'a newer wasm build does not make dist/ fresh');
  for (const o of outputs.filter((f) => f.startsWith('dist/'))) put(o, t + 60);
  put('test/unit/x.test.ts', t + 55);
  assert.is(m.staleReason(root), undefined, 'a TypeScript change does not rebuild the wasm core when dist/ is newer');
  fs.rmSync(path.join(root, outputs[2]));
  assert.is(m.staleReason(root), `${outputs[2]} is missing`);
  fs.rmSync(root, { recursive: true, force: true });
});

test('issue 15: package.json runs the demo and the tests through build-if-stale, not a full build', () => {
  const pkg = JSON.parse(fs.readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8'));
  assert.match(pkg.scripts.demo, /^node scripts\/build-if-stale\.mjs && node dist\/control\/demo\.js$/);
  assert.match(pkg.scripts.prepare, /npm run build/, 'npm install builds, so the demo finds fresh outputs');
  // npm test right after npm install (CI) would otherwise build everything a second time.
  assert.is(pkg.scripts.pretest, 'node scripts/build-if-stale.mjs');
});

test.run();
