/**
 * @module Vitest global setup: a Redis and one shared bridge in front of it, with the
 * `upstash` profile so the suites meet the limits a deployed Worker meets.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { TestProject } from "vitest/node";
import { startBridge } from "../../dev/bridge/server";
import { findRedis } from "./find-redis";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
    bridgeUrl: string;
    bridgeToken: string;
    workerScript: string;
    /** The test Worker with a handler per stream (test/worker/fixtures/streams-worker.ts). */
    streamsWorkerScript: string;
    /** The test Worker with a Queues consumer (test/worker/fixtures/queue-worker.ts). */
    queueWorkerScript: string;
  }
}

export default async function setup(project: TestProject) {
  const redis = await findRedis();
  const workerScript = buildWorker(WORKER_ENTRY);
  const streamsWorkerScript = buildWorker(STREAMS_WORKER_ENTRY);
  const queueWorkerScript = buildWorker(QUEUE_WORKER_ENTRY);
  const token = randomBytes(16).toString("hex");
  const bridge = await startBridge({
    redisUrl: redis.url,
    token,
    port: 0,
    profile: "upstash",
    log: () => {},
  });
  project.provide("redisUrl", redis.url);
  project.provide("bridgeUrl", bridge.url);
  project.provide("bridgeToken", token);
  project.provide("workerScript", workerScript);
  project.provide("streamsWorkerScript", streamsWorkerScript);
  project.provide("queueWorkerScript", queueWorkerScript);
  return async () => {
    await bridge.close();
    await redis.stop();
    for (const script of [workerScript, streamsWorkerScript, queueWorkerScript]) {
      rmSync(join(script, ".."), { recursive: true, force: true });
    }
  };
}

/** The project's own Worker entry, whatever `main` in wrangler.toml points at. */
const WORKER_ENTRY = "src/index.ts";

/** A Worker built with `createWorker({ handlers })`, a handler per stream. */
const STREAMS_WORKER_ENTRY = "test/worker/fixtures/streams-worker.ts";

/** A Worker built with `createWorker({ queue })`, a Cloudflare Queues consumer. */
const QUEUE_WORKER_ENTRY = "test/worker/fixtures/queue-worker.ts";

/** Bundles a Worker exactly as `wrangler deploy` would, once per test run. */
function buildWorker(entry: string): string {
  const outdir = mkdtempSync(join(tmpdir(), "rsw-worker-"));
  execFileSync("npx", ["wrangler", "deploy", entry, "--dry-run", "--outdir", outdir], {
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true" },
    stdio: "pipe",
  });
  // wrangler names the bundle after its entry: src/index.ts → index.js.
  return join(outdir, `${basename(entry, ".ts")}.js`);
}
