// Issue 12: flow records are asked of the engine through the port (control/flows/flow-queries.ts):
// each answer reaches its own question, and no question waits on an engine that is gone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FlowQueries, listAllFlows, mergeFlowLists } from '../../control/flows/flow-queries.js';
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

const timed = (id: string, startedAt: number, endedAt?: number) => ({ id, startedAt, endedAt }) as FlowRecord;

test('issue 11/12: several engines answer as one: active flows first by start, then ended ones by end, within the limit', () => {
  const one = [timed('a-live', 50), timed('a-end-30', 1, 30), timed('a-end-10', 2, 10)];
  const two = [timed('b-live', 70), timed('b-end-40', 3, 40), timed('b-end-20', 4, 20)];
  assert.equal(mergeFlowLists([one, two], {}).map((r) => r.id), ['b-live', 'a-live', 'b-end-40', 'a-end-30', 'b-end-20', 'a-end-10']);
  assert.equal(mergeFlowLists([one, two], { limit: 3 }).map((r) => r.id), ['b-live', 'a-live', 'b-end-40']);
});

test('issue 11/12: a site asks every engine and merges; an engine that is down adds nothing', async () => {
  const sent: number[] = [];
  const engines = [0, 1, 2].map((i) => new FlowQueries((cmd) => { if (i === 2) return false; sent.push(i); setImmediate(() => engines[i].answer((cmd as { id: number }).id, [timed(`e${i}`, 1, 10 + i)])); return true; }));
  const merged = await listAllFlows(engines, {});
  assert.equal(sent, [0, 1]);
  assert.equal(merged.map((r) => r.id), ['e1', 'e0']);
});

test.run();
