// Starts engine processes as workers of Node's cluster module (round-robin), used when a site runs
// several engines: a port they all listen on is bound once here and each accepted connection is
// handed, as a handle, to the next free worker, so the bytes never pass this process. Why not the
// listening handle in every worker: docs/architecture.md "Several engines".
import cluster from 'node:cluster';
import type { ChildProcess } from 'node:child_process';
import type { EngineSpawn } from './engine-host.js';

/** Forks `main` as a cluster worker; every engine of this process shares its listening ports. */
export const clusterSpawn: EngineSpawn = (main, execArgv) => {
  // Global and frozen at the first fork: round-robin whatever NODE_CLUSTER_SCHED_POLICY says.
  cluster.schedulingPolicy = cluster.SCHED_RR;
  cluster.setupPrimary({ exec: main, args: [], execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return cluster.fork().process as ChildProcess;
};
