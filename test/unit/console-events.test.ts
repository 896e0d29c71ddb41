// Issue 12 item 3, the console's live status (control/console/status-events.ts) with fake streams:
// bursts are coalesced per stream, each change is sent once, streams are capped, a
// heartbeat comment flows while streams exist, and nothing is left behind once they are gone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StatusEvents, type EventClient } from '../../control/console/status-events.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every StatusEvents a test makes is closed after it, passed or failed, so no heartbeat keeps the run alive. */
const made: StatusEvents[] = [];
function events(...args: ConstructorParameters<typeof StatusEvents>): StatusEvents {
  const ev = new StatusEvents(...args);
  made.push(ev);
  return ev;
}
test.after.each(() => { for (const ev of made.splice(0)) ev.close(); });

/** A stream that records what it was sent; `stall` makes its writes never finish (a reader that stopped reading). */
function fake(stall = false) {
  const got: { event: string; data: string; at: number }[] = [];
  const comments: string[] = [];
  let closed = false;
  const client: EventClient = {
    send: async (event, data) => { got.push({ event, data, at: Date.now() }); if (stall) await new Promise(() => {}); },
    comment: async (text) => { comments.push(text); },
    close: () => { closed = true; },
  };
  return { client, got, comments, closed: () => closed };
}

test('issue 12: a new stream gets the status at once; a burst of changes reaches it at most once per gap, the last one included', async () => {
  let n = 0, reads = 0;
  const ev = events(() => { reads++; return { updatedAt: new Date().toISOString(), n }; }, { minGapMs: 100, heartbeatMs: 60_000 });
  const a = fake(), b = fake();
  const removeA = ev.add(a.client)!, removeB = ev.add(b.client)!;
  assert.equal(a.got.map((e) => [e.event, JSON.parse(e.data).n]), [['status', 0]]);
  for (let i = 1; i <= 50; i++) { n = i; ev.changed(); }
  await sleep(40);
  assert.is(a.got.length, 1, 'nothing within the gap');
  await sleep(150);
  assert.equal(a.got.map((e) => JSON.parse(e.data).n), [0, 50], 'the burst arrives as one event with the last status');
  assert.equal(b.got.map((e) => JSON.parse(e.data).n), [0, 50]);
  assert.ok(a.got[1].at - a.got[0].at >= 95, `gap ${a.got[1].at - a.got[0].at} ms`);
  assert.ok(reads <= 3, `the status is read once per change and shared by the streams (${reads} reads)`);
  removeA(); removeB();
});

test('issue 12: each change is sent once: no change, no event (the page\'s rates come from the site\'s own publications)', async () => {
  const ev = events(() => ({ at: Date.now() }), { minGapMs: 10, heartbeatMs: 60_000 });
  const a = fake();
  const remove = ev.add(a.client)!;
  await sleep(40);
  assert.is(a.got.length, 1, 'no change: nothing more');
  for (let i = 0; i < 3; i++) { ev.changed(); await sleep(20); }
  assert.is(a.got.length, 4, 'three changes apart: three events');
  remove();
});

test('issue 12: streams are capped; a removed stream frees its place and is sent nothing more', async () => {
  let n = 0;
  const ev = events(() => ({ n }), { maxClients: 3, minGapMs: 0, heartbeatMs: 60_000 });
  const fakes = [fake(), fake(), fake()];
  const removes = fakes.map((f) => ev.add(f.client));
  assert.ok(removes.every(Boolean));
  assert.is(ev.clients, 3);
  assert.ok(ev.full);
  assert.is(ev.add(fake().client), undefined, 'the fourth is refused');
  removes[0]!(); removes[0]!();
  assert.is(ev.clients, 2, 'removal is idempotent');
  n = 1; ev.changed();
  await sleep(5);
  assert.is(fakes[0].got.length, 1, 'a removed stream gets nothing more');
  assert.is(fakes[1].got.length, 2);
  assert.ok(ev.add(fake().client), 'its place is free again');
  ev.close();
  assert.is(ev.clients, 0);
  assert.ok(fakes[1].closed() && fakes[2].closed(), 'close() ends every stream');
});

test('issue 12: a stream that stopped reading is not written again until its write finishes', async () => {
  let n = 0;
  const ev = events(() => ({ n }), { minGapMs: 0, heartbeatMs: 20 });
  const slow = fake(true), quick = fake();
  const r1 = ev.add(slow.client)!, r2 = ev.add(quick.client)!;
  for (let i = 1; i <= 5; i++) { n = i; ev.changed(); await sleep(5); }
  await sleep(50);
  assert.is(slow.got.length, 1);
  assert.is(slow.comments.length, 0, 'no heartbeat queued behind a stalled write');
  assert.is(quick.got.length, 6);
  assert.ok(quick.comments.length >= 1, 'the heartbeat comment flows');
  r1(); r2();
});

test('issue 12: with no stream left, the heartbeat stops and the status is not read', async () => {
  let reads = 0;
  const ev = events(() => { reads++; return { reads }; }, { minGapMs: 0, heartbeatMs: 10 });
  const a = fake();
  const remove = ev.add(a.client)!;
  await sleep(35);
  remove();
  const beats = a.comments.length, before = reads;
  assert.ok(beats >= 1);
  for (let i = 0; i < 5; i++) ev.changed();
  await sleep(40);
  assert.equal([a.comments.length, reads], [beats, before]);
  assert.is(ev.clients, 0);
});

test.run();
