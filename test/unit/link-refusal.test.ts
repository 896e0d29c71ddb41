// Issue 15: a dialer refused by the peer learns why and backs off. The redial state machine
// (dataplane/redial.ts) on a fake clock: transport failures retry within 5 s, refusals back off
// exponentially to a bound, a revoked certificate is never redialed until a new one arrives; the
// GOAWAY the refusing side sends (link-refusal.ts), what a Link keeps of a peer's GOAWAY, and how
// a GOAWAY is classified.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { TLSSocket } from 'node:tls';
import pino from 'pino';
import * as P from '../../wasm/assembly/protocol.js';
import { Redial, DialState, REFUSAL_BASE_MS, REFUSAL_CAP_MS, refusalDelay, type Clock } from '../../dataplane/redial.js';
import { goAwayFrame, refusalOf, refusalCode, describeRefusal, MAX_REFUSAL_REASON, type LinkRefusal } from '../../dataplane/link-refusal.js';
import { Link, type LinkEvents } from '../../dataplane/link.js';
import { PROTOCOL_ERROR_NAMES } from '../../dataplane/errors.js';
import { BACKOFF_CAP_MS } from '../../common/backoff.js';
import { SiteIdentity } from '../../common/identity.js';
import { FakeTlsSocket } from '../helpers/fake-tls-socket.js';

const log = pino({ level: 'silent' });

