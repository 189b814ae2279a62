/**
 * @module The Worker under load: bundled exactly as `wrangler deploy` would, run in Miniflare
 * (workerd) with the bindings of one run; its log lines are counted by event.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** The Worker's name in wrangler.toml: what a `SELF` service binding points at. */
const WORKER_NAME = "redis-streams-worker";

/** Bundles src/index.ts with `wrangler deploy --dry-run`; returns the script and a cleanup. */
export function bundleWorker(): { script: string; remove(): void } {
  const outdir = mkdtempSync(join(tmpdir(), "rsw-load-worker-"));
  execFileSync("npx", ["wrangler", "deploy", "src/index.ts", "--dry-run", "--outdir", outdir], {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true" },
    stdio: "pipe",
  });
  return {
    script: join(outdir, "index.js"),
    remove: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/**
 * Whether the Worker has the route a `SELF` binding starts extra drains with; without the
 * route, the fan-out mode runs without the binding and its extra drains run in-process.
 */
export function hasInternalDrainRoute(): boolean {
  return existsSync(join(root, "src/handlers/internal.ts"));
}

/** What the Worker logged during a run, counted by event, and its drain reports. */
export type WorkerLog = {
  events: Record<string, number>;
  /** The `drain` lines: one per drain that ended, with its report. */
  drains: Record<string, unknown>[];
  /** Lines that were not JSON (stack traces, workerd's own notes), the first few kept. */
  other: string[];
};

export type LoadWorker = {
  mf: Miniflare;
  /** Where Miniflare listens (for `POST /publish`). */
  url: string;
  log: WorkerLog;
  dispose(): Promise<void>;
};

const OTHER_KEPT = 20;

/** Starts the bundled Worker with `bindings`; `self` adds a `SELF` service binding to itself. */
export async function startLoadWorker(
  script: string,
  bindings: Record<string, string>,
  self: boolean,
): Promise<LoadWorker> {
  const log: WorkerLog = { events: {}, drains: [], other: [] };
  const take = (line: string) => {
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      const event = String(entry.event ?? "unknown");
      log.events[event] = (log.events[event] ?? 0) + 1;
      if (event === "drain") {
        log.drains.push(entry);
      }
    } catch {
      if (log.other.length < OTHER_KEPT) {
        log.other.push(line.slice(0, 300));
      }
    }
  };
  const mf = new Miniflare({
    name: WORKER_NAME,
    modules: true,
    scriptPath: script,
    // The bundle lives in a temp dir; workerd refuses module paths that climb out of root.
    modulesRoot: dirname(script),
    compatibilityDate: "2026-04-20",
    bindings,
    ...(self ? { serviceBindings: { SELF: WORKER_NAME } } : {}),
    handleRuntimeStdio(stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) {
      for (const stream of [stdout, stderr]) {
        let rest = "";
        stream.on("data", (chunk: Buffer) => {
          const lines = (rest + chunk.toString()).split("\n");
          rest = lines.pop() ?? "";
          for (const line of lines) {
            if (line.trim() !== "") {
              take(line.trim());
            }
          }
        });
      }
    },
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  return { mf, url, log, dispose: () => mf.dispose() };
}
