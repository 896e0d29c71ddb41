// Issue 12: flow records are asked of the engine through the port (control/flows/flow-queries.ts):
// each answer reaches its own question, and no question waits on an engine that is gone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FlowQueries } from '../../control/flows/flow-queries.js';
import type { EngineCommand, FlowRecord } from '../../dataplane/port/report.js';

const rec = (id: string) => ({ id }) as FlowRecord;

test('issue 12: answers match questions by id; an engine that is down answers nothing at once', async () => {
  const sent: EngineCommand[] = [];
  let up = true;
  const q = new FlowQueries((cmd) => { if (!up) return false; sent.push(cmd); return true; });
  const a = q.list({ key: 'a' });
  const b = q.list({ key: 'b', limit: 5 });
  assert.equal(sent, [{ kind: 'list-flows', id: 1, query: { key: 'a' } }, { kind: 'list-flows', id: 2, query: { key: 'b', limit: 5 } }]);
  q.answer(2, [rec('for-b')]);
  q.answer(1, [rec('for-a')]);
  q.answer(1, [rec('late duplicate')]);
  assert.equal((await a).map((r) => r.id), ['for-a']);
  assert.equal((await b).map((r) => r.id), ['for-b']);
  up = false;
  assert.equal(await q.list({}), []);
});

test('issue 12: questions to an engine that restarts are abandoned with no records', async () => {
  const q = new FlowQueries(() => true);
  const pending = q.list({});
  q.abandon();
  assert.equal(await pending, []);
});

test.run();
