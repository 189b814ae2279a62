/** @module The machine, the versions and the commit a load run was measured on. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, freemem, platform, release, totalmem } from "node:os";
import { fileURLToPath } from "node:url";

export type LoadMeta = {
  date: string;
  commit: string;
  machine: { cpu: string; cores: number; memoryGiB: number; freeMemoryGiB: number; os: string };
  node: string;
  redis: string;
  versions: Record<string, string>;
  totalSeconds: number;
};

const root = fileURLToPath(new URL("../..", import.meta.url));

function versionOf(name: string): string {
  const file = `${root}node_modules/${name}/package.json`;
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

/** HEAD, and whether src/ had uncommitted changes when the run started (they were measured). */
function gitCommit(): string {
  try {
    const git = (...args: string[]) => execFileSync("git", args, { cwd: root, encoding: "utf8" });
    const head = git("rev-parse", "--short", "HEAD").trim();
    const dirty = git("status", "--porcelain", "--", "src").trim() !== "";
    return dirty ? `${head} + uncommitted changes in src/` : head;
  } catch {
    return "unknown";
  }
}

/** Everything but `totalSeconds`, which the caller sets at the end. */
export function describeRun(redisVersion: string): LoadMeta {
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    commit: gitCommit(),
    machine: {
      cpu: cpu[0]?.model ?? "unknown",
      cores: cpu.length,
      memoryGiB: Number((totalmem() / 1024 ** 3).toFixed(1)),
      freeMemoryGiB: Number((freemem() / 1024 ** 3).toFixed(1)),
      os: `${platform()} ${release()}`,
    },
    node: process.version,
    redis: redisVersion,
    versions: Object.fromEntries(
      ["@upstash/redis", "miniflare", "wrangler", "tsx"].map((n) => [n, versionOf(n)]),
    ),
    totalSeconds: 0,
  };
}
