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
    /** Cloudflare's "Get started" Worker for Queues (test/worker/fixtures/cf-get-started.ts). */
    cfGetStartedScript: string;
    /** create-cloudflare's `queues` template (test/worker/fixtures/cf-queues-template.ts). */
    cfQueuesTemplateScript: string;
    /** Cloudflare's batching and retries page (test/worker/fixtures/cf-batching-retries.ts). */
    cfBatchingRetriesScript: string;
    /** Cloudflare's rate-limit tutorial Worker (test/worker/fixtures/cf-rate-limit.ts). */
    cfRateLimitScript: string;
  }
}

export default async function setup(project: TestProject) {
  const redis = await findRedis();
  const workerScript = buildWorker(WORKER_ENTRY);
  const streamsWorkerScript = buildWorker(STREAMS_WORKER_ENTRY);
  const queueWorkerScript = buildWorker(QUEUE_WORKER_ENTRY);
  const cfGetStartedScript = buildWorker(CF_GET_STARTED_ENTRY);
  const cfQueuesTemplateScript = buildWorker(CF_QUEUES_TEMPLATE_ENTRY);
  const cfBatchingRetriesScript = buildWorker(CF_BATCHING_RETRIES_ENTRY);
  const cfRateLimitScript = buildWorker(CF_RATE_LIMIT_ENTRY);
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
  project.provide("cfGetStartedScript", cfGetStartedScript);
  project.provide("cfQueuesTemplateScript", cfQueuesTemplateScript);
  project.provide("cfBatchingRetriesScript", cfBatchingRetriesScript);
  project.provide("cfRateLimitScript", cfRateLimitScript);
  return async () => {
    await bridge.close();
    await redis.stop();
    for (const script of [
      workerScript,
      streamsWorkerScript,
      queueWorkerScript,
      cfGetStartedScript,
      cfQueuesTemplateScript,
      cfBatchingRetriesScript,
      cfRateLimitScript,
    ]) {
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

/** Cloudflare's own Queues examples, each unchanged behind `createWorker({ queue })`. */
const CF_GET_STARTED_ENTRY = "test/worker/fixtures/cf-get-started.ts";
const CF_QUEUES_TEMPLATE_ENTRY = "test/worker/fixtures/cf-queues-template.ts";
const CF_BATCHING_RETRIES_ENTRY = "test/worker/fixtures/cf-batching-retries.ts";
const CF_RATE_LIMIT_ENTRY = "test/worker/fixtures/cf-rate-limit.ts";

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
