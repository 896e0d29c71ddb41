// Fd exhaustion reporting and the last-resort trap (issue 10 #4): an EMFILE from accept() that no
// server handles is survived and reported; any other uncaught error still ends the process.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fdPressure, isFdExhaustion } from '../../common/fd-pressure.js';

const mod = fileURLToPath(new URL('../../common/fd-pressure.js', import.meta.url));

/** Runs a script that installs the trap, then emits `err` on an emitter nobody listens to. */
function run(err: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = `
    import { EventEmitter } from 'node:events';
    const { surviveAcceptExhaustion, fdPressure } = await import(${JSON.stringify(mod)});
    surviveAcceptExhaustion(() => console.log('survived'));
    setTimeout(() => new EventEmitter().emit('error', ${err}), 10);
    setTimeout(() => console.log('alive', fdPressure.count), 100);`;
  return new Promise((resolve) => execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000 }, (e, stdout, stderr) => resolve({ code: e ? (e as NodeJS.ErrnoException & { code: number }).code : 0, stdout, stderr })));
}

test('issue 10 #4: an unhandled EMFILE from accept() is survived and reported', async () => {
  const r = await run(`Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' })`);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /survived\nalive 1/);
});

test('any other uncaught error still ends the process with its stack', async () => {
  const r = await run(`Object.assign(new Error('boom'), { code: 'EINVAL', syscall: 'accept' })`);
  assert.is(r.code, 1);
  assert.match(r.stderr, /boom/);
  assert.not.match(r.stdout, /alive/);
});

test('reports count fd exhaustion only', () => {
  const before = fdPressure.count;
  assert.ok(isFdExhaustion({ code: 'ENFILE' }));
  assert.not.ok(fdPressure.report('x', new Error('nope')));
  assert.ok(fdPressure.report('x', Object.assign(new Error('open'), { code: 'EMFILE' })));
  assert.is(fdPressure.count, before + 1);
});

test.run();
