/** @module The machine, the versions and the commit a load run was measured on. */
import { gitCommit, type Machine, machineInfo, versionOf } from "../machine";

export type LoadMeta = {
  date: string;
  commit: string;
  machine: Machine;
  node: string;
  redis: string;
  versions: Record<string, string>;
  totalSeconds: number;
};

/** Everything but `totalSeconds`, which the caller sets at the end. */
export function describeRun(redisVersion: string): LoadMeta {
  return {
    date: new Date().toISOString(),
    commit: gitCommit(),
    machine: machineInfo(),
    node: process.version,
    redis: redisVersion,
    versions: Object.fromEntries(
      ["@upstash/redis", "miniflare", "wrangler", "tsx"].map((n) => [n, versionOf(n)]),
    ),
    totalSeconds: 0,
  };
}
