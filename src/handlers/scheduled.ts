/** @module Cron dispatch: `controller.cron` picks the job(s); unknown crons are logged and ignored. */
import {
  ConfigError,
  cronConsumerName,
  type MessageHandler,
  parseStreamConfigs,
  type ResolvedConfig,
} from "../lib/index";
import { redisFor } from "./client";
import { startFanOut } from "./fanout";
import { runContinuousDrain, runDrain, runSweep } from "./jobs";
import { log, logError } from "./log";
import { type HandlerOptions, handlersOf } from "./streams";
import { drainStreams, type StreamJob, sweepStreams } from "./tick";

export type ScheduledOptions = HandlerOptions;

/**
 * The Worker's `scheduled` entry. CONSUME_CRON drains, SWEEP_CRON sweeps, a cron listed
 * for both drains first. With DRAIN_MODE=continuous the drain polls for up to CRON_BUDGET_MS
 * and holds a slot of the drain table once it has read something; with DRAIN_MODE=cron it is
 * one bounded drain (TIME_BUDGET_MS) that takes no slot. With several streams (STREAMS), one
 * tick drains (sweeps) all of them side by side, sharing MAX_REQUESTS fairly (`tick.ts`).
 * A cron that cannot run (an invalid env, a stream with no handler and no target URL) reads
 * nothing and says why in one `cron_skipped` line at error level, naming the variables: an
 * expected condition, so no exception and no stack trace. Anything else that goes wrong is a
 * bug and still fails the invocation.
 */
export function createScheduled(options: ScheduledOptions = {}) {
  return async function scheduled(
    controller: ScheduledController,
    env: Record<string, unknown>,
    ctx: ExecutionContext,
  ): Promise<void> {
    const job = run(controller, env, ctx, options);
    ctx.waitUntil(job);
    await job;
  };
}

async function run(
  controller: ScheduledController,
  env: Record<string, unknown>,
  ctx: ExecutionContext,
  options: ScheduledOptions,
): Promise<void> {
  const cron = controller.cron;
  let jobs: StreamJob[];
  try {
    const configs = parseStreamConfigs(env);
    const handlers = handlersOf(configs, options, { env, ctx });
    jobs = configs.map((config, i) => ({ config, handler: handlers[i] as MessageHandler }));
  } catch (e) {
    if (!(e instanceof ConfigError)) {
      throw e;
    }
    logError("cron_skipped", { cron, code: e.code, variables: e.variables, error: e.message });
    return;
  }
  const [one] = jobs;
  const config = one?.config as ResolvedConfig;
  const drain = cron === config.consumeCron;
  const sweep = cron === config.sweepCron;
  if (!drain && !sweep) {
    log("cron_ignored", { cron, consumeCron: config.consumeCron, sweepCron: config.sweepCron });
    return;
  }
  const redis = redisFor(config.url, config.token);
  const consumer = cronConsumerName(controller.scheduledTime);
  const waitUntil = (p: Promise<unknown>) => ctx.waitUntil(p);
  if (jobs.length > 1) {
    const tick = { jobs, redis, consumer, cron, env, waitUntil };
    if (drain) {
      await drainStreams(tick);
    }
    if (sweep) {
      await sweepStreams(tick);
    }
    return;
  }
  const handler = one?.handler as MessageHandler;
  if (drain && config.drainMode === "continuous") {
    const job = { config, redis, consumer, handler };
    const fanOut = startFanOut({ ...job, env, waitUntil });
    try {
      await runContinuousDrain({
        ...job,
        maxRequests: fanOut.maxRequests,
        onBatch: fanOut.onBatch,
      });
    } finally {
      await fanOut.finish();
    }
  } else if (drain) {
    await runDrain({ config, redis, consumer, handler });
  }
  if (sweep) {
    await runSweep({ config, redis, consumer, handler });
  }
}
