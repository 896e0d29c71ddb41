// What an open console page asks of its site, without a browser's own CPU on this 2-core machine:
// the /api/events stream, and /api/flows?limit=50 again after a status event when flows are open,
// at most once a second — the same rule as the page's flowsFollow() (control/console/page.ts).
import http from 'node:http';

export interface ConsoleViewer {
  /** closes the stream; resolves with what the viewer received */
  stop(): Promise<{ events: number; flowFetches: number }>;
}

const FLOWS_EVERY_MS = 1000;

/** Opens a viewer on the console at 127.0.0.1:`port`; rejects if the stream is refused. */
export function openConsoleViewer(port: number): Promise<ConsoleViewer> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let events = 0;
  let flowFetches = 0;
  let fetching = false;
  let lastFetch = 0;
  let stopped = false;
  const fetchFlows = () => {
    if (fetching || stopped || Date.now() - lastFetch < FLOWS_EVERY_MS) return;
    fetching = true;
    lastFetch = Date.now();
    const req = http.get({ host: '127.0.0.1', port, path: '/api/flows?limit=50', agent }, (res) => {
      res.resume();
      res.on('end', () => { flowFetches++; fetching = false; });
    });
    req.on('error', () => { fetching = false; });
  };
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/api/events', headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) { res.resume(); reject(new Error(`console on port ${port} refused the event stream: ${res.statusCode}`)); return; }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (!block.startsWith('event: status')) continue;
          events++;
          fetchFlows();
        }
      });
      res.on('error', () => {});
      resolve({
        async stop() {
          stopped = true;
          req.destroy();
          agent.destroy();
          return { events, flowFetches };
        },
      });
    });
    req.on('error', reject);
  });
}
