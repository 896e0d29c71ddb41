// Certificates for the peer tunnels, made at run time with svcnet's own PKI (no committed keys):
// one CA, a server certificate for "localhost", a client certificate; PEM files in the run's directory.
import fs from 'node:fs';
import path from 'node:path';
import { createCa, issueLeaf } from '../control/pki/ca.js';

/** Paths of the PEM files the peers are configured with. */
export interface CertPaths {
  ca: string;
  serverCert: string;
  serverKey: string;
  /** certificate and key in one file (haproxy) */
  serverPem: string;
  clientCert: string;
  clientKey: string;
  clientPem: string;
}

/** Makes the CA and both leaves and writes them (keys 0600) under `dir`. */
export async function makeCerts(dir: string): Promise<CertPaths> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = await createCa('bench');
  const server = await issueLeaf(ca, { commonName: 'localhost', hosts: ['localhost', '127.0.0.1'], server: true });
  const client = await issueLeaf(ca, { commonName: 'bench-client', client: true });
  const write = (name: string, text: string) => { const p = path.join(dir, name); fs.writeFileSync(p, text, { mode: 0o600 }); return p; };
  return {
    ca: write('ca.crt', ca.cert),
    serverCert: write('server.crt', server.cert),
    serverKey: write('server.key', server.key),
    serverPem: write('server.pem', server.cert + server.key),
    clientCert: write('client.crt', client.cert),
    clientKey: write('client.key', client.key),
    clientPem: write('client.pem', client.cert + client.key),
  };
}
