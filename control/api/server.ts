// Binds the control service: on the unix socket run/api.sock (mode 0600 in a 0700 folder; the
// filesystem is the access check) and, when the site has an api port, on TCP with mutual TLS.
import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { apiSocketPath, controlService } from './service.js';
import { createControlHandlers, watch, type ControlHandlers } from './handlers.js';
import { toServiceError, ApiError } from './errors.js';
import { authorize, OptionalClientCertCredentials } from './auth.js';
import type { ApiContext } from './context.js';
import type { Event, WatchRequest, RunBenchmarkRequest, BenchmarkEvent } from './types.js';
import { runBenchmark } from '../bench/bench-api.js';

/** A watcher more than this many events behind is cut off rather than buffered without bound. */
export const WATCH_BACKLOG_LIMIT = 10_000;

export { apiSocketPath, controlService } from './service.js';

type Check = (call: { getAuthContext(): unknown }) => void;

function implementation(ctx: ApiContext, handlers: ControlHandlers, check: Check): grpc.UntypedServiceImplementation {
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [name, h] of Object.entries(handlers) as [keyof ControlHandlers, (r: unknown) => Promise<unknown>][]) {
    impl[name] = (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      Promise.resolve().then(() => { check(call); return h(call.request); }).then((r) => cb(null, r), (err) => {
        if (!(err instanceof ApiError) || err.code === 'SVCNET_ERR_INTERNAL') ctx.log.error({ err, rpc: name }, 'API call failed');
        cb(toServiceError(err));
      });
    };
  }
  impl.Watch = (call: grpc.ServerWritableStream<WatchRequest, Event>) => {
    try { check(call); } catch (err) { call.emit('error', toServiceError(err)); return; }
    const stop = watch(ctx, call.request, (e) => {
      if (call.writableLength > WATCH_BACKLOG_LIMIT) {
        stop();
        call.emit('error', toServiceError(new ApiError('SVCNET_ERR_WATCH_OVERFLOW', `watcher more than ${WATCH_BACKLOG_LIMIT} events behind; watch again`)));
        return;
      }
      call.write(e);
    });
    call.on('cancelled', stop);
    call.on('close', stop);
    call.on('error', stop);
  };
  impl.RunBenchmark = (call: grpc.ServerWritableStream<RunBenchmarkRequest, BenchmarkEvent>) => {
    try { check(call); } catch (err) { call.emit('error', toServiceError(err)); return; }
    let over = false;
    const cancel = runBenchmark(ctx, call.request, (e) => { if (!over) call.write(e); }, (err) => {
      if (over) return;
      over = true;
      if (err) call.emit('error', toServiceError(err)); else call.end();
    });
    // The caller hung up or cancelled (Ctrl-C): the run's flows are closed.
    const stop = () => { if (!over) { over = true; cancel(); } };
    call.on('cancelled', stop);
    call.on('close', stop);
  };
  return impl;
}

function bind(server: grpc.Server, address: string, creds: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => server.bindAsync(address, creds, (err, port) => (err ? reject(err) : resolve(port))));
}

export interface ApiServers { endpoint?: string; close(): void }

/** Starts the API on the unix socket of `dir` and, if `tcp` is given, on TCP with mutual TLS. */
export async function startApiServers(ctx: ApiContext, o: { dir: string; tcp?: { host: string; port: number; advertise: string; key: string; cert: string; ca: string } }): Promise<ApiServers> {
  const handlers = createControlHandlers(ctx);
  const sock = apiSocketPath(o.dir);
  fs.mkdirSync(path.dirname(sock), { recursive: true, mode: 0o700 });
  fs.chmodSync(path.dirname(sock), 0o700);
  fs.rmSync(sock, { force: true }); // left behind by a site that was killed
  const local = new grpc.Server();
  local.addService(controlService(), implementation(ctx, handlers, () => {}));
  try {
    await bind(local, `unix://${sock}`, grpc.ServerCredentials.createInsecure());
  } catch (err) {
    throw new Error(`cannot open the API socket ${sock}: ${(err as Error).message}${sock.length > 100 ? ' (unix socket paths are limited to 107 bytes; use a shorter --dir)' : ''}`);
  }
  fs.chmodSync(sock, 0o600);
  let remote: grpc.Server | undefined;
  if (o.tcp) {
    remote = new grpc.Server();
    remote.addService(controlService(), implementation(ctx, handlers, authorize));
    try {
      await bind(remote, `${o.tcp.host}:${o.tcp.port}`, new OptionalClientCertCredentials(o.tcp.key, o.tcp.cert, o.tcp.ca));
    } catch (err) {
      local.forceShutdown();
      throw new Error(`API port ${o.tcp.port} is not available: ${(err as Error).message}`);
    }
  }
  ctx.log.info({ socket: sock, tcp: o.tcp ? o.tcp.advertise : undefined }, 'control API ready');
  return {
    endpoint: o.tcp?.advertise,
    close() { local.forceShutdown(); remote?.forceShutdown(); fs.rmSync(sock, { force: true }); },
  };
}
