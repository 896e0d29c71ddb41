// The link's TLS write path alone: CPU of the sending process per GB for DATA frames written as
// a header buffer plus a payload view, corked (Node's TLS then joins the writev into one buffer
// before SSL_write), against frames whose header sits in the payload's headroom, back to back, as
// one buffer. The receiver (a forked copy of this file) reads and discards over loopback TLS 1.3.
// `node dist/bench/micro/tls-write.js [--rounds 6] [--mib 512] [--frame 65536] [--per-turn 8]`
import { fork } from 'node:child_process';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { createCa, issueLeaf } from '../../control/pki/ca.js';
import { summarize } from '../stats.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const HEADER = 12;

if (process.env.TLS_WRITE_RECEIVER) {
  // Receiver: one TLS server; reports its port, then drains whatever arrives.
  const { cert, key } = JSON.parse(process.env.TLS_WRITE_RECEIVER) as { cert: string; key: string };
  const server = tls.createServer({ cert, key, minVersion: 'TLSv1.3' }, (s) => { s.on('data', () => undefined); s.on('error', () => undefined); });
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as { port: number }).port));
  process.on('disconnect', () => process.exit(0));
} else {
  const rounds = opt('--rounds', 6);
  const bytesPerRound = opt('--mib', 512) * 1024 * 1024;
  const frame = opt('--frame', 65536);
  const perTurn = opt('--per-turn', 8);
  const ca = await createCa('tls-write');
  const leaf = await issueLeaf(ca, { commonName: 'localhost', hosts: ['127.0.0.1'], server: true });
  const child = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, TLS_WRITE_RECEIVER: JSON.stringify(leaf) } });
  const port = await new Promise<number>((r) => child.once('message', (p) => r(p as number)));
  const socket = tls.connect({ port, host: '127.0.0.1', ca: ca.cert, servername: 'localhost' });
  await new Promise((r) => socket.once('secureConnect', r));

  // A turn's frames: separate header and payload buffers (as read from an app socket today), and the
  // same bytes laid out header-in-headroom in one slab (as headroom-reads.ts lays them out).
  const headers = Array.from({ length: perTurn }, () => Buffer.alloc(HEADER, 1));
  const payloads = Array.from({ length: perTurn }, () => Buffer.alloc(frame, 2));
  const slab = Buffer.alloc(perTurn * (HEADER + frame), 3);

  const variants: Record<string, () => void> = {
    'corked header + payload (join copy)': () => {
      socket.cork();
      for (let i = 0; i < perTurn; i++) { socket.write(headers[i]); socket.write(payloads[i]); }
      socket.uncork();
    },
    'one buffer, header in headroom': () => { socket.write(slab); },
  };

  const turn = perTurn * (HEADER + frame);
  function run(write: () => void): Promise<number> {
    return new Promise((resolve) => {
      const c0 = process.cpuUsage();
      let sent = 0;
      const step = () => {
        // One batch per event-loop turn, as the outbox flushes; wait for the socket to drain past 1 MiB.
        while (sent < bytesPerRound) {
          write();
          sent += turn;
          if (socket.writableLength > 1 << 20) { socket.once('drain', () => setImmediate(step)); return; }
          setImmediate(step);
          return;
        }
        socket.write(Buffer.alloc(0), () => { const c = process.cpuUsage(c0); resolve((c.user + c.system) / 1e6 / (sent / 1e9)); });
      };
      step();
    });
  }

  const got: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < rounds + 1; r++) {
    const names = r % 2 ? Object.keys(variants).reverse() : Object.keys(variants);
    for (const name of names) {
      const s = await run(variants[name]);
      if (r > 0) got[name].push(s); // round 0 warms up
    }
  }
  const base = summarize(got[Object.keys(variants)[0]]).median;
  console.log(`sender CPU s/GB, ${rounds} rounds of ${bytesPerRound >> 20} MiB, ${perTurn} frames of ${frame} B per turn (median, min–max, ratio to the first):`);
  for (const [name, v] of Object.entries(got)) {
    const s = summarize(v);
    console.log(`  ${name.padEnd(38)} ${s.median.toFixed(3)} (${s.min.toFixed(3)}–${s.max.toFixed(3)})  ${(s.median / base).toFixed(3)}×`);
  }
  socket.destroy();
  child.disconnect();
}
