/** @module What a benchmark ran on: the machine, package versions and the commit measured. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, freemem, platform, release, totalmem } from "node:os";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

export type Machine = {
  cpu: string;
  cores: number;
  memoryGiB: number;
  freeMemoryGiB: number;
  os: string;
};

/** The CPU model and count, memory and OS of this machine. */
export function machineInfo(): Machine {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? "unknown",
    cores: cpu.length,
    memoryGiB: Number((totalmem() / 1024 ** 3).toFixed(1)),
    freeMemoryGiB: Number((freemem() / 1024 ** 3).toFixed(1)),
    os: `${platform()} ${release()}`,
  };
}

/** The installed version of a package, by its path under node_modules. */
export function versionOf(path: string): string {
  const file = `${root}node_modules/${path}/package.json`;
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version.replace(/^v/, "");
}

/** HEAD, and whether src/ had uncommitted changes when the run started (they were measured). */
export function gitCommit(): string {
  try {
    const git = (...args: string[]) => execFileSync("git", args, { cwd: root, encoding: "utf8" });
    const head = git("rev-parse", "--short", "HEAD").trim();
    const dirty = git("status", "--porcelain", "--", "src").trim() !== "";
    return dirty ? `${head} + uncommitted changes in src/` : head;
  } catch {
    return "unknown";
  }
}
