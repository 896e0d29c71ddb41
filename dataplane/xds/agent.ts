// The data-plane side of the push: validates each push, applies it to a Dataplane (listeners,
// connectors, one LinkDialer per pushed link with its named credentials; the link server and
// admission through the engine's hooks), then ACKs; a refused
// push is NACKed with the reason, logged, kept in status, and the last good state stays in force.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Dataplane } from '../dataplane.js';
import { LinkDialer, type LinkTarget } from '../link-dialer.js';
import { validatePush } from './validate.js';
import type { Push, PushAck, ResourceType, ResourcesOf } from '../port/push.js';

/** Every type a push may carry, for status (the compiler checks the record below is complete). */
const ALL_TYPES = Object.keys({ server: 1, admission: 1, certificates: 1, links: 1, listeners: 1, connectors: 1 } satisfies Record<ResourceType, 1>) as ResourceType[];

export interface AgentOptions {
  log: Logger;
  /** listeners open on spec.port + this offset (replicas on one host); 0 by default */
  listenerPortOffset?: number;
  /** false: accept listener pushes but open no ports (a replica that only dials and serves connectors) */
  listeners?: boolean;
  /** the link server's address and certificate (a site's own engine; replicas do not subscribe) */
  onServer?(server: ResourcesOf['server'][number] | undefined): void;
  /** the certificates this site issued and whether each may link now */
  onAdmission?(entries: ResourcesOf['admission']): void;
}

import type { PushStatus as AgentTypeStatus } from '../port/report.js';

export type { AgentTypeStatus };

export class DataplaneAgent extends EventEmitter {
  /** outbound links by Link name (the site status lists them) */
  readonly dialers = new Map<string, LinkDialer>();
  private readonly accepted: { [T in ResourceType]?: Push<T> } = {};
  private readonly refusals: Partial<Record<ResourceType, NonNullable<AgentTypeStatus['refused']>>> = {};
  private readonly log: Logger;

  constructor(readonly dp: Dataplane, private readonly opts: AgentOptions) {
    super();
    this.log = opts.log.child({ component: 'xds-agent' });
  }

  /** Validates and applies `push`; returns the ACK or NACK to send back. Never throws. */
  apply(push: Push): PushAck {
    const last = this.accepted[push.type];
    if (last && last.version === push.version && push.version !== '') return this.ack(push);
    const local = this.localize(push);
    let error = validatePush(local, { certificates: this.accepted.certificates?.resources ?? [] });
    if (!error) {
      try { this.enact(local); } catch (err) { error = `${push.type}: ${(err as Error).message}`; }
    }
    if (error) {
      this.refusals[push.type] = { version: push.version, nonce: push.nonce, error, at: new Date().toISOString() };
      this.log.warn({ type: push.type, version: push.version, nonce: push.nonce, keptVersion: last?.version ?? '', err: error }, 'push refused (NACK); the last good state stays');
      const nack: PushAck = { type: push.type, version: last?.version ?? '', nonce: push.nonce, error };
      this.emit('nack', nack);
      return nack;
    }
    (this.accepted as Record<ResourceType, Push>)[push.type] = push;
    delete this.refusals[push.type];
    this.log.debug({ type: push.type, version: push.version }, 'push applied');
    return this.ack(push);
  }

  private ack(push: Push): PushAck {
    const a: PushAck = { type: push.type, version: push.version, nonce: push.nonce };
    this.emit('ack', a);
    return a;
  }

  /** The replica's view of a push: listener ports moved by the configured offset. */
  private localize(push: Push): Push {
    const offset = this.opts.listenerPortOffset ?? 0;
    if (push.type !== 'listeners' || offset === 0) return push;
    return { ...push, resources: (push.resources as ResourcesOf['listeners']).map((l) => ({ ...l, port: l.port + offset })) };
  }

  private enact(push: Push): void {
    switch (push.type) {
      case 'server': this.opts.onServer?.((push.resources as ResourcesOf['server'])[0]); break;
      case 'admission': this.opts.onAdmission?.(push.resources as ResourcesOf['admission']); break;
      case 'listeners': this.dp.setListeners(this.opts.listeners === false ? [] : push.resources as ResourcesOf['listeners']); break;
      case 'connectors': this.dp.setConnectors(push.resources as ResourcesOf['connectors']); break;
      case 'links': this.syncDialers(push.resources as ResourcesOf['links'], this.accepted.certificates?.resources ?? []); break;
      case 'certificates': this.syncDialers(this.accepted.links?.resources ?? [], push.resources as ResourcesOf['certificates']); break;
    }
  }

  /** One dialer per link; a change of credentials only is used from the next dial, the live link stays. */
  private syncDialers(links: ResourcesOf['links'], secrets: ResourcesOf['certificates']): void {
    const byName = new Map(secrets.map((s) => [s.name, s]));
    const want = new Map<string, LinkTarget>();
    for (const l of links) {
      const s = byName.get(l.secret);
      // Missing only when certificates dropped a secret still in use: keep dialing with the old copy.
      const tls = s ? { key: s.key, cert: s.cert, ca: s.ca } : this.dialers.get(l.name)?.target.tls;
      if (tls) want.set(l.name, { name: l.name, host: l.host, port: l.port, cost: l.cost, tls, proxy: l.proxy });
    }
    for (const [name, d] of this.dialers) {
      const t = want.get(name);
      if (t && JSON.stringify({ ...t, tls: null }) === JSON.stringify({ ...d.target, tls: null })) {
        if (JSON.stringify(t.tls) !== JSON.stringify(d.target.tls)) d.updateTls(t.tls);
        continue;
      }
      d.stop();
      this.dialers.delete(name);
    }
    for (const [name, t] of want) {
      if (this.dialers.has(name)) continue;
      const d = new LinkDialer(this.dp, t, this.opts.log.child({ component: 'dialer' }));
      this.dialers.set(name, d);
      d.start();
    }
  }

  /** Accepted version and last refusal per type. */
  status(): Record<ResourceType, AgentTypeStatus> {
    const out = {} as Record<ResourceType, AgentTypeStatus>;
    for (const t of ALL_TYPES) out[t] = { version: this.accepted[t]?.version ?? '', nonce: this.accepted[t]?.nonce ?? '', refused: this.refusals[t] };
    return out;
  }

  /** Stops every dialer (the links say GOAWAY). */
  stop(): void {
    for (const d of this.dialers.values()) d.stop();
    this.dialers.clear();
  }
}
