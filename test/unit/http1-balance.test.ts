// Issue 13, per-request balancing: the pure parts — target choice (local connectors, remote lanes,
// cheapest sites only, round robin among the least loaded, exclusion on retry), the pool bookkeeping,
// the retry-safety rule and its state machine, hop-by-hop headers, and the stream pair's ends.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { targetsOf, chooseTarget, REMOTE_LANES, type BalanceTarget } from '../../dataplane/http-balance/target-choice.js';
import { TargetPools } from '../../dataplane/http-balance/target-pools.js';
import { AttemptState, mayMove, retryable, isIdempotent, type Failure } from '../../dataplane/http-balance/retry-safety.js';
import { endToEnd, requestHead, hasBody } from '../../dataplane/http-balance/hop-headers.js';
import { streamPair } from '../../dataplane/http-balance/stream-pair.js';
import { isNotReached, notReachedError } from '../../dataplane/http-balance/upstreams.js';
import type { RouteTarget } from '../../dataplane/routing/route-table.js';

const route = (site: string, cost: number): RouteTarget => ({ site, siteName: site.toUpperCase(), cost, nextHop: site });

// ---- targetsOf --------------------------------------------------------------------------------

test('targetsOf: local connectors (by name) when this site is cheapest; remote sites of higher cost are left out', () => {
  const t = targetsOf('k', [route('self', 0), route('far', 1)], 'self', ['b', 'a']);
  assert.equal(t.map((x) => x.id), ['k@local/a', 'k@local/b']);
});

test('targetsOf: each cheapest remote site is REMOTE_LANES lanes, numbered from 0; farther sites are left out', () => {
  const t = targetsOf('k', [route('x', 1), route('y', 1), route('z', 2)], 'self', []);
  assert.is(t.length, 2 * REMOTE_LANES);
  assert.equal(t.filter((x) => x.site === 'x').map((x) => (x.kind === 'remote' ? x.lane : -1)), [...Array(REMOTE_LANES).keys()]);
  assert.ok(t.every((x) => x.site !== 'z'));
});

test('targetsOf: no route, or this site cheapest with no ready local connector: no target', () => {
  assert.equal(targetsOf('k', undefined, 'self', []), []);
  assert.equal(targetsOf('k', [route('self', 0)], 'self', []), []);
});

test('targetsOf: ids name the key, so two keys at one site never share a pool', () => {
  const a = targetsOf('k1', [route('x', 1)], 'self', [])[0].id;
  const b = targetsOf('k2', [route('x', 1)], 'self', [])[0].id;
  assert.is.not(a, b);
});

// ---- chooseTarget -----------------------------------------------------------------------------

const three: BalanceTarget[] = targetsOf('k', [route('self', 0)], 'self', ['a', 'b', 'c']);

test('chooseTarget: sequential requests (nothing in flight) go round robin over every target', () => {
  const cursor = { next: 0 };
  const got = Array.from({ length: 6 }, () => chooseTarget(three, () => 0, cursor)!.id);
  assert.equal(got, ['k@local/a', 'k@local/b', 'k@local/c', 'k@local/a', 'k@local/b', 'k@local/c']);
});

test('chooseTarget: the target with fewest requests in flight wins over the round-robin turn', () => {
  const load: Record<string, number> = { 'k@local/a': 2, 'k@local/b': 1, 'k@local/c': 3 };
  assert.is(chooseTarget(three, (id) => load[id], { next: 0 })!.id, 'k@local/b');
});

test('chooseTarget: excluded targets (failed for this request) are skipped; all excluded gives none', () => {
  const cursor = { next: 0 };
  assert.is(chooseTarget(three, () => 0, cursor, new Set(['k@local/a']))!.id, 'k@local/b');
  assert.is(chooseTarget(three, () => 0, cursor, new Set(three.map((t) => t.id))), undefined);
  assert.is(chooseTarget([], () => 0, cursor), undefined);
});

