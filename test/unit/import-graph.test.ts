// The boundary between the planes, checked over the import graph of the sources (issue 11): control
// reaches the data plane only through dataplane/port/, the data plane never imports control, and
// the engine process loads none of the control plane's libraries.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    return e.isDirectory() ? sources(rel) : e.name.endsWith('.ts') ? [rel] : [];
  });
}

/** Every module a source file imports or re-exports (static and dynamic): repo-relative .ts paths, or package names. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
  return specs.map((s) => (s.startsWith('.') ? path.relative(root, path.resolve(path.dirname(path.join(root, file)), s)).replace(/\.js$/, '.ts') : s));
}

test('issue 11: control/ imports nothing from dataplane/ but the port', () => {
  const bad = sources('control').flatMap((f) => importsOf(f).filter((i) => i.startsWith('dataplane/') && !i.startsWith('dataplane/port/')).map((i) => `${f} → ${i}`));
  assert.equal(bad, []);
});

test('issue 11: what control/ takes from the port is types only (no code of the data plane runs in the control process)', () => {
  const bad = sources('control').flatMap((f) => fs.readFileSync(path.join(root, f), 'utf8').split('\n')
    .filter((l) => /from\s+['"][^'"]*dataplane\/port\//.test(l) && !/^\s*(import|export)\s+type\s/.test(l)).map((l) => `${f}: ${l.trim()}`));
  assert.equal(bad, []);
});

test('issue 11: dataplane/ never imports control/, and the port imports only itself', () => {
  const bad = sources('dataplane').flatMap((f) => importsOf(f).filter((i) => i.startsWith('control/') || (f.startsWith('dataplane/port/') && i.includes('/') && !i.startsWith('dataplane/port/') && !i.startsWith('node:'))).map((i) => `${f} → ${i}`));
  assert.equal(bad, []);
});

test('issue 11: common/ is shared by both planes and depends on neither', () => {
  const bad = sources('common').flatMap((f) => importsOf(f).filter((i) => i.startsWith('control/') || i.startsWith('dataplane/')).map((i) => `${f} → ${i}`));
  assert.equal(bad, []);
});

test('issue 11: the engine process loads no control-plane library (node-forge, zod, gRPC, hono, yaml, commander)', () => {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const walk = (f: string): void => {
    if (seen.has(f)) return;
    seen.add(f);
    for (const i of importsOf(f)) {
      if (i.endsWith('.ts')) walk(i);
      else if (!i.startsWith('node:')) packages.add(i);
    }
  };
  walk('dataplane/engine/main.ts');
  assert.ok(seen.has('dataplane/dataplane.ts'), 'the walk reaches the data plane');
  assert.ok([...seen].every((f) => !f.startsWith('control/')), [...seen].filter((f) => f.startsWith('control/')).join(', '));
  const heavy = [...packages].filter((p) => /^(node-forge|zod|@grpc\/|hono|@hono\/|yaml|commander)/.test(p));
  assert.equal(heavy, [], `the engine loads ${[...packages].join(', ')}`);
});

test.run();
