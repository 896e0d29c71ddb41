// Loads the .proto files under control/proto once, for servers and clients alike.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const protoRoot = fileURLToPath(new URL('../../control/proto', import.meta.url));

/** The svcnet.v1 package from `file` (relative to control/proto). */
export function loadSvcnetV1(file: string): grpc.GrpcObject {
  const def = protoLoader.loadSync(file, { includeDirs: [protoRoot], keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { svcnet: { v1: grpc.GrpcObject } };
  return pkg.svcnet.v1;
}
