// A naive Node TLS relay pair (bench/peers/node-tls-relay.ts): what "just pipe sockets through
// tls.connect" costs, one TLS connection per flow — the baseline svcnet's design has to beat.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess } from '../procs.js';
import { pairSetup } from './peer-pair.js';

const RELAY = fileURLToPath(new URL('../peers/node-tls-relay.js', import.meta.url));

/** Two Node processes piping plain TCP ↔ mutual TLS. */
export const nodeTls = pairSetup({
  name: 'node-tls',
  description: 'naive Node relay pair: net → tls.connect (client cert) → tls.createServer (requestCert) → net',
  prepare: async () => `Node ${process.version}`,
  templates: { client: 'node-tls-client.json', server: 'node-tls-server.json' },
  launch: (config, side, dir) => startProcess(process.execPath, [RELAY, config], path.join(dir, `node-tls-${side}.log`)),
});
