// A small process run inside a network namespace (`ip netns exec NS node ns-agent.js`) that serves
// and drives test traffic there. JSON lines on stdin/stdout: {id, op, args} → {id, ok, result|error}.
// Traffic is framed so both ends can tell a complete flow from a truncated one (see framed-traffic.ts).
import readline from 'node:readline';
import net from 'node:net';
import { startDelayProxy, type DelayProxy } from './delay-proxy.js';
import { uploadServer, downloadServer, upload, download, type ServerStats } from './framed-traffic.js';

const servers = new Map<number, { server: net.Server; stats: ServerStats }>();
const proxies = new Map<number, DelayProxy>();

type Args = Record<string, unknown>;
const ops: Record<string, (a: Args) => Promise<unknown> | unknown> = {
  async uploadServer(a) {
    const { server, stats } = await uploadServer(Number(a.port), String(a.host ?? '0.0.0.0'));
    servers.set(Number(a.port), { server, stats });
    return { port: a.port };
  },
  async downloadServer(a) {
    const { server, stats } = await downloadServer(Number(a.port), Number(a.bytes), Number(a.rateBps ?? 0), String(a.host ?? '0.0.0.0'));
    servers.set(Number(a.port), { server, stats });
    return { port: a.port };
  },
  stats(a) { return servers.get(Number(a.port))?.stats ?? null; },
  resetStats(a) {
    const s = servers.get(Number(a.port));
    if (s) for (const k of Object.keys(s.stats) as (keyof ServerStats)[]) s.stats[k] = 0;
    return true;
  },
  upload(a) { return upload(String(a.host), Number(a.port), Number(a.bytes), Number(a.rateBps ?? 0), Number(a.timeoutMs ?? 20_000)); },
  download(a) { return download(String(a.host), Number(a.port), Number(a.timeoutMs ?? 20_000)); },
  async proxy(a) {
    const p = await startDelayProxy({ listenHost: String(a.listenHost), listenPort: Number(a.listenPort), targetHost: String(a.targetHost), targetPort: Number(a.targetPort), delayMs: Number(a.delayMs) });
    proxies.set(p.port, p);
    return { port: p.port };
  },
  /** Whether a TCP port accepts a connection: 'open', or the error code ('ECONNREFUSED', ...). */
  probe(a) {
    return new Promise((resolve) => {
      const s = net.connect({ host: String(a.host), port: Number(a.port) });
      const t = setTimeout(() => { s.destroy(); resolve('ETIMEDOUT'); }, Number(a.timeoutMs ?? 2000));
      s.once('connect', () => { clearTimeout(t); s.destroy(); resolve('open'); });
      s.once('error', (e: NodeJS.ErrnoException) => { clearTimeout(t); resolve(e.code ?? e.message); });
    });
  },
};

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let msg: { id: number; op: string; args: Args };
  try { msg = JSON.parse(line); } catch { return; }
  const reply = (body: object) => process.stdout.write(JSON.stringify({ id: msg.id, ...body }) + '\n');
  const op = ops[msg.op];
  if (!op) { reply({ ok: false, error: `unknown op ${msg.op}` }); return; }
  Promise.resolve().then(() => op(msg.args ?? {})).then((result) => reply({ ok: true, result }), (err: Error) => reply({ ok: false, error: err.message }));
});
// The test process owns us: when it goes away (stdin closes), so do we.
rl.on('close', () => process.exit(0));
process.stdout.write(JSON.stringify({ id: 0, ok: true, result: 'ready' }) + '\n');
