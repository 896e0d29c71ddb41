// The console's login, for a console bound beyond loopback (control/console/console-auth.ts decides):
// a form that sets a session cookie, HTTP Basic for scripts (`curl -u admin:PASSWORD`), or an admin
// client certificate. Everything but /healthz and the login page itself needs one of them.
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { TLSSocket } from 'node:tls';
import type { IncomingMessage } from 'node:http';
import { ConsoleAuth, SESSION_COOKIE, SESSION_IDLE_MS, basicCredentials, cookieValue } from './console-auth.js';
import { ADMIN_CN_PREFIX } from '../api/tokens.js';

/** The login form may post to itself; nothing else changes from the console's headers. */
const LOGIN_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const OPEN_PATHS = new Set(['/login', '/healthz', '/favicon.ico']);
const MAX_FORM_BYTES = 4096;

const page = (message?: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>svcnet console: log in</title>
<style>body{font:15px system-ui,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;background:#f4f5f7}
form{background:#fff;padding:24px 28px;border-radius:8px;box-shadow:0 1px 4px #0002;display:grid;gap:10px;width:min(320px,90vw)}
h1{font-size:18px;margin:0 0 6px}input{font:inherit;padding:6px 8px}button{font:inherit;padding:6px}
.err{color:#b00020}.hint{color:#555;font-size:13px}</style></head>
<body><form method="post" action="/login"><h1>svcnet console</h1>
${message ? `<p class="err" role="alert">${message}</p>` : ''}
<input type="hidden" name="username" value="admin" autocomplete="username">
<label>Password <input type="password" name="password" autocomplete="current-password" required autofocus></label>
<button type="submit">Log in</button>
<p class="hint">The password is in the site's state directory, pki/console-password. An admin client certificate ("svcnet admin issue NAME") logs in without one.</p>
</form></body></html>`;

/** The TLS socket under a hono request served by @hono/node-server. */
function socketOf(c: Context): TLSSocket | undefined {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket as TLSSocket | undefined;
}

/** The admin name of a verified client certificate of this site's CA, if the caller presented one. */
function adminCertificate(c: Context): string | undefined {
  const s = socketOf(c);
  if (!s?.authorized || typeof s.getPeerCertificate !== 'function') return undefined;
  const cn = [s.getPeerCertificate().subject?.CN ?? ''].flat()[0] as string;
  return cn.startsWith(ADMIN_CN_PREFIX) ? cn.slice(ADMIN_CN_PREFIX.length) : undefined;
}

const clientOf = (c: Context) => socketOf(c)?.remoteAddress ?? 'unknown';

const sessionCookie = (token: string, maxAgeS: number) =>
  `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${maxAgeS}`;

/**
 * Whether a form post comes from this console (a login CSRF from another page is refused). Browsers
 * say so in Sec-Fetch-Site; older ones in Origin ("null" under the console's no-referrer policy is
 * refused); a script sends neither.
 */
function sameOrigin(c: Context): boolean {
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined) return site === 'same-origin' || site === 'none';
  const origin = c.req.header('origin');
  if (origin === undefined || origin === 'null') return origin === undefined;
  try { return new URL(origin).host === c.req.header('host'); } catch { return false; }
}

/** Adds /login and /logout and a gate in front of every other route of `app`. Call before the routes. */
export function addLogin(app: Hono, auth: ConsoleAuth): void {
  app.get('/login', (c) => c.html(page(), 200, { 'content-security-policy': LOGIN_CSP }));
  app.post('/login', bodyLimit({ maxSize: MAX_FORM_BYTES, onError: (c) => c.text('login form too large\n', 413) }), async (c) => {
    if (!sameOrigin(c)) return c.text('forbidden: the login form was posted from another origin\n', 403);
    const form = new URLSearchParams(await c.req.text());
    const verdict = auth.login(form.get('password') ?? '', clientOf(c));
    if (verdict.ok) return c.body(null, 303, { location: '/', 'set-cookie': sessionCookie(auth.openSession(), SESSION_IDLE_MS / 1000) });
    if (verdict.locked) return c.html(page(`Too many wrong passwords; try again in ${verdict.retryAfterS} s.`), 429, { 'retry-after': String(verdict.retryAfterS), 'content-security-policy': LOGIN_CSP });
    return c.html(page('Wrong password.'), 401, { 'content-security-policy': LOGIN_CSP });
  });
  app.post('/logout', (c) => {
    if (!sameOrigin(c)) return c.text('forbidden: posted from another origin\n', 403);
    auth.closeSession(cookieValue(c.req.header('cookie'), SESSION_COOKIE));
    return c.body(null, 303, { location: '/login', 'set-cookie': sessionCookie('', 0) });
  });
  app.use('*', gate(auth));
}

function gate(auth: ConsoleAuth): MiddlewareHandler {
  return async (c, next) => {
    if (OPEN_PATHS.has(c.req.path)) return next();
    if (adminCertificate(c) !== undefined) return next();
    const cookie = cookieValue(c.req.header('cookie'), SESSION_COOKIE);
    if (auth.session(cookie)) return next();
    const basic = basicCredentials(c.req.header('authorization'));
    if (basic) {
      const verdict = basic.user === 'admin' ? auth.login(basic.password, clientOf(c)) : { ok: false as const, locked: false };
      if (verdict.ok) return next();
      if (verdict.locked) return c.json({ error: `too many wrong passwords; retry in ${verdict.retryAfterS} s` }, 429, { 'retry-after': String(verdict.retryAfterS) });
      return c.json({ error: 'wrong user or password (the user is "admin"; the password is in pki/console-password)' }, 401);
    }
    // A browser finding its way in goes to the form; a script is told how to authenticate. No Basic
    // challenge for a page whose session expired, so its polls do not pop up a browser dialog.
    if (c.req.method === 'GET' && (c.req.header('accept') ?? '').includes('text/html')) return c.body(null, 303, { location: '/login' });
    return c.json({ error: 'log in: a session from /login, HTTP Basic (user "admin", the password in pki/console-password) or an admin client certificate' }, 401,
      cookie ? {} : { 'www-authenticate': 'Basic realm="svcnet console", charset="UTF-8"' });
  };
}
