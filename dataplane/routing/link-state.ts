// The link-state database: our own record plus the newest record of every other site.
// Pure: the data plane feeds it records and floods whatever it says changed.
import type { SiteRecord, SiteLinkEntry } from './site-record.js';

export class LinkStateDb {
  private readonly records = new Map<string, SiteRecord>();
  private counter = 0;
  private readonly epoch = Date.now() * 1000;

  constructor(private readonly selfId: string, private readonly selfName: string) {
    this.records.set(selfId, { id: selfId, name: selfName, seq: this.nextSeq(), links: [], keys: [] });
  }

  private nextSeq(): number { return this.epoch + ++this.counter; }

  get self(): SiteRecord { return this.records.get(this.selfId)!; }
  get all(): ReadonlyMap<string, SiteRecord> { return this.records; }

  /** Replaces our own record if links or keys changed; returns it when it did. */
  updateSelf(links: SiteLinkEntry[], keys: string[]): SiteRecord | null {
    const cur = this.self;
    const sortedLinks = [...links].sort((a, b) => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : a.cost - b.cost));
    const sortedKeys = [...new Set(keys)].sort();
    if (JSON.stringify(sortedLinks) === JSON.stringify(cur.links) && JSON.stringify(sortedKeys) === JSON.stringify(cur.keys)) return null;
    const rec = { id: this.selfId, name: this.selfName, seq: this.nextSeq(), links: sortedLinks, keys: sortedKeys };
    this.records.set(this.selfId, rec);
    return rec;
  }

  /** Takes a peer's record if it is newer than what we hold; true when it changed the database. */
  apply(rec: SiteRecord): boolean {
    if (rec.id === this.selfId) return false;
    const cur = this.records.get(rec.id);
    if (cur && cur.seq >= rec.seq) return false;
    this.records.set(rec.id, rec);
    return true;
  }
}