/** Timers that run only when the test advances time. */
class FakeClock implements Clock {
  t = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private next = 1;
  now(): number { return this.t; }
  setTimeout(fn: () => void, ms: number): unknown { const id = this.next++; this.timers.push({ at: this.t + ms, fn, id }); return id; }
  clearTimeout(h: unknown): void { this.timers = this.timers.filter((x) => x.id !== h); }
  /** Runs every timer due within `ms`, in order (a timer may set another). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const due = this.timers[0];
      if (!due || due.at > end) break;
      this.timers.shift();
      this.t = due.at;
      due.fn();
    }
    this.t = end;
  }
  get pending(): number { return this.timers.length; }
}

const revoked: LinkRefusal = { code: P.ERR_CERT_REVOKED, name: 'SVCNET_ERR_CERT_REVOKED', reason: 'grant deleted', by: 'alpha', revoked: true };
const policy: LinkRefusal = { code: P.ERR_POLICY_DENIED, name: 'SVCNET_ERR_POLICY_DENIED', reason: 'not in allowed peers', by: 'alpha', revoked: false };

/** A dialer's redial plan where every dial is answered by `answer` (called with the machine). */
function rig(random = () => 0.5) {
  const clock = new FakeClock();
  const dials: number[] = [];
  let answer: (r: Redial) => void = () => {};
  const r: Redial = new Redial(() => { dials.push(clock.now()); answer(r); }, log, clock, random);
  return { clock, dials, r, answer: (f: (r: Redial) => void) => { answer = f; } };
}

test('issue 15: a revoked certificate is dialed once and never again until a new certificate arrives', () => {
  const { clock, dials, r, answer } = rig();
  answer((x) => x.refused(revoked));
  r.start();
  assert.is(r.state, DialState.Revoked);
  clock.advance(24 * 3600_000);
  assert.equal(dials, [0], 'no redial in a day');
  assert.is(clock.pending, 0, 'no timer left running');
  assert.is(r.retryAt, undefined);
  assert.is(r.refusal?.name, 'SVCNET_ERR_CERT_REVOKED');
  // The same certificate again (a CA pushed with it): still held.
  assert.not.ok(r.credentialsChanged(false));
  clock.advance(3600_000);
  assert.is(dials.length, 1);
  // A new certificate: dialed at once, and a success clears the refusal.
  answer((x) => x.linked());
  assert.ok(r.credentialsChanged(true));
  assert.is(dials.length, 2);
  assert.is(r.state, DialState.Ready);
  assert.is(r.refusal, undefined);
});

test('issue 15: a live link closed as revoked holds too', () => {
  const { clock, dials, r, answer } = rig();
  answer((x) => x.linked());
  r.start();
  assert.is(r.state, DialState.Ready);
  r.refused(revoked);
  clock.advance(3600_000);
  assert.is(dials.length, 1);
  assert.is(r.state, DialState.Revoked);
});

test('issue 15: refusals back off exponentially from 1 s to a 60 s cap; a success resets the backoff', () => {
  const { clock, dials, r, answer } = rig(() => 0.999999);
  answer((x) => x.refused(policy));
  r.start();
  clock.advance(10 * 60_000);
  const gaps = dials.slice(1).map((t, i) => t - dials[i]);
  assert.ok(gaps.length >= 8, `${gaps.length} redials in 10 min`);
  for (let i = 1; i < gaps.length; i++) assert.ok(gaps[i] >= gaps[i - 1], `gaps never shrink: ${gaps.join(' ')}`);
  assert.ok(Math.abs(gaps[0] - REFUSAL_BASE_MS) <= 1, `first gap ${gaps[0]}`);
  assert.ok(Math.abs(gaps[1] - 2 * REFUSAL_BASE_MS) <= 1, `second gap ${gaps[1]}`);
  assert.ok(gaps.every((g) => g <= REFUSAL_CAP_MS), `bounded: ${gaps.join(' ')}`);
  assert.ok(gaps[gaps.length - 1] >= REFUSAL_CAP_MS - 1, `reaches the cap: ${gaps.join(' ')}`);
  assert.is(r.state, DialState.Refused);
  assert.ok(r.retryAt! > clock.now() && r.retryAt! <= clock.now() + REFUSAL_CAP_MS);
  // The peer lets us in again: the next refusal starts from the base.
  answer((x) => x.linked());
  clock.advance(REFUSAL_CAP_MS);
  assert.is(r.state, DialState.Ready);
  answer((x) => x.refused(policy));
  const n = dials.length;
  const wait = r.failed(); // the link drops, the redial is refused
  assert.ok(wait <= BACKOFF_CAP_MS);
  clock.advance(wait);
  assert.is(dials.length, n + 1);
  clock.advance(REFUSAL_BASE_MS - 1);
  assert.is(dials.length, n + 1);
  clock.advance(1);
  assert.is(dials.length, n + 2, 'refusal backoff restarted at the base');
});

test('issue 15: refusal backoff is slower than a transport failure\'s; jitter keeps within [0.5, 1)', () => {
  const { clock, dials, r, answer } = rig();
  answer((x) => x.failed());
  r.start();
  clock.advance(20_000);
  const failures = dials.length;
  const q = rig();
  q.answer((x) => x.refused(policy));
  q.r.start();
  q.clock.advance(20_000);
  assert.ok(failures >= 8, `transport failures redial often: ${failures} in 20 s`);
  assert.ok(q.dials.length <= 6, `refusals redial rarely: ${q.dials.length} in 20 s`);
  for (let n = 0; n < 20; n++) {
    const cap = Math.min(REFUSAL_CAP_MS, REFUSAL_BASE_MS * 2 ** n);
    assert.ok(refusalDelay(n, () => 0) >= cap / 2 && refusalDelay(n, () => 0.999) < cap + 1);
  }
});

test('issue 15: a policy refusal dials again at once when credentials change; a stopped dialer never dials', () => {
  const { clock, dials, r, answer } = rig();
  answer((x) => x.refused(policy));
  r.start();
  clock.advance(100);
  assert.is(dials.length, 1);
  assert.ok(r.credentialsChanged(false));
  assert.is(dials.length, 2);
  r.stop();
  clock.advance(3600_000);
  assert.is(dials.length, 2);
  assert.is(r.state, DialState.Stopped);
  assert.not.ok(r.credentialsChanged(true));
});

test('issue 15: the refusing side\'s GOAWAY: a whole frame with the code and a bounded one-line reason', () => {
  const f = goAwayFrame(P.ERR_CERT_REVOKED, 'revoked\n' + 'x'.repeat(10_000));
  assert.is(f.readUInt32BE(0), f.length - P.HEADER_SIZE);
  assert.is(f[4], P.FRAME_GOAWAY);
  assert.is(f.readUInt32BE(8), 0, 'stream 0');
  assert.is(f.readUInt32BE(P.HEADER_SIZE), P.ERR_CERT_REVOKED);
  const reason = f.subarray(P.HEADER_SIZE + 4).toString('utf8');
  assert.ok(reason.startsWith('revoked x'), reason.slice(0, 20));
  assert.ok(reason.length <= MAX_REFUSAL_REASON + 32, `${reason.length} chars`);
  assert.is(refusalCode('SVCNET_ERR_CERT_REVOKED'), 19);
  assert.is(refusalCode('SVCNET_ERR_POLICY_DENIED'), 20);
  assert.is(PROTOCOL_ERROR_NAMES[19], 'SVCNET_ERR_CERT_REVOKED');
  assert.is(PROTOCOL_ERROR_NAMES[20], 'SVCNET_ERR_POLICY_DENIED');
  assert.is(refusalCode('SVCNET_ERR_CERT_UNKNOWN'), undefined, 'a certificate no grant issued learns nothing');
  assert.is(refusalCode('SVCNET_ERR_TOO_MANY_LINKS'), P.ERR_OVER_BUDGET);
});

test('issue 15: which GOAWAYs are refusals', () => {
  const g = (code: number, ready: boolean) => refusalOf({ code, reason: 'why', ready }, 'alpha');
  assert.ok(g(P.ERR_CERT_REVOKED, true)?.revoked, 'revoked, also of a live link');
  assert.ok(g(P.ERR_CERT_REVOKED, false)?.revoked);
  assert.is(g(P.ERR_POLICY_DENIED, true)?.revoked, false);
  assert.is(g(P.ERR_PEER_IDENTITY, false)?.name, 'SVCNET_ERR_PEER_IDENTITY', 'refused before HELLO');
  assert.is(g(P.ERR_PEER_IDENTITY, true), undefined, 'a protocol error on a live link is a drop');
  assert.is(g(P.ERR_ABORTED, false), undefined, 'a peer shutting down');
  assert.is(g(P.ERR_NONE, false), undefined, 'a link deleted at the peer');
  assert.is(refusalOf(undefined, 'alpha'), undefined);
  assert.is(describeRefusal(g(P.ERR_CERT_REVOKED, false)!), 'refused: certificate revoked by site alpha (why)');
  assert.match(describeRefusal(g(P.ERR_POLICY_DENIED, false)!), /^refused: not allowed by the policy of site alpha/);
  // A hostile peer's name and reason come out bounded and on one line.
  const r = refusalOf({ code: P.ERR_POLICY_DENIED, reason: 'a\nb'.repeat(500), ready: false }, 'm\u0007'.repeat(100))!;
  assert.ok(!/[\u0000-\u001f]/.test(describeRefusal(r)));
  assert.ok(r.by.length < 100 && r.reason.length < MAX_REFUSAL_REASON + 32);
});

test('issue 15: a Link keeps the GOAWAY its peer sent (clipped), and whether it was ready', () => {
  const me = SiteIdentity.generate();
  const socket = new FakeTlsSocket();
  const events = new Proxy({}, { get: (_t, name: string) => (name === 'warnings' ? undefined : () => {}) }) as LinkEvents;
  const link = new Link(0, socket as unknown as TLSSocket, true, { version: P.PROTOCOL_VERSION, siteId: me.id, siteName: 'me', window: 65536, cost: 1, pub: me.pub },
    (b) => me.sign(b), events, { control: () => {}, flush: () => {} }, log, 'test');
  link.start();
  const body = goAwayFrame(P.ERR_CERT_REVOKED, 'certificate 01 of site beta is revoked\u0000' + 'y'.repeat(50_000)).subarray(P.HEADER_SIZE);
  link.onControl(P.FRAME_GOAWAY, 0, body);
  assert.is(link.peerGoAway?.code, P.ERR_CERT_REVOKED);
  assert.is(link.peerGoAway?.ready, false);
  assert.ok(link.peerGoAway!.reason.startsWith('certificate 01 of site beta is revoked '));
  assert.ok(link.peerGoAway!.reason.length <= MAX_REFUSAL_REASON + 32);
});

test.run();
