// The xDS-style push from control plane to data plane (Envoy ADS + SDS): one resource set per
// type, each push carrying a version and a nonce, answered by an ACK or a NACK with the reason.
import type { ListenerSpec } from '../listener.js';
import type { ConnectorSpec } from '../connector.js';
import type { TlsMaterial } from '../link-server.js';

/** The resource types, in the order a full push sends them (secrets before the links using them). */
export const RESOURCE_TYPES = ['certificates', 'links', 'listeners', 'connectors'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** An outbound link as pushed: its TLS material is named (`secret`), as Envoy's SDS does. */
export interface LinkResource {
  name: string;
  host: string;
  port: number;
  cost: number;
  /** name of a secret in the certificates resource set */
  secret: string;
  proxy?: string;
}

/** A named key, certificate and trusted CAs (SDS secret). */
export interface SecretResource extends TlsMaterial { name: string }

/** What each resource type carries. */
export interface ResourcesOf {
  certificates: SecretResource[];
  links: LinkResource[];
  listeners: ListenerSpec[];
  connectors: ConnectorSpec[];
}

/** The desired data-plane state, without versions: desired = f(resources). */
export type DesiredState = { [T in ResourceType]: ResourcesOf[T] };

/** One push of one resource type. */
export interface Push<T extends ResourceType = ResourceType> {
  type: T;
  version: string;
  nonce: string;
  resources: ResourcesOf[T];
}

/** The answer to a push: ACK when `error` is absent (then `version` is the pushed one), NACK otherwise
 * (then `version` is the last accepted one, '' if none). */
export interface PushAck {
  type: ResourceType;
  version: string;
  nonce: string;
  error?: string;
}

/** A versioned snapshot of every type: what the control plane currently wants. */
export type DataplaneSnapshot = { [T in ResourceType]: Push<T> };
