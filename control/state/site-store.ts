// The only module that reads and writes a site's state directory:
//   site.json            identity and settings        pki/        CA and server certificate (0600)
//   resources/KIND/*.json declared resources          links/NAME/ credentials got by redeeming a token
//   run/status.json       what the running site reports (for status commands)
//   tls/NAME.json         application TLS credentials of listeners and connectors (0600, issue 15)
// A key and its certificate live in one file, so no crash can leave a new key beside an old
// certificate. State writes are durable and off the event loop (writeFileAtomicAsync); reads are
// synchronous (small files, page cache).
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic, writeFileAtomicAsync, removeDurable } from './atomic.js';
import { safeName, assertInside } from './safe-name.js';
import type { KeyPairPem } from '../pki/ca.js';

export interface SiteConfig {
  id: string;
  name: string;
  /** host: what other sites are told; bindHost: the local address the link and grant ports listen on (default: host) */
  linkAccess: { enabled: boolean; host: string; port: number; bindHost?: string };
  /** port of the token redemption (grant) endpoint; link access only */
  grantPort: number;
  /** port of the console and /metrics; 0 = off */
  consolePort: number;
  /** where the console listens (default 127.0.0.1); beyond loopback it serves HTTPS and asks for a login */
  consoleHost?: string;
  /** TCP port of the mTLS control API for remote orchestrators; 0 or absent = off */
  apiPort?: number;
  createdAt: string;
}

export type ResourceKind = 'Listener' | 'Connector' | 'Link' | 'AccessGrant' | 'AccessToken';
export const RESOURCE_KINDS: readonly ResourceKind[] = ['Listener', 'Connector', 'Link', 'AccessGrant', 'AccessToken'];

// Resource versions: decimal strings that only grow (microseconds of the wall clock, or the last
// version + 1), so a document deleted and made again never gets a version a client saw before.
let lastVersion = 0;
function nextVersion(): string {
  lastVersion = Math.max(lastVersion + 1, Date.now() * 1000);
  return String(lastVersion);
}

/** One write of a batch (SiteStore.commit): a resource stored or removed, or the site settings. */
export type BatchOp = { kind: ResourceKind; name: string; doc: unknown } | { kind: ResourceKind; name: string; remove: true } | { config: SiteConfig };
type StampedOp = { kind: ResourceKind; name: string; doc: unknown; version: string } | { kind: ResourceKind; name: string; remove: true } | { config: SiteConfig };

/** Where a batch in progress is journalled (inside the state directory, so it moves with it). */
const JOURNAL = 'pending-batch.json';

function stamp(kind: ResourceKind, name: string, doc: unknown): StampedOp & { version: string } {
  const d = doc as { metadata?: Record<string, unknown> };
  const version = nextVersion();
  return { kind, name, doc: { ...d, metadata: { ...d.metadata, resourceVersion: version } }, version };
}

/** Lock chains by resolved directory: every SiteStore of one directory in this process shares one. */
const locks = new Map<string, Promise<unknown>>();

/** Link credentials as stored in links/NAME/credentials.json. */
export interface LinkCredentials extends KeyPairPem { ca: string; grantUrl?: string }

export class SiteStore {
  constructor(readonly dir: string) {}

