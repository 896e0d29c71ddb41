// Issue 13's real-application and bad-input tests: two linked sites (alpha serves connectors, beta
// holds listeners and a console for /metrics), and small readers of flow records and metric values.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { svcnetOk, runSite, waitFor, runtimeStatus } from './cli.js';
import { nginxConfig, runNginx, type App } from './apps.js';
import type { FlowRecordMessage } from '../../control/api/types.js';

export interface Pair { A: string; B: string; consolePort: number }

/** alpha (link access on ports[0], grants on ports[1]) and beta (console on ports[2]), running and linked. */
export async function linkedPair(root: string, ports: number[]): Promise<Pair> {
  const A = path.join(root, 'a');
  const B = path.join(root, 'b');
  await svcnetOk(['site', 'create', 'alpha', '--dir', A, '--link-access', '--link-port', String(ports[0]), '--grant-port', String(ports[1])]);
  await svcnetOk(['site', 'create', 'beta', '--dir', B, '--console-port', String(ports[2])]);
  runSite(A);
  runSite(B);
  await waitFor('alpha running', () => runtimeStatus(A));
  await waitFor('beta running', () => runtimeStatus(B));
  const token = path.join(root, 'token.yaml');
  await svcnetOk(['token', 'issue', token, '--dir', A]);
  await svcnetOk(['token', 'redeem', token, '--dir', B]);
  return { A, B, consolePort: ports[2] };
}

/** Applies one svcnet.io/v1 resource to the site in `dir`. */
export async function applyDoc(dir: string, kind: string, name: string, spec: object): Promise<void> {
  const f = path.join(dir, `..`, `${kind}-${name}-${Date.now()}.json`);
  fs.writeFileSync(f, JSON.stringify({ apiVersion: 'svcnet.io/v1', kind, metadata: { name }, spec }));
  await svcnetOk(['apply', '-f', f, '--dir', dir]);
}

/** Resolves once listener `name` at the site in `dir` is ready. */
export const listenerReady = (dir: string, name: string) =>
  waitFor(`listener ${name} ready`, () => runtimeStatus(dir)?.listeners.find((l) => l.name === name && l.status === 'ready'), 20_000);

/** Flow records of the site in `dir` (`flow list -o json` with more flags). */
export const flows = async (dir: string, ...args: string[]): Promise<FlowRecordMessage[]> =>
  JSON.parse(await svcnetOk(['flow', 'list', '--dir', dir, '-o', 'json', ...args]));

/** The sum of the samples of `name` on the console at `port` whose labels include `labels` (0 when none). */
export async function metric(port: number, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf('} ');
    const have = line.slice(name.length + 1, close).split(',');
    if (want.every((w) => have.includes(w))) sum += Number(line.slice(close + 2));
  }
  return sum;
}

/** Runs a program; resolves with its stdout (rejects with stderr on a non-zero exit or at the timeout). */
export function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 << 20 }, (e, out, err) =>
    (e ? reject(new Error(`${cmd} ${args.join(' ')}: ${e.message}\n${err}`)) : resolve(out))));
}

/** Starts nginx (Debian's) on the servers of nginxConf(dir, servers); stopped by pid. */
export function startNginxServers(dir: string, servers: Parameters<typeof nginxConf>[1]): App {
  return runNginx(nginxConf(dir, servers), dir);
}

/** nginx with one server block per entry (each its own root and access log `DIR/NAME.log`, h2c when `h2`). */
export function nginxConf(dir: string, servers: { name: string; port: number; root: string; h2?: boolean }[]): string {
  // nginx 1.22 (Debian 12) spells h2c `listen ... http2;` (1.25.1 added `http2 on;`).
  const blocks = servers.map((s) => `  server { listen 127.0.0.1:${s.port}${s.h2 ? ' http2' : ''}; root ${s.root}; access_log ${dir}/${s.name}.log short; }`).join('\n');
  return nginxConfig(dir, `  log_format short '$status $request_uri $server_protocol';
  default_type application/octet-stream;
  keepalive_requests 100000;
${blocks}`);
}

/** Lines nginx's server block `name` has logged so far in `dir` (each "STATUS URI PROTOCOL"). */
export function accessLog(dir: string, name: string): string[] {
  try { return fs.readFileSync(path.join(dir, `${name}.log`), 'utf8').split('\n').filter(Boolean); } catch { return []; }
}

/** Sends `msg` on a new connection (then half-closes), reads until the server closes: what came back and how it ended. */
export function talk(port: number, msg: Buffer | string): Promise<{ text: string; end: string }> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => c.end(msg));
    c.on('data', (d) => parts.push(d));
    const done = (end: string) => { c.destroy(); resolve({ text: Buffer.concat(parts).toString('latin1'), end }); };
    c.on('end', () => done('end'));
    c.on('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

/** An HTTP/1.1 head without the Date line (it differs between two answers a second apart). */
export const undated = (s: string): string => s.replace(/^Date: .*\r\n/m, '');