test('chooseTarget: two remote sites of equal cost share requests evenly (lanes of both alternate)', () => {
  const t = targetsOf('k', [route('x', 1), route('y', 1)], 'self', []);
  const cursor = { next: 0 };
  const per: Record<string, number> = {};
  for (let i = 0; i < 40; i++) { const s = chooseTarget(t, () => 0, cursor)!.site; per[s] = (per[s] ?? 0) + 1; }
  assert.equal(per, { x: 20, y: 20 });
});

// ---- TargetPools ------------------------------------------------------------------------------

class FakePool { destroyed = false; destroy(): void { this.destroyed = true; } }

test('TargetPools: one pool per target, made on first use; counts of requests, in flight, failed, retried', () => {
  let made = 0;
  const p = new TargetPools(() => { made++; return new FakePool(); });
  const a = p.get('a', 'A');
  assert.is(p.get('a', 'A'), a);
  assert.is(made, 1);
  p.begin(a, false);
  p.begin(a, true);
  assert.is(p.load('a'), 2);
  assert.is(p.load('b'), 0, 'no pool yet: no load');
  p.finish(a, false);
  p.finish(a, true);
  assert.equal(p.status(), [{ target: 'a', site: 'A', pooled: true, requests: 2, active: 0, failed: 1, retried: 1 }]);
});

test('TargetPools: prune drops idle pools of targets that left (destroyed) but keeps busy ones and the counts', () => {
  const pools: Record<string, FakePool> = {};
  const p = new TargetPools((id) => (pools[id] = new FakePool()));
  const a = p.get('a', 'A');
  const b = p.get('b', 'B');
  p.begin(a, false); p.finish(a, false);
  p.begin(b, false);
  p.prune(new Set());
  assert.ok(pools.a.destroyed);
  assert.not.ok(pools.b.destroyed, 'a request in flight keeps its pool');
  assert.is(p.size, 1);
  assert.equal(p.status().find((s) => s.target === 'a'), { target: 'a', site: 'A', pooled: false, requests: 1, active: 0, failed: 0, retried: 0 });
  // The target comes back: a fresh pool, counts carried on.
  assert.is(p.get('a', 'A').requests, 1);
});

test('TargetPools: at its cap an idle pool is dropped to make room; close destroys every pool', () => {
  const pools: FakePool[] = [];
  const p = new TargetPools(() => { const f = new FakePool(); pools.push(f); return f; }, 2);
  p.begin(p.get('a', 'A'), false);
  p.get('b', 'B');
  p.get('c', 'C');
  assert.is(p.size, 2);
  assert.ok(pools[1].destroyed, 'the idle one went');
  assert.not.ok(pools[0].destroyed);
  p.close();
  assert.ok(pools.every((f) => f.destroyed));
});

// ---- retry safety -----------------------------------------------------------------------------

const f = (o: Partial<Failure>): Failure => ({ state: AttemptState.Sent, notReached: false, reused: false, idempotent: true, replayable: true, ...o });
const cases: [string, Partial<Failure>, boolean][] = [
  ['waiting for a connection (nothing written): any method', { state: AttemptState.Waiting, idempotent: false }, true],
  ['a new connection that never reached a server: any method', { state: AttemptState.Connecting, notReached: true, idempotent: false }, true],
  ['sent on a connection that reached the server, not reused', { state: AttemptState.Sent }, false],
  ['sent on a reused connection that closed before any answer, idempotent', { reused: true }, true],
  ['sent on a reused connection, POST', { reused: true, idempotent: false }, false],
  ['answered: never', { state: AttemptState.Answered, notReached: true, reused: true }, false],
  ['done: never', { state: AttemptState.Done }, false],
  ['body too long to hold: never', { state: AttemptState.Waiting, replayable: false }, false],
];
for (const [name, o, want] of cases) test(`retryable: ${name} → ${want}`, () => assert.is(retryable(f(o)), want));

