// `npm run demo`: a local network of three sites on loopback with a demo HTTP service and the console.
//   east  (link access)  hosts the service behind a connector
//   west  (link access)  linked to east by token; a listener
//   edge  (private: no link access) linked outbound to west; a listener that reaches east through west
// Stays up until Ctrl-C, then stops the sites it started (by pid) and removes its temp directory.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/svcnet.js', import.meta.url));
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'svcnet-demo-'));
const children: ChildProcess[] = [];

function cli(...args: string[]): string {
  return execFileSync(process.execPath, [BIN, ...args], { encoding: 'utf8' }).trim();
}

async function portFrom(preferred: number): Promise<number> {
  const tryPort = (p: number) => new Promise<number | null>((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(null));
    s.listen(p, '127.0.0.1', () => { const got = (s.address() as net.AddressInfo).port; s.close(() => resolve(got)); });
  });
  return (await tryPort(preferred)) ?? (await tryPort(0))!;
}

function statusOf(dir: string): { links: { status: string }[]; listeners: { status: string }[] } | undefined {
  try { return JSON.parse(fs.readFileSync(path.join(dir, 'run', 'status.json'), 'utf8')); } catch { return undefined; }
}

/** True once something accepts TCP connections on 127.0.0.1:`port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
    c.on('error', () => resolve(false));
  });
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`demo: timed out waiting for ${what}; logs are in ${root}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<void> {
  let requests = 0;
  const service = http.createServer((req, res) => {
    requests++;
    res.setHeader('content-type', 'text/plain');
    res.end(`Hello from the demo service at site east (request ${requests}, you asked for ${req.url})\n`);
  });
  const servicePort = await portFrom(0);
  await new Promise<void>((r) => service.listen(servicePort, '127.0.0.1', r));

  const [eastLink, westLink, eastGrant, westGrant, eastConsole, westConsole, edgeConsole, westListen, edgeListen] = [
    await portFrom(0), await portFrom(0), await portFrom(0), await portFrom(0), await portFrom(8080), await portFrom(8081), await portFrom(8082), await portFrom(9090), await portFrom(9091),
  ];
  const dir = (n: string) => path.join(root, n);
  console.log('creating three sites (each makes its own CA)...');
  cli('site', 'create', 'east', '--dir', dir('east'), '--link-access', '--link-port', String(eastLink), '--grant-port', String(eastGrant), '--console-port', String(eastConsole));
  cli('site', 'create', 'west', '--dir', dir('west'), '--link-access', '--link-port', String(westLink), '--grant-port', String(westGrant), '--console-port', String(westConsole));
  cli('site', 'create', 'edge', '--dir', dir('edge'), '--console-port', String(edgeConsole));
  for (const n of ['east', 'west', 'edge']) {
    const log = fs.openSync(path.join(root, `${n}.log`), 'a');
    children.push(spawn(process.execPath, [BIN, 'site', 'run', '--dir', dir(n)], { stdio: ['ignore', log, log] }));
  }
  await until('sites to start', () => ['east', 'west', 'edge'].every((n) => statusOf(dir(n))));
  // A token is redeemed at the issuer's grant port, which opens a moment after the status is first written.
  await until('east and west to take redemptions', async () => (await accepts(eastGrant)) && (await accepts(westGrant)));
  cli('connector', 'create', 'hello', String(servicePort), '--routing-key', 'hello', '--dir', dir('east'));
  cli('token', 'issue', path.join(root, 'east.token'), '--dir', dir('east'));
  cli('token', 'redeem', path.join(root, 'east.token'), '--dir', dir('west'));
  cli('token', 'issue', path.join(root, 'west.token'), '--dir', dir('west'));
  cli('token', 'redeem', path.join(root, 'west.token'), '--dir', dir('edge'));
  cli('listener', 'create', 'hello', String(westListen), '--routing-key', 'hello', '--host', '127.0.0.1', '--dir', dir('west'));
  cli('listener', 'create', 'hello', String(edgeListen), '--routing-key', 'hello', '--host', '127.0.0.1', '--dir', dir('edge'));
  await until('listeners to open', () => ['west', 'edge'].every((n) => statusOf(dir(n))?.listeners.every((l) => l.status === 'ready')));
  console.log(`
svcnet demo is up: three sites on loopback, linked over mutual TLS.

  east  hosts the "hello" service (a small HTTP server)            console http://127.0.0.1:${eastConsole}/
  west  linked to east by token; listener on port ${westListen}            console http://127.0.0.1:${westConsole}/
  edge  private (no link access), linked out to west;             console http://127.0.0.1:${edgeConsole}/
        its listener on port ${edgeListen} reaches east through west (two hops)

Try:
  curl http://127.0.0.1:${westListen}/one-hop
  curl http://127.0.0.1:${edgeListen}/two-hops
  node bin/svcnet.js network status --dir ${dir('edge')}
  node bin/svcnet.js link status --dir ${dir('west')}
  curl -s http://127.0.0.1:${eastConsole}/metrics

Site logs: ${root}/*.log. Press Ctrl-C to stop and clean up.`);
  const stop = () => {
    console.log('\nstopping the demo sites...');
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    service.close();
    setTimeout(() => {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
      fs.rmSync(root, { recursive: true, force: true });
      process.exit(0);
    }, 1000);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  console.error(`error: ${(err as Error).message}`);
  for (const c of children) c.kill('SIGKILL');
  console.error(`the sites' logs are kept in ${root}`);
  process.exit(1);
});
