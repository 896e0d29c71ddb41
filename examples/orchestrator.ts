// A sample orchestrator: drives two running sites purely through their gRPC control API (mTLS,
// client certificates from `svcnet admin issue`). Links west to east with a token, exposes a
// service (connector at east, listener at west), watches events and prints the network.
// Usage: node dist/examples/orchestrator.js EAST_ADDR EAST_CREDS WEST_ADDR WEST_CREDS KEY BACKEND_PORT LISTEN_PORT
//   *_CREDS: a folder with orchestrator.key, orchestrator.crt and ca.crt (svcnet admin issue orchestrator --out DIR)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

// Only the .proto files are shared with svcnet: this program imports nothing else from it.
const protoDir = fileURLToPath(new URL('../../control/proto', import.meta.url));
const def = protoLoader.loadSync('svcnet/v1/control.proto', { includeDirs: [protoDir], longs: Number, enums: String, defaults: true, oneofs: true });
const ControlService = (grpc.loadPackageDefinition(def) as any).svcnet.v1.ControlService as grpc.ServiceClientConstructor;

type Client = grpc.Client & Record<string, any>;

function connect(address: string, creds: string): Client {
  const read = (f: string) => fs.readFileSync(path.join(creds, f));
  return new ControlService(address, grpc.credentials.createSsl(read('ca.crt'), read('orchestrator.key'), read('orchestrator.crt'))) as Client;
}

function call<T = any>(c: Client, rpc: string, req: object): Promise<T> {
  return new Promise((resolve, reject) => c[rpc](req, { deadline: Date.now() + 30_000 }, (err: grpc.ServiceError | null, res: T) => {
    if (err) reject(new Error(`${rpc} failed: ${grpc.status[err.code]}: ${err.details}`)); else resolve(res);
  }));
}

/** Watches a site; resolves once the stream is registered (its SYNC event). */
function watch(c: Client, site: string, onEvent: (e: any) => void): Promise<grpc.ClientReadableStream<any>> {
  return new Promise((resolve) => {
    const stream = c.Watch({ types: [] }) as grpc.ClientReadableStream<any>;
    stream.on('data', (e: any) => {
      if (e.type === 'SYNC') { resolve(stream); return; }
      const d = e.resource ?? e.link ?? e.routes ?? e.flow ?? {};
      console.log(`event ${site} ${e.type} ${JSON.stringify(d)}`);
      onEvent(e);
    });
    stream.on('error', (err: grpc.ServiceError) => { if (err.code !== grpc.status.CANCELLED) console.error(`watch ${site} ended: ${err.details}`); });
  });
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(argv: string[]): Promise<void> {
  if (argv.length !== 7) throw new Error('usage: orchestrator EAST_ADDR EAST_CREDS WEST_ADDR WEST_CREDS KEY BACKEND_PORT LISTEN_PORT');
  const [eastAddr, eastCreds, westAddr, westCreds, key, backendPort, listenPort] = argv;
  const east = connect(eastAddr, eastCreds);
  const west = connect(westAddr, westCreds);
  const [e, w] = await Promise.all([call(east, 'Get', { kind: 'Site' }), call(west, 'Get', { kind: 'Site' })]);
  console.log(`sites: ${e.metadata.name} (${e.status.state}) at ${eastAddr}, ${w.metadata.name} (${w.status.state}) at ${westAddr}`);

  const seen: any[] = [];
  const streams = await Promise.all([watch(east, e.metadata.name, (ev) => seen.push(ev)), watch(west, w.metadata.name, (ev) => seen.push(ev))]);

  // 1. Link: east issues a token; applying it at west redeems it and creates the Link.
  const { token } = await call(east, 'IssueToken', { expirySeconds: 300, redemptions: 1 });
  const linked = await call(west, 'Apply', { resources: [token] });
  console.log(`token ${token.metadata.name}: ${linked.results.map((r: any) => `${r.resource.kind} ${r.resource.metadata.name} ${r.action}`).join(', ')}`);

  // 2. Expose the service: a connector at east, a listener at west, same routing key.
  await call(east, 'Apply', { resources: [{ kind: 'Connector', metadata: { name: key }, connector: { routingKey: key, host: '127.0.0.1', port: Number(backendPort) } }] });
  await call(west, 'Apply', { resources: [{ kind: 'Listener', metadata: { name: key }, listener: { routingKey: key, host: '127.0.0.1', port: Number(listenPort) } }] });

  // 3. Watch it come up: the link, the route to the key, then the listener's own status.
  await until('LINK_UP', () => seen.some((ev) => ev.type === 'LINK_UP'));
  await until(`a route to ${key} at ${w.metadata.name}`, () => seen.some((ev) => ev.type === 'ROUTES_CHANGED' && ev.routes.routingKeys.includes(key)));
  await until('the listener to be ready', async () => (await call(west, 'Get', { kind: 'Listener', name: key })).status.ready);

  // 4. The network as west sees it.
  const net = await call(west, 'GetNetwork', {});
  console.log(`network seen from ${net.siteName}:`);
  for (const s of net.sites) console.log(`  site ${s.name} cost ${s.cost} links [${s.links.map((l: any) => `${l.peerName}(${l.cost})`).join(' ')}] keys [${s.routingKeys.join(' ')}]`);
  for (const s of net.services) console.log(`  service ${s.routingKey}: listeners [${s.listeners.map((l: any) => `${l.site}/${l.name}:${l.port} ${l.state}`).join(' ')}] connectors [${s.connectors.map((c: any) => `${c.site}(cost ${c.cost})`).join(' ')}]`);
  console.log(`ready: ${key} is served at 127.0.0.1:${listenPort} on ${w.metadata.name}`);
  for (const s of streams) s.cancel();
  east.close();
  west.close();
}

main(process.argv.slice(2)).then(() => process.exit(0), (err) => { console.error(`orchestrator: ${(err as Error).message}`); process.exit(1); });
