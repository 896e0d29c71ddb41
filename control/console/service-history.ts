// The last 15 minutes of each service across the network, for the console's charts: the network-wide
// totals of each routing key (control/console/traffic-view.ts) sampled at each traffic report, turned
// into rates between samples. Pure: time comes in with each sample. Bounded in keys and samples.
import type { NetworkTraffic, ServiceTraffic } from './traffic-view.js';
import type { HttpStatusClass } from '../../dataplane/port/traffic.js';

/** How far back the charts go. */
export const HISTORY_WINDOW_MS = 15 * 60_000;
/** Samples kept per key (a report every 5 s fills 15 min with 180; several engines report more often). */
export const HISTORY_MAX_SAMPLES = 450;
/** Keys kept; the one seen longest ago goes first (a summary holds at most 1,024 key rows). */
export const HISTORY_MAX_KEYS = 1024;
/** A sample closer than this to the previous one is skipped (several engines report at once; totals are cumulative, so nothing is lost). */
const MIN_GAP_MS = 1000;

interface Sample { t: number; opened: number; failed: number; toServer: number; toClient: number; p50: number; p99: number; stale: boolean; requests?: Record<HttpStatusClass, number> }

/** One point of a chart: rates over the interval that ends at `t`, latency as last summarised. */
export interface HistoryPoint {
  t: number;
  flowsPerS: number;
  failedPerS: number;
  bytesToServerPerS: number;
  bytesToClientPerS: number;
  /** time to first byte at the connector sites, ms; -1 when no flow has one */
  ttfbP50Ms: number;
  ttfbP99Ms: number;
  /** some sites that carry the key were stale at that time */
  stale: boolean;
  /** HTTP requests per second by status class, when the key's requests are observed (http1 listeners) */
  requestsPerS?: Record<HttpStatusClass, number>;
}

export interface ServiceSeries { key: string; windowMs: number; points: HistoryPoint[] }

/** A counter's increase; a decrease is a restart (an engine's totals began again), as Prometheus' rate() reads it. */
const increase = (now: number, before: number) => (now >= before ? now - before : now);

/** Each status class's rate between two samples (a class missing before counts from zero). */
function perSecond(now: Record<HttpStatusClass, number>, before: Record<HttpStatusClass, number> | undefined, dt: number): Record<HttpStatusClass, number> {
  const out = {} as Record<HttpStatusClass, number>;
  for (const c of Object.keys(now) as HttpStatusClass[]) out[c] = increase(now[c], before?.[c] ?? 0) / dt;
  return out;
}

export class ServiceHistory {
  /** key → samples, oldest first; Map order is the order keys were last seen */
  private readonly byKey = new Map<string, Sample[]>();

  /** Adds the network's totals of each key at time `now`. */
  record(traffic: NetworkTraffic, now: number): void {
    // More keys than the bound in one view: the first in name order are kept, the same ones each
    // time (evicting by age would then drop every key in turn and keep none long enough to chart).
    const services = traffic.services.length > HISTORY_MAX_KEYS ? [...traffic.services].sort((a, b) => (a.key < b.key ? -1 : 1)).slice(0, HISTORY_MAX_KEYS) : traffic.services;
    for (const s of services) this.add(s, now);
    while (this.byKey.size > HISTORY_MAX_KEYS) this.byKey.delete(this.byKey.keys().next().value!);
    for (const [key, samples] of this.byKey) {
      while (samples.length && samples[0].t < now - HISTORY_WINDOW_MS) samples.shift();
      if (!samples.length) this.byKey.delete(key);
    }
  }

  /** Keys with at least two samples (so a rate), in name order. */
  keys(): string[] { return [...this.byKey].filter(([, s]) => s.length > 1).map(([k]) => k).sort(); }

  /** The chart points of `key` (empty when unknown). */
  series(key: string): ServiceSeries {
    const s = this.byKey.get(key) ?? [];
    const points: HistoryPoint[] = [];
    for (let i = 1; i < s.length; i++) {
      const a = s[i - 1], b = s[i], dt = (b.t - a.t) / 1000;
      points.push({
        t: b.t, flowsPerS: increase(b.opened, a.opened) / dt, failedPerS: increase(b.failed, a.failed) / dt,
        bytesToServerPerS: increase(b.toServer, a.toServer) / dt, bytesToClientPerS: increase(b.toClient, a.toClient) / dt,
        ttfbP50Ms: b.p50, ttfbP99Ms: b.p99, stale: b.stale,
        ...(b.requests ? { requestsPerS: perSecond(b.requests, a.requests, dt) } : {}),
      });
    }
    return { key, windowMs: HISTORY_WINDOW_MS, points };
  }

  private add(s: ServiceTraffic, now: number): void {
    const sample: Sample = { t: now, opened: s.opened, failed: s.failed, toServer: s.bytesToServer, toClient: s.bytesToClient, p50: s.ttfbP50Ms, p99: s.ttfbP99Ms, stale: s.stale, ...(s.requests ? { requests: { ...s.requests } } : {}) };
    let samples = this.byKey.get(s.key);
    if (samples) this.byKey.delete(s.key); // re-inserted below: the most recently seen key is last
    else samples = [];
    const last = samples[samples.length - 1];
    if (!last || now - last.t >= MIN_GAP_MS) samples.push(sample);
    if (samples.length > HISTORY_MAX_SAMPLES) samples.shift();
    this.byKey.set(s.key, samples);
  }
}
