// Where a site's local API socket is and the ControlService definition: what the server and its
// gRPC clients share, apart from server.ts so that a client does not load the handlers.
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { loadSvcnetV1 } from '../grpc-proto.js';

/** Where the local API socket of a site directory is. */
export function apiSocketPath(dir: string): string { return path.resolve(dir, 'run', 'api.sock'); }

let service: grpc.ServiceDefinition | undefined;
/** The ControlService definition, loaded once. */
export function controlService(): grpc.ServiceDefinition {
  return (service ??= (loadSvcnetV1('svcnet/v1/control.proto').ControlService as grpc.ServiceClientConstructor).service);
}
