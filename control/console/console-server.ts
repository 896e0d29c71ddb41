// Binds the console: plain HTTP on loopback (only this machine reaches it), or, when --console-host
// puts it beyond loopback, HTTPS with the site's server certificate and a login (control/console/login.ts).
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { serve, type ServerType } from '@hono/node-server';
import type { TlsMaterial } from '../../dataplane/port/push.js';
import { createConsoleApp, type ConsoleDeps } from './app.js';
import { ConsoleAuth, consoleUrl, isLoopbackHost } from './console-auth.js';

export interface ConsoleBinding {
  host: string;
  port: number;
  /** the site's server certificate and trusted CAs (for HTTPS and admin client certificates) */
  tls: TlsMaterial;
  /** the console password (control/console/console-password.ts); needed beyond loopback */
  password: () => Promise<string>;
}

export interface ConsoleServer {
  url: string;
  /** whether callers must log in */
  login: boolean;
  /** a renewed server certificate or a rotated CA: new handshakes use it */
  tlsChanged(tls: TlsMaterial): void;
  close(): void;
}

const secureOptions = (t: TlsMaterial) => ({ key: t.key, cert: t.cert, ca: t.ca });

/** Starts the console; rejects with a one-line reason when the port cannot be bound. */
export async function startConsole(deps: Omit<ConsoleDeps, 'port' | 'host' | 'auth'>, b: ConsoleBinding): Promise<ConsoleServer> {
  const login = !isLoopbackHost(b.host);
  const auth = login ? new ConsoleAuth(await b.password(), { now: Date.now, token: () => randomBytes(32).toString('base64url') }) : undefined;
  const app = createConsoleApp({ ...deps, port: b.port, host: b.host, auth });
  const url = consoleUrl(b.host, b.port);
  let current = JSON.stringify(b.tls);
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = login
      // A client certificate is asked for but not required: a browser without one logs in with the password.
      ? serve({ fetch: app.fetch, port: b.port, hostname: b.host, createServer: https.createServer, serverOptions: { ...secureOptions(b.tls), requestCert: true, rejectUnauthorized: false } }, () => resolve(s))
      : serve({ fetch: app.fetch, port: b.port, hostname: b.host }, () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`console port ${b.port} on ${b.host} is not available: ${err.message}`)));
  });
  return {
    url,
    login,
    tlsChanged(tls) {
      const text = JSON.stringify(tls);
      if (!login || text === current) return;
      (server as https.Server).setSecureContext(secureOptions(tls));
      current = text;
    },
    close() { (server as Server).close(); (server as Server).closeAllConnections?.(); },
  };
}
