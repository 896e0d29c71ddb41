// Checks a push before the agent applies it. Pure: a push either passes whole or is refused whole
// with the first reason found, so a refused push never half-replaces the last good state.
import type { AppTlsSpec, Push, ResourceType, ResourcesOf, SecretResource, TlsMaterial } from '../port/push.js';

/** A listener's or connector's type: absent means tcp (issue 13). */
const serviceType = (t: unknown): boolean => t === undefined || t === 'tcp' || t === 'http1' || t === 'http2';

const validPort = (p: unknown): boolean => Number.isInteger(p) && (p as number) >= 1 && (p as number) <= 65535;

function uniqueNames(items: { name: string }[], what: string): string | null {
  const seen = new Set<string>();
  for (const i of items) {
    if (typeof i.name !== 'string' || i.name === '') return `${what}: a resource has no name`;
    if (seen.has(i.name)) return `${what} ${i.name}: duplicate name`;
    seen.add(i.name);
  }
  return null;
}

function checkPort(what: string, name: string, port: unknown): string | null {
  return validPort(port) ? null : `${what} ${name}: port ${String(port)} is outside 1..65535`;
}

function checkTls(what: string, s: TlsMaterial): string | null {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(s.key ?? '')) return `${what}: key is not a PEM private key`;
  if (!(s.cert ?? '').includes('-----BEGIN CERTIFICATE-----')) return `${what}: cert is not a PEM certificate`;
  if (!Array.isArray(s.ca) || s.ca.length === 0 || !s.ca.every((c) => c.includes('-----BEGIN CERTIFICATE-----'))) return `${what}: no trusted CA`;
  return null;
}

/** Application TLS of a listener (a server certificate; a CA to check clients against) or a connector (issue 15). */
function checkAppTls(what: string, t: AppTlsSpec | undefined, server: boolean): string | null {
  if (t === undefined) return null;
  const isCert = (c: unknown) => typeof c === 'string' && c.includes('-----BEGIN CERTIFICATE-----');
  if (typeof t.credentials !== 'string' || !t.credentials) return `${what}: TLS without a credentials name`;
  if ((t.key === undefined) !== (t.cert === undefined)) return `${what}: TLS key and certificate go together`;
  if (t.key !== undefined && (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(t.key) || !isCert(t.cert))) return `${what}: TLS key or certificate is not PEM`;
  if (t.ca !== undefined && (!Array.isArray(t.ca) || t.ca.length === 0 || !t.ca.every(isCert))) return `${what}: TLS CAs are not PEM certificates`;
  if (server && t.key === undefined) return `${what}: TLS needs a certificate and key to present`;
  if (server && t.requireClientCert && t.ca === undefined) return `${what}: client certificates required but no CA to check them`;
  return null;
}

function checkAdmission(entries: ResourcesOf['admission']): string | null {
  const seen = new Set<string>();
  for (const e of entries) {
    if (typeof e.serial !== 'string' || !/^[0-9a-f]+$/.test(e.serial)) return `admission: serial ${String(e.serial)} is not normalized hex`;
    if (seen.has(e.serial)) return `admission ${e.serial}: duplicate serial`;
    seen.add(e.serial);
    if (typeof e.siteId !== 'string' || typeof e.site !== 'string' || !e.siteId) return `admission ${e.serial}: site id and name are required`;
    if (!Number.isInteger(e.minCost) || e.minCost < 1) return `admission ${e.serial}: minCost must be a positive integer`;
  }
  return null;
}

/** What the pushed resources of each type depend on in the agent's accepted state. */
export interface AcceptedView {
  certificates: SecretResource[];
}

/** Null when `push` may be applied on top of `accepted`; otherwise why it is refused. */
export function validatePush(push: Push, accepted: AcceptedView): string | null {
  const r = push.resources as ResourcesOf[ResourceType];
  if (!Array.isArray(r)) return `${push.type}: resources must be a list`;
  if (typeof push.version !== 'string' || push.version === '') return `${push.type}: missing version`;
  if (push.type === 'admission') return checkAdmission(push.resources as ResourcesOf['admission']);
  const dup = uniqueNames(r as { name: string }[], push.type);
  if (dup) return dup;
  switch (push.type) {
    case 'server': {
      const servers = push.resources as ResourcesOf['server'];
      if (servers.length > 1) return 'server: at most one link server';
      for (const s of servers) {
        const bad = checkPort('server', s.name, s.port) ?? checkTls(`server ${s.name}`, s);
        if (bad) return bad;
        if (!s.host) return `server ${s.name}: no host to bind`;
      }
      return null;
    }
    case 'listeners':
      for (const l of push.resources as ResourcesOf['listeners']) {
        const bad = checkPort('listener', l.name, l.port);
        if (bad) return bad;
        if (!l.routingKey) return `listener ${l.name}: no routing key`;
        if (!serviceType(l.type)) return `listener ${l.name}: unknown type ${JSON.stringify(l.type)}`;
        const tls = checkAppTls(`listener ${l.name}`, l.tls, true);
        if (tls) return tls;
      }
      return null;
    case 'connectors':
      for (const c of push.resources as ResourcesOf['connectors']) {
        const bad = checkPort('connector', c.name, c.port);
        if (bad) return bad;
        if (!c.host || !c.routingKey) return `connector ${c.name}: host and routing key are required`;
        if (!serviceType(c.type)) return `connector ${c.name}: unknown type ${JSON.stringify(c.type)}`;
        const tls = checkAppTls(`connector ${c.name}`, c.tls, false);
        if (tls) return tls;
      }
      return null;
    case 'links': {
      const secrets = new Set(accepted.certificates.map((s) => s.name));
      for (const l of push.resources as ResourcesOf['links']) {
        const bad = checkPort('link', l.name, l.port);
        if (bad) return bad;
        if (!(l.cost > 0)) return `link ${l.name}: cost must be positive`;
        if (!secrets.has(l.secret)) return `link ${l.name}: unknown link credential "${l.secret}" (not in the accepted certificates)`;
      }
      return null;
    }
    case 'certificates': {
      for (const s of push.resources as ResourcesOf['certificates']) {
        const bad = checkTls(`secret ${s.name}`, s);
        if (bad) return bad;
      }
      // A secret may vanish while a link still dials with it: the dialer keeps its copy until the
      // links push that drops the link (ADS order: secrets before the links that use them).
      return null;
    }
    default:
      return `unknown resource type "${String((push as Push).type)}"`;
  }
}