  /**
   * Runs `fn` with no other exclusive section on this directory in between. Writes are async, so
   * a read-modify-write (grant counters, the issued-certificate registry, resources) takes this.
   * Not reentrant: take it at entry points (an RPC, a renewal, a CLI command), never inside.
   */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const key = path.resolve(this.dir);
    const run = (locks.get(key) ?? Promise.resolve()).then(fn, fn);
    const tail = run.then(() => undefined, () => undefined);
    locks.set(key, tail);
    void tail.then(() => { if (locks.get(key) === tail) locks.delete(key); });
    return run;
  }

  static exists(dir: string): boolean {
    return fs.existsSync(path.join(dir, 'site.json'));
  }

  /** Opens an existing site directory; throws a clear error if there is none. */
  static open(dir: string): SiteStore {
    if (!SiteStore.exists(dir)) throw new Error(`no site in ${dir}: create one with "svcnet site create NAME --dir ${dir}"`);
    return new SiteStore(dir);
  }

  private p(...parts: string[]): string { return path.join(this.dir, ...parts); }
  /**
   * The path of a caller-named entry: every name is checked to be one safe path component and the
   * result, symlinks resolved, to stay inside the directory (issue 10 #5). Every method that joins
   * a caller's name goes through here, whatever the edges already checked.
   */
  private named(folder: 'resources' | 'links' | 'pki' | 'tls', ...parts: string[]): string {
    const file = this.p(folder, ...parts);
    assertInside(this.dir, file);
    return file;
  }
  private resourceFile(kind: ResourceKind, name: string): string {
    if (!RESOURCE_KINDS.includes(kind)) throw new Error(`unknown resource kind ${JSON.stringify(kind)}`);
    return this.named('resources', kind, `${safeName(`${kind} name`, name)}.json`);
  }
  private linkDir(name: string): string { return this.named('links', safeName('link credentials name', name)); }

  readConfig(): SiteConfig { return JSON.parse(fs.readFileSync(this.p('site.json'), 'utf8')) as SiteConfig; }
  writeConfig(c: SiteConfig): Promise<void> { return writeFileAtomicAsync(this.p('site.json'), JSON.stringify(c, null, 2) + '\n'); }

  /** The CA's key and certificate (pki/ca.json). */
  readCa(): KeyPairPem { return this.readPair(this.p('pki', 'ca.json')); }
  writeCa(ca: KeyPairPem): Promise<void> { return this.writePair(this.p('pki', 'ca.json'), ca); }

  /** The certificate this site presents as a server: links, grants, API, routers (pki/server.json). */
  readServerCert(): KeyPairPem { return this.readPair(this.p('pki', 'server.json')); }
  writeServerCert(kp: KeyPairPem): Promise<void> { return this.writePair(this.p('pki', 'server.json'), kp); }

  private readPair(file: string): KeyPairPem {
    const legacy = file.replace(/\.json$/, '');
    if (!fs.existsSync(file) && fs.existsSync(`${legacy}.key`)) return { key: fs.readFileSync(`${legacy}.key`, 'utf8'), cert: fs.readFileSync(`${legacy}.crt`, 'utf8') }; // a site made with the earlier layout (one file per key and certificate)
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as KeyPairPem;
    if (typeof v.key !== 'string' || typeof v.cert !== 'string') throw new Error(`${file} is not a key and certificate pair`);
    return { key: v.key, cert: v.cert };
  }
  private writePair(file: string, kp: KeyPairPem): Promise<void> {
    return writeFileAtomicAsync(file, JSON.stringify({ key: kp.key, cert: kp.cert }, null, 1) + '\n', 0o600);
  }

  /** A PKI record under pki/ (trust bundle, issued certificates, revocations), or undefined. */
  readPkiFile(name: string): string | undefined {
    const f = this.named('pki', safeName('pki file name', name));
    return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined;
  }
  async writePkiFile(name: string, text: string, mode = 0o644): Promise<void> { await writeFileAtomicAsync(this.named('pki', safeName('pki file name', name)), text, mode); }
  async deletePkiFile(name: string): Promise<void> { await removeDurable(this.named('pki', safeName('pki file name', name))); }

  /** Credentials for an outbound link, stored when a token was redeemed (grantUrl: where to renew them). */
  readLinkCredentials(name: string): LinkCredentials {
    const d = this.linkDir(name);
    if (!fs.existsSync(path.join(d, 'credentials.json')) && fs.existsSync(path.join(d, 'tls.key'))) { // a site made with the earlier layout (one file per key and certificate)
      const read = (f: string) => fs.readFileSync(path.join(d, f), 'utf8');
      return { key: read('tls.key'), cert: read('tls.crt'), ca: read('ca.crt'), grantUrl: fs.existsSync(path.join(d, 'grant-url')) ? read('grant-url').trim() : undefined };
    }
    const v = JSON.parse(fs.readFileSync(path.join(d, 'credentials.json'), 'utf8')) as LinkCredentials;
    return { key: v.key, cert: v.cert, ca: v.ca, grantUrl: v.grantUrl };
  }
  async writeLinkCredentials(name: string, c: LinkCredentials): Promise<void> {
    await writeFileAtomicAsync(path.join(this.linkDir(name), 'credentials.json'), JSON.stringify({ key: c.key, cert: c.cert, ca: c.ca, grantUrl: c.grantUrl }, null, 1) + '\n', 0o600);
  }
  /** Application TLS credentials tls/NAME.json (PEM cert, key, ca; each optional), or undefined when there are none. */
  readTlsCredentials(name: string): { cert?: string; key?: string; ca?: string } | undefined {
    const f = this.named('tls', `${safeName('TLS credentials name', name)}.json`);
    if (!fs.existsSync(f)) return undefined;
    const v = JSON.parse(fs.readFileSync(f, 'utf8')) as { cert?: string; key?: string; ca?: string };
    return { cert: v.cert, key: v.key, ca: v.ca };
  }
  /** Writes tls/NAME.json whole (atomic, 0600: it holds a private key). */
  async writeTlsCredentials(name: string, c: { cert?: string; key?: string; ca?: string }): Promise<void> {
    await writeFileAtomicAsync(this.named('tls', `${safeName('TLS credentials name', name)}.json`), JSON.stringify({ cert: c.cert, key: c.key, ca: c.ca }, null, 1) + '\n', 0o600);
  }
  /** Removes tls/NAME.json; false when there was none. */
  deleteTlsCredentials(name: string): Promise<boolean> { return removeDurable(this.named('tls', `${safeName('TLS credentials name', name)}.json`)); }
  /** Names of the stored application TLS credentials, sorted. */
  listTlsCredentials(): string[] {
    const d = this.p('tls');
    if (!fs.existsSync(d)) return [];
    return fs.readdirSync(d, { withFileTypes: true }).filter((e) => e.name.endsWith('.json') && !leadsOutside(this.dir, path.join(d, e.name), e)).map((e) => e.name.slice(0, -5)).sort();
  }
  /** Removes links/NAME (recursively; a symlink there is refused if it leads outside, and only unlinked otherwise). */
  async deleteLinkCredentials(name: string): Promise<void> { await removeDurable(this.linkDir(name)); }

  /** Every stored resource of a kind, raw (validated by the caller at the edge); a symlink that leads outside the directory is not read. */
  list(kind: ResourceKind): unknown[] {
    if (!RESOURCE_KINDS.includes(kind)) throw new Error(`unknown resource kind ${JSON.stringify(kind)}`);
    const d = this.p('resources', kind);
    if (!fs.existsSync(d)) return [];
    return fs.readdirSync(d, { withFileTypes: true }).filter((e) => e.name.endsWith('.json') && !leadsOutside(this.dir, path.join(d, e.name), e))
      .map((e) => e.name).sort().map((f) => JSON.parse(fs.readFileSync(path.join(d, f), 'utf8')));
  }

  get(kind: ResourceKind, name: string): unknown | undefined {
    const f = this.resourceFile(kind, name);
    return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, 'utf8')) : undefined;
  }

  /** Stores a resource with a fresh metadata.resourceVersion (every writer gets one); returns the version. */
  async put(kind: ResourceKind, name: string, doc: unknown): Promise<string> {
    const op = stamp(kind, name, doc);
    await this.perform(op);
    return op.version;
  }

  /**
   * Writes several resources (and the site settings) as one: all or none survive a crash. The
   * batch is journalled durably first, then written file by file, then the journal is removed;
   * `recover()` finishes a journal a crash left behind. Returns the new version of each put.
   */
  async commit(ops: BatchOp[]): Promise<string[]> {
    for (const o of ops) if (!('config' in o)) this.resourceFile(o.kind, o.name); // a bad name refuses the whole batch before the journal
    const stamped: StampedOp[] = ops.map((o) => ('doc' in o ? stamp(o.kind, o.name, o.doc) : o));
    if (stamped.length > 1) await writeFileAtomicAsync(this.p(JOURNAL), JSON.stringify(stamped) + '\n', 0o600);
    for (const op of stamped) await this.perform(op);
    if (stamped.length > 1) await removeDurable(this.p(JOURNAL));
    return stamped.map((o) => ('version' in o ? o.version : ''));
  }

  /** Finishes a batch a crash interrupted (see commit); true when there was one. */
  async recover(): Promise<boolean> {
    const text = fs.existsSync(this.p(JOURNAL)) ? fs.readFileSync(this.p(JOURNAL), 'utf8') : undefined;
    if (text === undefined) return false;
    let ops: StampedOp[];
    // A journal is renamed into place whole, so a torn one cannot exist; an unreadable one is not ours to guess at.
    try { ops = JSON.parse(text) as StampedOp[]; } catch { throw new Error(`${this.p(JOURNAL)} is unreadable; move it away to start (the last change may be half applied)`); }
    for (const op of ops) await this.perform(op);
    await removeDurable(this.p(JOURNAL));
    return true;
  }

  private async perform(op: StampedOp): Promise<void> {
    if ('config' in op) return this.writeConfig(op.config);
    if ('remove' in op) { await this.delete(op.kind, op.name); return; }
    const secret = op.kind === 'AccessGrant' || op.kind === 'AccessToken';
    await writeFileAtomicAsync(this.resourceFile(op.kind, op.name), JSON.stringify(op.doc, null, 2) + '\n', secret ? 0o600 : 0o644);
  }

  /** Deletes a resource; false when there was none. */
  async delete(kind: ResourceKind, name: string): Promise<boolean> { return removeDurable(this.resourceFile(kind, name)); }

  /** The running site's last report, or undefined when it is not running. */
  readRuntimeStatus(): RuntimeStatus | undefined {
    const f = this.p('run', 'status.json');
    if (!fs.existsSync(f)) return undefined;
    const s = JSON.parse(fs.readFileSync(f, 'utf8')) as RuntimeStatus;
    if (!isAlive(s.pid)) return undefined;
    return s;
  }
  /** Published twice a second by the running site: atomic, but not fsynced (it is rebuilt at every start). */
  writeRuntimeStatus(s: RuntimeStatus): Promise<void> { return writeFileAtomicAsync(this.p('run', 'status.json'), JSON.stringify(s, null, 2) + '\n', 0o644, false); }
  clearRuntimeStatus(): void { fs.rmSync(this.p('run', 'status.json'), { force: true }); }

  /** Marks a site process between `site run` and its first status: it has read (or is about to read) the
   *  stored resources, so a CLI must wait for its API rather than write behind its back. */
  markStarting(pid: number): void { writeFileAtomic(this.p('run', 'starting.json'), JSON.stringify({ pid }) + '\n', 0o644, false); }
  clearStarting(): void { fs.rmSync(this.p('run', 'starting.json'), { force: true }); }
  /** The pid of a site process that is starting, or undefined (none, or it died while starting). */
  startingPid(): number | undefined {
    try {
      const { pid } = JSON.parse(fs.readFileSync(this.p('run', 'starting.json'), 'utf8')) as { pid: number };
      return isAlive(pid) ? pid : undefined;
    } catch { return undefined; }
  }
}

