// Listener: a local port where clients connect; their flows go to connectors of the routing key.
import { z } from 'zod';
import { API_VERSION, metadataSchema, routingKeySchema, portSchema, hostSchema, parseWith } from './common.js';

export const listenerSpecSchema = z.object({
  routingKey: routingKeySchema,
  port: portSchema,
  host: hostSchema.default('0.0.0.0'),
  type: z.enum(['tcp']).default('tcp'),
}).strict();

export const listenerSchema = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('Listener'),
  metadata: metadataSchema(),
  spec: listenerSpecSchema,
}).loose();

export type Listener = z.infer<typeof listenerSchema>;

/** Validates a raw Listener document. */
export function validateListener(raw: unknown): Listener {
  return parseWith(listenerSchema, raw);
}
