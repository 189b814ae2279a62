/** @module The bundled Worker in Miniflare (workerd), pointed at a bridge. */
import { dirname } from "node:path";
import { Miniflare } from "miniflare";
import { inject } from "vitest";

export type WorkerBindings = Record<string, string>;

/** The Worker's name in wrangler.toml: what its `SELF` service binding points at. */
export const WORKER_NAME = "redis-streams-worker";

export type WorkerOptions = {
  /**
   * Binds the Worker to itself as `SELF`, as wrangler.toml's `[[services]]` does, so a drain
   * that falls behind starts more drains through `POST /internal/drain`. @default false
   */
  self?: boolean;
  /** The bundle to run. @default the project's own Worker (`inject("workerScript")`) */
  script?: string;
  /**
   * Collects the lines the Worker wrote to stderr (its error-level logs, `console.error`)
   * apart, besides `logs`, which holds every line.
   */
  errors?: string[];
};

/**
 * Runs `dist/index.js` as built by wrangler. Bindings default to the shared bridge;
 * pass `UPSTASH_REDIS_REST_URL` etc. to override, `undefined` values are dropped.
 */
export async function startWorker(
  bindings: Record<string, string | undefined> = {},
  /** Collects the Worker's stdout/stderr lines (its structured logs) when given. */
  logs?: string[],
  options: WorkerOptions = {},
): Promise<Miniflare> {
  const merged: WorkerBindings = {};
  const all = {
    UPSTASH_REDIS_REST_URL: inject("bridgeUrl"),
    UPSTASH_REDIS_REST_TOKEN: inject("bridgeToken"),
    ...bindings,
  };
  for (const [k, v] of Object.entries(all)) {
    if (v !== undefined) {
      merged[k] = v;
    }
  }
  const script = options.script ?? inject("workerScript");
  const mf = new Miniflare({
    modules: true,
    scriptPath: script,
    // The bundle lives in a temp dir; workerd refuses module paths that climb out of root.
    modulesRoot: dirname(script),
    compatibilityDate: "2026-04-20",
    bindings: merged,
    ...(options.self === true && {
      name: WORKER_NAME,
      serviceBindings: { SELF: WORKER_NAME },
    }),
    ...(logs && {
      handleRuntimeStdio(stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) {
        for (const stream of [stdout, stderr]) {
          stream.on("data", (chunk: Buffer) => {
            const lines = chunk.toString().split("\n").filter(Boolean);
            logs.push(...lines);
            if (stream === stderr) {
              options.errors?.push(...lines);
            }
          });
        }
      },
    }),
  });
  await mf.ready;
  return mf;
}

/**
 * Variables of a Worker whose ticks the test fires itself: a new group takes the whole
 * stream, each drain tick is one bounded drain, and the sweep may retry after 1 s idle.
 */
export const TICK_VARS = {
  GROUP_START_ID: "0",
  DRAIN_MODE: "cron",
  MIN_IDLE_MS: "1000",
  RETRY_BACKOFF: "fixed",
} as const;
