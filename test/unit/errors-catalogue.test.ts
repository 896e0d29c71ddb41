// Every stable error name used anywhere in control/ and dataplane/ is documented in docs/errors.md,
// and every protocol code the core defines has a name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as P from '../../wasm/assembly/protocol.js';
import { PROTOCOL_ERROR_NAMES, ProtocolError } from '../../dataplane/errors.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const doc = fs.readFileSync(path.join(root, 'docs', 'errors.md'), 'utf8');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

test('every SVCNET_ERR_* name in the source is in docs/errors.md', () => {
  const names = new Set<string>();
  for (const f of [...sources(path.join(root, 'control')), ...sources(path.join(root, 'dataplane'))]) {
    for (const m of fs.readFileSync(f, 'utf8').matchAll(/SVCNET_ERR_[A-Z0-9_]*[A-Z0-9]/g)) names.add(m[0]);
  }
  assert.ok(names.size > 20, `found ${names.size} names`);
  for (const n of names) assert.ok(doc.includes(`| ${n} |`) || (n === 'SVCNET_ERR_PROTOCOL' && doc.includes('SVCNET_ERR_PROTOCOL_n')), `${n} is not documented in docs/errors.md`);
});

test('every ERR_* code of the protocol has a stable name, and the names are distinct', () => {
  const codes = Object.entries(P).filter(([k]) => k.startsWith('ERR_') && k !== 'ERR_NONE').map(([, v]) => v as number);
  for (const c of codes) assert.ok(PROTOCOL_ERROR_NAMES[c], `protocol code ${c} has no name`);
  const names = Object.values(PROTOCOL_ERROR_NAMES);
  assert.is(new Set(names).size, names.length);
  const e = new ProtocolError(P.ERR_FLOW_CONTROL, 40, 3);
  assert.is(e.id, 'SVCNET_ERR_FLOW_CONTROL');
  assert.match(e.message, /SVCNET_ERR_FLOW_CONTROL \(code 4\) at offset 40 on slot 3/);
});

test.run();
