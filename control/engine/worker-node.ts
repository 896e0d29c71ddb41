// Who engine worker k of a site is on the network: worker 1 is the site itself (a single-engine
// site is unchanged), worker k ≥ 2 the node "<site id>/worker-k", named "<site>/worker-k" — the
// sub-id form router replicas use, proven with the same site identity key.
import type { EngineInit } from '../../dataplane/port/report.js';

/** The most engines a site runs: each one dials every link with the site's one certificate, and a link port holds at most LINKS_PER_CERT (4) links per certificate. */
export const MAX_WORKERS = 4;

/** The node suffix of worker `k` (1-based): '' for worker 1. */
export function workerSuffix(k: number): string { return k === 1 ? '' : `/worker-${k}`; }

/** The init of worker `k` from the site's init. */
export function workerInit(init: EngineInit, k: number): EngineInit {
  if (k === 1) return init;
  const suffix = workerSuffix(k);
  return { ...init, siteId: init.siteId + suffix, siteName: init.siteName + suffix };
}

/** Whether a router replica name would collide with a worker node id. */
export function isWorkerName(name: string): boolean { return /^worker-\d+$/.test(name); }
