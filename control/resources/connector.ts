// Connector: the real server (host:port) that serves a routing key on this site.
import { z } from 'zod';
import { API_VERSION, metadataSchema, routingKeySchema, portSchema, hostSchema, serviceTypeSchema, fileNameSchema, parseWith, withNameAsRoutingKey } from './common.js';

export const connectorSpecSchema = z.object({
  routingKey: routingKeySchema,
  port: portSchema,
  host: hostSchema.default('127.0.0.1'),
  type: serviceTypeSchema.default('tcp'),
  /** application TLS (issue 15): connect to the server with TLS, trusting the credentials' CA (tls/NAME.json; none: the system's CAs) */
  tlsCredentials: fileNameSchema.optional(),
  /** with tlsCredentials: present the credentials' certificate to the server (mutual TLS) */
  useClientCert: z.boolean().optional(),
  /** with tlsCredentials: check that the server's certificate names spec.host; on unless false */
  verifyHostname: z.boolean().optional(),
}).strict().refine((s) => s.tlsCredentials !== undefined || (!s.useClientCert && s.verifyHostname !== false), { message: 'is required by useClientCert and verifyHostname', path: ['tlsCredentials'] });

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
