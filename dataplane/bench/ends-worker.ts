// The bench-ends worker thread (issue 14, `--ends socket`): runs the application sockets of bench
// runs (socket-phases.ts) for its engine, driving side and target side, on an event loop of its own,
// as an application's client and server run in processes of their own. Messages: bench-ends.ts.
// A cancelled run needs nothing here: the engine resets its flows, which closes these sockets.
import { parentPort } from 'node:worker_threads';
import type net from 'node:net';
import { serveEnds, socketThroughput, socketLatency, socketRate, threadId } from './socket-phases.js';
import type { EndsCall, EndsReply } from './bench-ends.js';

const port = parentPort!;
const sockets = new Set<net.Socket>();
const finishers = new Map<number, () => void>();
const reply = (r: EndsReply) => port.postMessage(r);

async function handle(c: EndsCall): Promise<unknown> {
  switch (c.op) {
    case 'serve': {
      const s = await serveEnds(sockets);
      const at = (srv: net.Server) => (srv.address() as net.AddressInfo).port;
      return { source: at(s.source), sink: at(s.sink), echo: at(s.echo) };
    }
    case 'throughput': {
      const tp = socketThroughput(c.port, c.flows, c.maxBytes, sockets);
      finishers.set(c.id, tp.finish);
      const tick = setInterval(() => reply({ id: c.id, progress: tp.received() }), 250);
      try {
        const flows = await tp.done;
        return { flows, received: tp.received() };
      } finally { clearInterval(tick); finishers.delete(c.id); }
    }
    case 'finish': finishers.get(c.of)?.(); return undefined;
    case 'latency': return socketLatency(c.port, c.size, c.ms, sockets);
    case 'rate': return socketRate(c.port, c.ms, sockets);
    case 'ping': return undefined;
  }
}

// The thread's id first: the engine reads this thread's CPU from /proc to leave it out of its own.
reply({ id: 0, ok: threadId() });
port.on('message', (c: EndsCall) => {
  handle(c).then((ok) => reply({ id: c.id, ok }), (err: Error) => reply({ id: c.id, error: err.message }));
});
