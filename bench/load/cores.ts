/** @module How many cores a process kept busy between two readings of its CPU time. */

/** CPU time this process has used so far (user + system, ms). */
export function ownCpuMs(): number {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
}

/** Cores busy between readings: CPU ms used over wall ms passed. */
export class CoreMeter {
  private lastCpu: number | null;
  private lastAt = performance.now();

  /** `read` returns the CPU ms used so far, or null when it cannot be read. */
  constructor(private readonly read: () => number | null) {
    this.lastCpu = read();
  }

  /** Cores busy since the previous call (or since the meter was made); null if unreadable. */
  next(): number | null {
    const cpu = this.read();
    const at = performance.now();
    const cores =
      cpu === null || this.lastCpu === null || at === this.lastAt
        ? null
        : (cpu - this.lastCpu) / (at - this.lastAt);
    this.lastCpu = cpu;
    this.lastAt = at;
    return cores;
  }
}
