/** @module The bundled Worker in Miniflare (workerd), pointed at a bridge. */
import { dirname } from "node:path";
import { Miniflare } from "miniflare";
import { inject } from "vitest";

export type WorkerBindings = Record<string, string>;

/**
 * Runs `dist/index.js` as built by wrangler. Bindings default to the shared bridge;
 * pass `UPSTASH_REDIS_REST_URL` etc. to override, `undefined` values are dropped.
 */
export async function startWorker(
  bindings: Record<string, string | undefined> = {},
  /** Collects the Worker's stdout/stderr lines (its structured logs) when given. */
  logs?: string[],
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
  const mf = new Miniflare({
    modules: true,
    scriptPath: inject("workerScript"),
    // The bundle lives in a temp dir; workerd refuses module paths that climb out of root.
    modulesRoot: dirname(inject("workerScript")),
    compatibilityDate: "2026-04-20",
    bindings: merged,
    ...(logs && {
      handleRuntimeStdio(stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) {
        for (const stream of [stdout, stderr]) {
          stream.on("data", (chunk: Buffer) =>
            logs.push(...chunk.toString().split("\n").filter(Boolean)),
          );
        }
      },
    }),
  });
  await mf.ready;
  return mf;
}
