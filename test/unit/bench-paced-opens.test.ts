// Issue 14: the open-close loop both ends modes' new-flows phases share (paced-opens.ts): the rate
// cap, a phase whose flows all fail (an error, or its figures, as the caller says: and no opens after
// it ended), and an open that finds nothing to open.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pacedOpens, RATE_MAX_PER_SEC, type PacedOpens } from '../../dataplane/bench/paced-opens.js';

const base = (over: Partial<PacedOpens>): PacedOpens => ({
  ms: 300, concurrency: 4, maxFlows: 20_000,
  open: (ended) => { setImmediate(() => ended()); return true; },
  noneOpened: () => new Error('none opened'),
  allFailing: (last) => last,
  ...over,
});

test('flows that end at once are opened no faster than RATE_MAX_PER_SEC (plus the first batch)', async () => {
  const r = await pacedOpens(base({}));
  assert.ok(r.flows > 0 && r.failed === 0);
  assert.ok(r.flows <= (r.ms / 1000) * RATE_MAX_PER_SEC + 4, `${r.flows} flows in ${r.ms.toFixed(0)} ms`);
});

test('a phase whose flows all fail ends with the caller\'s error, or with its figures, and opens nothing after', async () => {
  let opens = 0;
  const failing = (ended: (e?: Error) => void) => { opens++; setImmediate(() => ended(new Error('refused'))); return true; };
  await pacedOpens(base({ ms: 5_000, open: failing, allFailing: (last) => new Error(`all fail: ${last.message}`) })).then(
    () => assert.unreachable('resolved'),
    (err: Error) => assert.is(err.message, 'all fail: refused'),
  );
  const after = opens;
  await new Promise((r) => setTimeout(r, 20));
  assert.is(opens, after, 'no open after the phase ended');
  const r = await pacedOpens(base({ ms: 5_000, open: failing, allFailing: () => undefined }));
  assert.is(r.flows, 0);
  assert.ok(r.failed > 100 && r.ms < 5_000, JSON.stringify(r));
});

test('an open that finds nothing to open while none is live fails the phase', async () => {
  await pacedOpens(base({ open: () => false })).then(
    () => assert.unreachable('resolved'),
    (err: Error) => assert.is(err.message, 'none opened'),
  );
});

test.run();
