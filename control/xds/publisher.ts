// The control side of the push: holds the current snapshot, sends each attached data-plane node
// the types whose version it has not been sent yet (ADS order), and records every ACK and NACK
// (matched by nonce) so the site status shows what each node runs and what it refused.
import type { Logger } from 'pino';
import type { DataplaneSnapshot, Push, PushAck, ResourceType } from '../../dataplane/port/push.js';
import { newNonce } from './snapshot.js';

/** A data-plane node the publisher pushes to: in-process agent or a router's gRPC stream. */
export interface PushTarget {
  /** node id: "local" or "router:NAME" */
  node: string;
  send(push: Push): void;
  /** the types this node subscribes to, in push order (router replicas: RESOURCE_TYPES) */
  types: readonly ResourceType[];
}

/** What a node was sent, what it accepted, and its last refusal, per type. */
export interface NodeTypeStatus { sent: string; acked: string; pending: boolean; refused?: { version: string; error: string; at: string } }
export interface NodeStatus { node: string; connectedAt: string; types: Partial<Record<ResourceType, NodeTypeStatus>> }

interface NodeState { target: PushTarget; connectedAt: string; nonces: Map<ResourceType, { version: string; nonce: string }>; types: Partial<Record<ResourceType, NodeTypeStatus>> }

export class SnapshotPublisher {
  private snapshot: DataplaneSnapshot | undefined;
  private readonly nodes = new Map<string, NodeState>();
  /** refusals seen, for the status: node, type, version, reason */
  nacks = 0;

  constructor(private readonly log: Logger, private readonly onNack?: (node: string, ack: PushAck) => void) {}

  /** Publishes a new snapshot: every node gets the types whose version changed. */
  update(snapshot: DataplaneSnapshot): void {
    this.snapshot = snapshot;
    for (const n of this.nodes.values()) this.sendChanged(n);
  }

  /** Starts pushing to `target` (the whole snapshot first); returns the detach function. */
  attach(target: PushTarget): () => void {
    const blank = (): NodeTypeStatus => ({ sent: '', acked: '', pending: false });
    const n: NodeState = { target, connectedAt: new Date().toISOString(), nonces: new Map(), types: Object.fromEntries(target.types.map((t) => [t, blank()])) };
    if (this.nodes.has(target.node)) this.log.info({ node: target.node }, 'node reconnected; the older stream is replaced');
    this.nodes.set(target.node, n);
    this.log.info({ node: target.node }, 'data-plane node attached');
    this.sendChanged(n);
    return () => { if (this.nodes.get(target.node) === n) { this.nodes.delete(target.node); this.log.info({ node: target.node }, 'data-plane node detached'); } };
  }

  private sendChanged(n: NodeState): void {
    if (!this.snapshot) return;
    for (const type of n.target.types) {
      const p = this.snapshot[type] as Push;
      const t = n.types[type]!;
      if (t.sent === p.version) continue;
      const push = { ...p, nonce: newNonce() };
      n.nonces.set(type, { version: push.version, nonce: push.nonce });
      t.sent = push.version;
      t.pending = true;
      n.target.send(push);
    }
  }

  /** An answer from `node`; answers to an older nonce than the last push of that type are ignored. */
  answer(node: string, ack: PushAck): void {
    const n = this.nodes.get(node);
    const last = n?.nonces.get(ack.type);
    if (!n || !last || last.nonce !== ack.nonce) return;
    const t = n.types[ack.type]!;
    t.pending = false;
    if (ack.error) {
      this.nacks++;
      t.acked = ack.version;
      t.refused = { version: last.version, error: ack.error, at: new Date().toISOString() };
      this.log.warn({ node, type: ack.type, version: last.version, kept: ack.version, err: ack.error }, 'data-plane node refused a push (NACK)');
      this.onNack?.(node, ack);
      return;
    }
    t.acked = ack.version;
    delete t.refused;
  }

  /** Every attached node with its per-type versions and refusals. */
  status(): NodeStatus[] {
    return [...this.nodes.values()].map((n) => ({ node: n.target.node, connectedAt: n.connectedAt, types: structuredClone(n.types) }));
  }
}
