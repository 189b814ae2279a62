/**
 * @module The Worker bundled exactly as `wrangler deploy` would, run in Miniflare (workerd):
 * what the multi-stream demo and the benchmarks run, its log lines handed over one by one.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

const root = fileURLToPath(new URL("..", import.meta.url));

/** The Worker's name in wrangler.toml: what a `SELF` service binding points at. */
export const WORKER_NAME = "redis-streams-worker";

/** Bundles src/index.ts with `wrangler deploy --dry-run`; returns the script and a cleanup. */
export function bundleWorker(): { script: string; remove(): void } {
  const outdir = mkdtempSync(join(tmpdir(), "rsw-worker-bundle-"));
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
 * Runs the bundle with `bindings`; each whole line the Worker prints (stdout or stderr, its
 * structured logs among them) goes to `onLine`, trimmed, empty ones left out. `self` adds a
 * `SELF` service binding to itself, as wrangler.toml's `[[services]]` does.
 */
export async function runWorker(
  script: string,
  bindings: Record<string, string>,
  onLine: (line: string) => void,
  self = false,
): Promise<Miniflare> {
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
              onLine(line.trim());
            }
          }
        });
      }
    },
  });
  await mf.ready;
  return mf;
}

/** An `onLine` that keeps the JSON lines in `into`, skipping workerd's own notes. */
export function jsonLines(into: Record<string, unknown>[]): (line: string) => void {
  return (line) => {
    try {
      into.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // workerd's own notes: not the Worker's structured logs.
    }
  };
}
