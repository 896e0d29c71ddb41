// A Prometheus histogram fed with bucket counts made elsewhere: the engine counts each observed HTTP
// request into common/request-seconds.ts's buckets and sends the counts, so this process adds a few
// numbers per batch instead of observing every request (issue 13's cost bound). prom-client's
// Histogram can only observe one value at a time, so this one keeps its own series and renders
// them as Histogram does (cumulative `_bucket` lines with `le`, then `_sum` and `_count`).
import { Histogram, type MetricObjectWithValues, type MetricValueWithName, type Registry } from 'prom-client';

interface Series { labels: Record<string, string>; buckets: number[]; sum: number; count: number }

export class BucketedHistogram<T extends string> extends Histogram<T> {
  private readonly series = new Map<string, Series>();

  constructor(private readonly o: { name: string; help: string; labelNames: readonly T[]; bounds: readonly number[]; registers: Registry[] }) {
    super({ name: o.name, help: o.help, labelNames: o.labelNames, buckets: [...o.bounds], registers: o.registers });
  }

  /** Adds `counts` (one per bound, the last above the largest) whose values sum to `sum`. */
  add(labels: Record<T, string>, counts: readonly number[], sum: number): void {
    if (counts.length !== this.o.bounds.length + 1) throw new Error(`${this.o.name}: ${counts.length} bucket counts for ${this.o.bounds.length} bounds`);
    const k = this.o.labelNames.map((n) => labels[n]).join('\u0000');
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { labels: { ...labels }, buckets: new Array<number>(counts.length).fill(0), sum: 0, count: 0 }));
    for (let i = 0; i < counts.length; i++) { s.buckets[i] += counts[i]; s.count += counts[i]; }
    s.sum += sum;
  }

  /** The series in the form the registry writes: `le` first, then the series' own labels (as Histogram writes them). */
  async getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<T>>> {
    const values: (MetricValueWithName<T> & { sharedLabels: Record<string, string> })[] = [];
    const line = (suffix: string, labels: object, value: number, shared: Record<string, string>) =>
      values.push({ metricName: `${this.o.name}${suffix}`, labels: labels as never, sharedLabels: shared, value });
    for (const s of this.series.values()) {
      let acc = 0;
      this.o.bounds.forEach((le, i) => { acc += s.buckets[i]; line('_bucket', { le }, acc, s.labels); });
      line('_bucket', { le: '+Inf' }, s.count, s.labels);
      line('_sum', {}, s.sum, s.labels);
      line('_count', {}, s.count, s.labels);
    }
    return { name: this.o.name, help: this.o.help, type: 'histogram' as never, values, aggregator: 'sum', collect: () => {} };
  }

  /** The same with each line's labels in one object (prom-client's JSON form). */
  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<T>>> {
    const m = await this.getForPromString();
    m.values = m.values.map((v) => { const { sharedLabels, ...rest } = v as typeof v & { sharedLabels: object }; return { ...rest, labels: { ...v.labels, ...sharedLabels } }; });
    return m;
  }

  /** Histogram's constructor calls it before this class's fields exist. */
  override reset(): void { this.series?.clear(); }
}
