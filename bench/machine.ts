// The machine a run happened on, for the report: cores, CPU model, memory, kernel, Node, load.
import os from 'node:os';

/** What the report says about the machine. */
export interface Machine { cores: number; cpu: string; memoryGiB: number; kernel: string; node: string; loadAtStart: number[] }

/** Describes this machine now. */
export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
