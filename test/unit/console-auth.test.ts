// Issue 12 (console beyond loopback): the login rules as pure code with a fake clock, and the
// console app's gate driven in-process — who gets in, who is sent to the form, who is locked out.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConsoleAuth, MAX_FAILURES, FAILURE_WINDOW_MS, SESSION_IDLE_MS, MAX_SESSIONS, SESSION_COOKIE, basicCredentials, cookieValue, isLoopbackHost, consoleUrl } from '../../control/console/console-auth.js';
import { createConsoleApp } from '../../control/console/app.js';
import type { RuntimeStatus } from '../../control/state/site-store.js';

const PASSWORD = 'correct-horse-battery-staple';

function fakeClock() {
  let t = 1_000_000;
  let n = 0;
  return { now: () => t, token: () => `tok${++n}`, advance: (ms: number) => { t += ms; } };
}

test('issue 12: the right password logs in, a wrong one does not; a short password is refused at start', () => {
  const auth = new ConsoleAuth(PASSWORD, fakeClock());
  assert.equal(auth.login(PASSWORD, 'a'), { ok: true, who: 'password' });
  assert.equal(auth.login('wrong', 'a'), { ok: false, locked: false });
  assert.equal(auth.login(PASSWORD.slice(0, -1), 'a'), { ok: false, locked: false });
  assert.equal(auth.login('', 'a'), { ok: false, locked: false });
  assert.throws(() => new ConsoleAuth('short', fakeClock()), /at least 16/);
});

test('issue 12: after MAX_FAILURES wrong passwords an address is locked for the rest of the window, even with the right one; others are not', () => {
  const clock = fakeClock();
  const auth = new ConsoleAuth(PASSWORD, clock);
  for (let i = 0; i < MAX_FAILURES; i++) assert.is(auth.login('guess', '10.0.0.9').ok, false);
  const locked = auth.login(PASSWORD, '10.0.0.9');
  assert.is(locked.ok, false);
  assert.ok(!locked.ok && locked.locked && locked.retryAfterS === FAILURE_WINDOW_MS / 1000, JSON.stringify(locked));
  assert.is(auth.login(PASSWORD, '10.0.0.10').ok, true, 'another address is not locked');
  clock.advance(FAILURE_WINDOW_MS / 2);
  assert.ok(!auth.login(PASSWORD, '10.0.0.9').ok);
  clock.advance(FAILURE_WINDOW_MS / 2);
  assert.is(auth.login(PASSWORD, '10.0.0.9').ok, true, 'the window passed');
});

test('issue 12: sessions live while used, expire when idle, can be closed, and are bounded (least recently used goes)', () => {
  const clock = fakeClock();
  const auth = new ConsoleAuth(PASSWORD, clock);
  const a = auth.openSession();
  assert.ok(auth.session(a));
  assert.not.ok(auth.session('forged'));
  assert.not.ok(auth.session(undefined));
  clock.advance(SESSION_IDLE_MS - 1);
  assert.ok(auth.session(a), 'used just in time: refreshed');
  clock.advance(SESSION_IDLE_MS - 1);
  assert.ok(auth.session(a));
  clock.advance(SESSION_IDLE_MS + 1);
  assert.not.ok(auth.session(a), 'idle too long');
  const b = auth.openSession();
  auth.closeSession(b);
  assert.not.ok(auth.session(b), 'logged out');
  const first = auth.openSession();
  const kept = auth.openSession();
  for (let i = 0; i < MAX_SESSIONS - 2; i++) auth.openSession();
  assert.ok(auth.session(kept), 'touch: now most recent');
  auth.openSession(); // one over: the least recently used goes
  assert.is(auth.sessionCount, MAX_SESSIONS);
  assert.not.ok(auth.session(first));
  assert.ok(auth.session(kept));
});

test('issue 12: Basic credentials, cookies, loopback hosts and the console URL', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  assert.equal(basicCredentials(`Basic ${b64('admin:p:w')}`), { user: 'admin', password: 'p:w' });
  assert.equal(basicCredentials(`basic ${b64('admin:')}`), { user: 'admin', password: '' });
  for (const h of [undefined, '', 'Bearer x', `Basic ${b64('nocolon')}`, 'Basic !!!', `Basic ${'A'.repeat(2000)}`]) assert.is(basicCredentials(h), undefined, String(h));
  assert.is(cookieValue(`a=1; ${SESSION_COOKIE}=xyz; b=2`, SESSION_COOKIE), 'xyz');
  assert.is(cookieValue(`x${SESSION_COOKIE}=xyz`, SESSION_COOKIE), undefined);
  assert.is(cookieValue(undefined, SESSION_COOKIE), undefined);
  for (const [h, loop] of [['127.0.0.1', true], ['127.1.2.3', true], ['localhost', true], ['::1', true], ['[::1]', true], ['0.0.0.0', false], ['::', false], ['10.1.2.3', false], ['console.lan', false], ['127.0.0.1.nip.io', false]] as const) {
    assert.is(isLoopbackHost(h), loop, h);
  }
  assert.is(consoleUrl('127.0.0.1', 8080), 'http://127.0.0.1:8080/');
  assert.is(consoleUrl('0.0.0.0', 8080), 'https://127.0.0.1:8080/');
  assert.is(consoleUrl('console.lan', 443), 'https://console.lan:443/');
  assert.is(consoleUrl('fd00::5', 8080), 'https://[fd00::5]:8080/');
});

