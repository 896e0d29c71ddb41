// Connector: the real server (host:port) that serves a routing key on this site.
import { z } from 'zod';
import { API_VERSION, metadataSchema, routingKeySchema, portSchema, hostSchema, serviceTypeSchema, parseWith, withNameAsRoutingKey } from './common.js';

export const connectorSpecSchema = z.object({
  routingKey: routingKeySchema,
  port: portSchema,
  host: hostSchema.default('127.0.0.1'),
  type: serviceTypeSchema.default('tcp'),
}).strict();

export const connectorSchema = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('Connector'),
  metadata: metadataSchema(),
  spec: connectorSpecSchema,
}).loose();

export type Connector = z.infer<typeof connectorSchema>;

/** Validates a raw Connector document; the routing key defaults to the name (issue 15). */
export function validateConnector(raw: unknown): Connector {
  return parseWith(connectorSchema, withNameAsRoutingKey(raw));
}