test('attempt state machine: forward moves only; Done and Failed are terminal', () => {
  assert.ok(mayMove(AttemptState.Waiting, AttemptState.Connecting));
  assert.ok(mayMove(AttemptState.Connecting, AttemptState.Sent));
  assert.ok(mayMove(AttemptState.Sent, AttemptState.Answered));
  assert.ok(mayMove(AttemptState.Answered, AttemptState.Failed), 'an answer can still be cut off');
  assert.not.ok(mayMove(AttemptState.Answered, AttemptState.Sent));
  assert.not.ok(mayMove(AttemptState.Waiting, AttemptState.Answered));
  for (const s of [AttemptState.Done, AttemptState.Failed]) for (const t of Object.values(AttemptState)) assert.not.ok(mayMove(s, t));
});

test('idempotent methods are those of RFC 9110 9.2.2', () => {
  assert.equal(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE', 'POST', 'PATCH', 'CONNECT'].map(isIdempotent), [true, true, true, true, true, true, false, false, false]);
});

test('notReached: ours and a refused local connect count; a reset does not', () => {
  assert.ok(isNotReached(notReachedError('x')));
  assert.ok(isNotReached(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })));
  assert.not.ok(isNotReached(Object.assign(new Error('x'), { code: 'ECONNRESET' })));
  assert.not.ok(isNotReached(undefined));
});

// ---- headers ----------------------------------------------------------------------------------

test('endToEnd: hop-by-hop headers and those Connection names are dropped; the rest keep case, value and order', () => {
  const raw = ['Host', 'x', 'Connection', 'keep-alive, X-Hop', 'X-Hop', '1', 'keep-alive', 'timeout=5', 'X-Custom', 'A  b', 'Transfer-Encoding', 'chunked', 'x-custom', 'second', 'TE', 'trailers'];
  assert.equal(endToEnd(raw), ['Host', 'x', 'X-Custom', 'A  b', 'Transfer-Encoding', 'chunked', 'x-custom', 'second']);
});

test('requestHead: the head as sent, for a tunnel', () => {
  assert.is(requestHead('GET', '/ws', '1.1', ['Host', 'h', 'Upgrade', 'websocket']), 'GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n');
});

test('hasBody: a length above zero or a transfer coding', () => {
  assert.not.ok(hasBody({}));
  assert.not.ok(hasBody({ 'content-length': '0' }));
  assert.ok(hasBody({ 'content-length': '3' }));
  assert.ok(hasBody({ 'transfer-encoding': 'chunked' }));
});

// ---- stream pair ------------------------------------------------------------------------------

test('streamPair: bytes cross both ways; an end reaches the other side; the outer end closes when its input ends', async () => {
  const { outer, inner } = streamPair();
  const got: string[] = [];
  inner.on('data', (c: Buffer) => { got.push(`in:${c}`); inner.write(`re:${c}`); });
  outer.on('data', (c: Buffer) => got.push(`out:${c}`));
  outer.write('hello');
  await new Promise((r) => setImmediate(r));
  assert.equal(got, ['in:hello', 'out:re:hello']);
  const closed = new Promise((r) => outer.once('close', r));
  inner.end();
  await closed;
  assert.ok(outer.destroyed, 'outer (an HTTP client\'s socket) closes on end of input');
});

test('streamPair: destroying one end with an error makes the other fail with it; without, the other sees the end', async () => {
  let p = streamPair();
  const err = new Promise<Error>((r) => p.inner.once('error', r));
  p.outer.on('error', () => {}); // its own error, as a socket destroyed with one emits it
  p.outer.destroy(Object.assign(new Error('boom'), { code: 'X' }));
  assert.is((await err).message, 'boom');
  p = streamPair();
  const ended = new Promise((r) => p.inner.once('end', r));
  p.inner.resume();
  p.outer.destroy();
  await ended;
  assert.not.ok(p.inner.destroyed, 'the inner end (a Flow\'s app socket) is half-open: it may still answer');
});

test('streamPair: a write waits for the other end\'s reader (backpressure)', async () => {
  const { outer, inner } = streamPair();
  inner.pause();
  let ok = true;
  for (let i = 0; i < 64 && ok; i++) ok = outer.write(Buffer.alloc(16 * 1024));
  assert.not.ok(ok, 'the writer is told to wait');
  const drained = new Promise((r) => outer.once('drain', r));
  inner.resume();
  await drained;
});

test.run();
