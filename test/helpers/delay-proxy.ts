// A TCP proxy that holds every chunk for a fixed time in each direction. The test kernel has no
// netem, so the netns tests put one in front of a link endpoint to emulate a long path.
import net from 'node:net';

export interface DelayProxyOptions {
  listenHost: string;
  /** 0 picks a free port */
  listenPort: number;
  targetHost: string;
  targetPort: number;
  /** one-way delay added to each direction, ms */
  delayMs: number;
  /** bytes held per direction before the sender is paused (bounds memory, like a real pipe) */
  maxHeld?: number;
}

export interface DelayProxy {
  readonly port: number;
  /** connections accepted so far */
  readonly accepted: number;
  /** Stops accepting and resets every proxied connection. */
  close(): Promise<void>;
}

/** Starts the proxy; resolves once it listens. */
export function startDelayProxy(o: DelayProxyOptions): Promise<DelayProxy> {
  const maxHeld = o.maxHeld ?? 8 << 20;
  const live = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    accepted++;
    const upstream = net.connect({ host: o.targetHost, port: o.targetPort, allowHalfOpen: true });
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      live.add(s);
      s.on('close', () => live.delete(s));
    }
    delayedPipe(client, upstream, o.delayMs, maxHeld);
    delayedPipe(upstream, client, o.delayMs, maxHeld);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.listenPort, o.listenHost, () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        get accepted() { return accepted; },
        close: () => new Promise<void>((r) => {
          for (const s of live) s.resetAndDestroy();
          server.close(() => r());
        }),
      });
    });
  });
}

/**
 * Copies `from` to `to`, each chunk `delayMs` late. Timers of equal duration fire in the order they
 * were set, so order is kept; an end follows the last chunk, and a reset is passed on as a reset.
 */
function delayedPipe(from: net.Socket, to: net.Socket, delayMs: number, maxHeld: number): void {
  let held = 0;
  const resumeIfRoom = () => { if (from.isPaused() && held + to.writableLength <= maxHeld) from.resume(); };
  from.on('data', (chunk: Buffer) => {
    held += chunk.length;
    if (held + to.writableLength > maxHeld) from.pause();
    setTimeout(() => {
      held -= chunk.length;
      if (!to.destroyed) to.write(chunk);
      resumeIfRoom();
    }, delayMs);
  });
  to.on('drain', resumeIfRoom);
  from.on('end', () => setTimeout(() => { if (!to.destroyed) to.end(); }, delayMs));
  from.on('error', () => {});
  from.on('close', (hadError) => {
    // An abortive close (RST, or the peer unreachable) must reach the other side as one too.
    if (hadError || !from.readableEnded) setTimeout(() => { if (!to.destroyed) to.resetAndDestroy(); }, delayMs);
  });
}