/** One data-plane engine of a site that runs several (`--dataplane-workers`): control/engine/engine-pool.ts. */
export interface WorkerSummary { worker: number; node: string; pid?: number; state: string; restarts: number; memory?: { rss: number; heapUsed: number }; flowsActive: number; flowsOpened: number; links: number; listenersReady: number }

/** What a running site publishes about itself (status commands and the console read it). */
export interface RuntimeStatus {
  pid: number;
  updatedAt: string;
  /** the data-plane engine process (control/engine/engine-host.ts): pid, restarts, memory, its event loop */
  engine?: { pid?: number; state: string; restarts: number; lastExit?: { code: number | null; signal: string | null; at: string }; memory?: { rss: number; heapUsed: number }; eventLoop?: { stalls: number; longestMs: number }; workers?: WorkerSummary[] };
  site: { id: string; name: string; linkPort?: number; consolePort?: number; consoleUrl?: string };
  links: { name: string; direction: 'outbound' | 'inbound'; status: string; message: string; peer?: string; cost?: number; bytesIn?: number; bytesOut?: number }[];
  listeners: { name: string; routingKey: string; port: number; status: string; message: string; flowsActive: number; flowsOpened: number }[];
  connectors: { name: string; routingKey: string; host: string; port: number; ready: boolean; message: string; flowsActive: number; flowsOpened: number }[];
  /** PKI counters (refusals by code, renewals), certificate dates and policy: control/pki/site-pki.ts */
  security?: Record<string, unknown>;
  network: { sites: { id: string; name: string; cost: number | null; links: { peer: string; cost: number }[]; keys: string[] }[] };
  /** pushes to data-plane nodes (in-process and routers): versions sent and acked, refusals (control/xds/) */
  xds?: { nacks: number; nodes: unknown[] };
  /** times this process's event loop was blocked for STALL_WARN_MS or more, and the longest (control/stall-watch.ts) */
  eventLoop?: { stalls: number; longestMs: number };
}

/** True for a directory entry that is a symlink resolving outside `root` (plain files are not checked: no syscall per file). */
function leadsOutside(root: string, file: string, e: fs.Dirent): boolean {
  if (!e.isSymbolicLink()) return false;
  try { assertInside(root, file); return false; } catch { return true; }
}

function isAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}
