// A real WebSocket echo server and client for tests: Python scripts over Debian's python3-websockets
// (RFC 6455 framing, masking, fragmentation, permessage-deflate and the close handshake are the
// library's own). The server reports each connection when it closes; the client checks each echo.
import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { run } from './http-sites.js';

const SERVER = `import asyncio, json, sys, websockets
NAME, PORT = sys.argv[1], int(sys.argv[2])
async def echo(ws, path=None):
    n = b = 0
    try:
        async for m in ws:
            n += 1; b += len(m)
            await ws.send(m)
    finally:
        print(json.dumps({'server': NAME, 'messages': n, 'bytes': b, 'close': ws.close_code}), flush=True)
async def main():
    async with websockets.serve(echo, '127.0.0.1', PORT, max_size=None):
        print('ready', flush=True)
        await asyncio.Future()
asyncio.run(main())
`;

const CLIENT = `import asyncio, json, os, sys, websockets
URI, SIZES = sys.argv[1], [int(s) for s in sys.argv[2].split(',')]
async def main():
    out = []
    async with websockets.connect(URI, max_size=None) as ws:
        for i, n in enumerate(SIZES):
            # Text (non-ASCII included) and binary in turn.
            msg = ('svcnet-é-' * (n // 9 + 1))[:n] if i % 2 == 0 else os.urandom(n)
            await ws.send(msg)
            back = await ws.recv()
            out.append({'size': n, 'kind': type(msg).__name__, 'same': back == msg})
        await ws.close()
        print(json.dumps({'echo': out, 'close': ws.close_code, 'upgrade': ws.response_headers.get('Upgrade', '')}))
asyncio.run(main())
`;

/** Debian's interpreter, where python3-websockets installs (a python3 earlier in PATH, e.g. pyenv's, lacks it). */
const PY = '/usr/bin/python3';

/** Whether Debian's python3-websockets is importable. */
export async function haveWebsockets(): Promise<boolean> {
  return run(PY, ['-c', 'import websockets']).then(() => true, () => false);
}

export interface WsServer { lines: { server: string; messages: number; bytes: number; close: number }[]; child: ChildProcess; stop(): Promise<void> }

/** Starts the echo server `name` on `port`; resolves once it listens. */
export function startWsEcho(dir: string, name: string, port: number): Promise<WsServer> {
  const file = path.join(dir, 'ws_echo.py');
  fs.writeFileSync(file, SERVER);
  const child = spawn(PY, [file, name, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const srv: WsServer = {
    lines: [], child,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line === 'ready') resolve(srv); else srv.lines.push(JSON.parse(line));
      }
    });
    child.once('exit', (code) => reject(new Error(`ws echo ${name} exited ${code}`)));
  });
}

/** One client connection to `uri`: sends a message of each size (text and binary in turn), checks each echo, closes. */
export async function wsClient(dir: string, uri: string, sizes: number[]): Promise<{ echo: { size: number; kind: string; same: boolean }[]; close: number; upgrade: string }> {
  const file = path.join(dir, 'ws_client.py');
  if (!fs.existsSync(file)) fs.writeFileSync(file, CLIENT);
  return JSON.parse(await run(PY, [file, uri, sizes.join(',')], 60_000));
}
