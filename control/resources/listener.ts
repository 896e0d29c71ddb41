// Listener: a local port where clients connect; their flows go to connectors of the routing key.
import { z } from 'zod';
import { API_VERSION, metadataSchema, routingKeySchema, portSchema, hostSchema, serviceTypeSchema, fileNameSchema, parseWith, withNameAsRoutingKey } from './common.js';

/** Several routing keys on one port, as Skupper's MultiKeyListener: by priority (failover) or by weight. */
export const listenerStrategySchema = z.union([
  z.object({ priority: z.object({ routingKeysByPriority: z.array(routingKeySchema).min(1) }).strict() }).strict(),
  z.object({ weighted: z.object({ weightsByRoutingKey: z.record(routingKeySchema, z.number().int().min(1).max(1000)) }).strict() }).strict(),
]);

export const listenerSpecSchema = z.object({
  /** the routing key; metadata.name when absent and `strategy` does not name several (issue 15) */
  routingKey: routingKeySchema.optional(),
  port: portSchema,
  host: hostSchema.default('0.0.0.0'),
  type: serviceTypeSchema.default('tcp'),
  strategy: listenerStrategySchema.optional(),
  /** pin each client address to one target (hash of the address) instead of balancing by open flows */
  affinity: z.boolean().default(false),
  /** application TLS (issue 15): clients speak TLS to this port, which presents these credentials (tls/NAME.json) */
  tlsCredentials: fileNameSchema.optional(),
  /** with tlsCredentials: refuse clients without a certificate signed by the credentials' CA */
  requireClientCert: z.boolean().optional(),
  /** connection (absent): each client connection goes to one connector; request: each HTTP/1.1 request
   *  (an http1 listener) or HTTP/2 stream, so each gRPC call (an http2 listener), may go to another */
  balance: z.enum(['connection', 'request'], { error: 'must be connection or request' }).optional(),
}).strict().refine((s) => s.routingKey !== undefined || s.strategy !== undefined, { message: 'required unless spec.strategy is set', path: ['routingKey'] })
  .refine((s) => !s.requireClientCert || s.tlsCredentials !== undefined, { message: 'needs spec.tlsCredentials (the CA that signs client certificates)', path: ['requireClientCert'] })
  .refine((s) => s.balance !== 'request' || s.type === 'http1' || s.type === 'http2', { message: 'request needs spec.type http1 or http2', path: ['balance'] })
  .refine((s) => s.balance !== 'request' || !s.affinity, { message: 'request cannot be combined with spec.affinity (affinity pins a client to one target)', path: ['balance'] });

export const listenerSchema = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('Listener'),
  metadata: metadataSchema(),
  spec: listenerSpecSchema,
}).loose();

export type Listener = z.infer<typeof listenerSchema>;

/** The keys a listener serves, in priority order (weighted: in declaration order) with their weights. */
export function listenerKeys(spec: Listener['spec']): { key: string; weight: number }[] {
  if (spec.strategy && 'priority' in spec.strategy) return spec.strategy.priority.routingKeysByPriority.map((key) => ({ key, weight: 1 }));
  if (spec.strategy && 'weighted' in spec.strategy) return Object.entries(spec.strategy.weighted.weightsByRoutingKey).map(([key, weight]) => ({ key, weight }));
  return [{ key: spec.routingKey!, weight: 1 }];
}

/** Validates a raw Listener document; the routing key defaults to the name. */
export function validateListener(raw: unknown): Listener {
  return parseWith(listenerSchema, withNameAsRoutingKey(raw, 'strategy'));
}
