// The data plane goes first when a site's processes compete for CPU: the control process lowers its
// main thread's priority once its engines are forked, so signing or a burst of API calls cannot
// delay a round trip, and an engine that inherits the lowered priority (one restarted later, forked
// from that thread) raises itself back where the system allows it (root, CAP_SYS_NICE, RLIMIT_NICE).
import os from 'node:os';

/** The nice value of a running site's control process (engines run at 0). */
export const CONTROL_NICE = 5;

/** The calling thread's nice value (Linux: setpriority(PRIO_PROCESS, 0) is per thread). */
export const ownNice = (): number => os.getPriority(0);

/** Sets the calling thread's nice value; false when the system refuses (raising needs privilege). */
export function setOwnNice(nice: number): boolean {
  try { os.setPriority(0, nice); return true; } catch { return false; }
}