const status = () => ({ pid: 1, updatedAt: '', site: { id: 'i', name: 'east' }, links: [], listeners: [], connectors: [], network: { sites: [] } }) as unknown as RuntimeStatus;
function gatedApp() {
  const auth = new ConsoleAuth(PASSWORD, fakeClock());
  return createConsoleApp({ status, metrics: () => '# none\n', port: 8443, host: '0.0.0.0', auth });
}
const H = { host: 'console.lan:8443' };

test('issue 12: behind a login, scripts are told how to authenticate and browsers go to the form; /healthz stays open', async () => {
  const app = gatedApp();
  const api = await app.request('/api/status', { headers: H });
  assert.is(api.status, 401);
  assert.match(api.headers.get('www-authenticate') ?? '', /^Basic realm="svcnet console"/);
  assert.match(await api.text(), /pki\/console-password/);
  assert.is((await app.request('/metrics', { headers: H })).status, 401);
  assert.is((await app.request('/api/flows', { headers: H })).status, 401);
  const page = await app.request('/', { headers: { ...H, accept: 'text/html' } });
  assert.is(page.status, 303);
  assert.is(page.headers.get('location'), '/login');
  assert.is((await app.request('/healthz', { headers: H })).status, 200);
  const form = await app.request('/login', { headers: H });
  assert.is(form.status, 200);
  assert.match(await form.text(), /<form method="post" action="\/login">/);
  assert.match(form.headers.get('content-security-policy') ?? '', /form-action 'self'/);
  assert.is(form.headers.get('x-frame-options'), 'DENY');
  const expired = await app.request('/api/status', { headers: { ...H, cookie: `${SESSION_COOKIE}=old` } });
  assert.is(expired.status, 401);
  assert.is(expired.headers.get('www-authenticate'), null, 'no browser dialog for a page whose session expired');
});

test('issue 12: the login form sets a Secure HttpOnly SameSite=Strict session; logout ends it', async () => {
  const app = gatedApp();
  const post = (password: string, extra: Record<string, string> = {}) => app.request('/login', { method: 'POST', headers: { ...H, 'content-type': 'application/x-www-form-urlencoded', ...extra }, body: new URLSearchParams({ password }).toString() });
  const wrong = await post('nope');
  assert.is(wrong.status, 401);
  assert.match(await wrong.text(), /Wrong password/);
  assert.is(wrong.headers.get('set-cookie'), null);
  assert.is((await post(PASSWORD, { origin: 'https://evil.example' })).status, 403, 'login posted from another origin');
  assert.is((await post(PASSWORD, { origin: 'null' })).status, 403, 'an opaque origin');
  assert.is((await post(PASSWORD, { 'sec-fetch-site': 'cross-site', origin: 'null' })).status, 403, 'a browser saying cross-site');
  assert.is((await post(PASSWORD, { 'sec-fetch-site': 'same-site' })).status, 403, 'a sibling host is not this console');
  assert.is((await post(PASSWORD, { 'sec-fetch-site': 'same-origin', origin: 'null' })).status, 303, 'this console\'s own form under no-referrer');
  const huge = await app.request('/login', { method: 'POST', headers: { ...H, 'content-type': 'application/x-www-form-urlencoded' }, body: `password=${'x'.repeat(10_000)}` });
  assert.is(huge.status, 413, 'a form over 4 KiB');
  const ok = await post(PASSWORD, { origin: 'https://console.lan:8443' });
  assert.is(ok.status, 303);
  const cookie = ok.headers.get('set-cookie') ?? '';
  assert.match(cookie, new RegExp(`^${SESSION_COOKIE}=[^;]+; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=\\d+$`));
  const session = cookie.split(';')[0];
  const api = await app.request('/api/status', { headers: { ...H, cookie: session } });
  assert.is(api.status, 200);
  assert.is(((await api.json()) as { site: { name: string } }).site.name, 'east');
  assert.is((await app.request('/logout', { method: 'POST', headers: { ...H, cookie: session } })).status, 303);
  assert.is((await app.request('/api/status', { headers: { ...H, cookie: session } })).status, 401, 'the session ended');
});

test('issue 12: HTTP Basic with user admin works for scripts; a wrong user or password is 401; a guessing client is locked (429)', async () => {
  const app = gatedApp();
  const basic = (u: string, p: string) => ({ ...H, authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
  assert.is((await app.request('/metrics', { headers: basic('admin', PASSWORD) })).status, 200);
  assert.is((await app.request('/metrics', { headers: basic('root', PASSWORD) })).status, 401);
  for (let i = 0; i < MAX_FAILURES; i++) assert.is((await app.request('/metrics', { headers: basic('admin', `guess${i}`) })).status, 401);
  const locked = await app.request('/metrics', { headers: basic('admin', PASSWORD) });
  assert.is(locked.status, 429);
  assert.ok(Number(locked.headers.get('retry-after')) > 0);
});

test('issue 12: without a login the console still answers only its own Host (DNS rebinding); with one, any name the user typed', async () => {
  const open = createConsoleApp({ status, metrics: () => '', port: 8443 });
  assert.is((await open.request('/api/status', { headers: H })).status, 403);
  const gated = gatedApp();
  assert.is((await gated.request('/healthz', { headers: H })).status, 200);
});

test.run();
