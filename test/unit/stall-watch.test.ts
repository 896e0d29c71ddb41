// The stall watch notices a blocked event loop (here: a busy loop of 700 ms) and logs it once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pino from 'pino';
import { StallWatch } from '../../common/stall-watch.js';

test('a 700 ms block is counted and logged; normal timer jitter is not', async () => {
  const lines: string[] = [];
  const log = pino({ level: 'warn' }, { write: (l: string) => { lines.push(l); } });
  const w = new StallWatch(log);
  w.start();
  await new Promise((r) => setTimeout(r, 350));
  assert.is(w.counts.stalls, 0, 'an idle loop is not stalled');
  const until = Date.now() + 700;
  while (Date.now() < until) { /* block the loop */ }
  await new Promise((r) => setTimeout(r, 250));
  w.stop();
  assert.is(w.counts.stalls, 1);
  assert.ok(w.counts.longestMs >= 500 && w.counts.longestMs < 1000, `longest ${w.counts.longestMs} ms`);
  assert.is(lines.length, 1);
  assert.match(lines[0], /"msg":"event loop stalled"/);
});

test.run();
