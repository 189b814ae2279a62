/** @module Cron dispatch: `controller.cron` picks the job(s); unknown crons are logged and ignored. */
import {
  ConfigError,
  cronConsumerName,
  type MessageHandler,
  parseConfig,
  type ResolvedConfig,
} from "../lib/index";
import { redisFor } from "./client";
import { resolveHandler, runDrain, runSweep } from "./jobs";
import { log, logError } from "./log";

export type ScheduledOptions = { handler?: MessageHandler };

/**
 * The Worker's `scheduled` entry. CONSUME_CRON drains, SWEEP_CRON sweeps, a cron listed
 * for both drains first. A cron that cannot run (an invalid env, no handler and no
 * TARGET_URL) reads nothing and says why in one `cron_skipped` line at error level, naming
 * the variables: an expected condition, so no exception and no stack trace. Anything else
 * that goes wrong is a bug and still fails the invocation.
 */
export function createScheduled(options: ScheduledOptions = {}) {
  return async function scheduled(
    controller: ScheduledController,
    env: Record<string, unknown>,
    ctx: ExecutionContext,
  ): Promise<void> {
    const job = run(controller, env, options.handler);
    ctx.waitUntil(job);
    await job;
  };
}

async function run(
  controller: ScheduledController,
  env: Record<string, unknown>,
  userHandler: MessageHandler | undefined,
): Promise<void> {
  const cron = controller.cron;
  let config: ResolvedConfig;
  let handler: MessageHandler;
  try {
    config = parseConfig(env);
    handler = resolveHandler(config, userHandler);
  } catch (e) {
    if (!(e instanceof ConfigError)) {
      throw e;
    }
    logError("cron_skipped", { cron, code: e.code, variables: e.variables, error: e.message });
    return;
  }
  const drain = cron === config.consumeCron;
  const sweep = cron === config.sweepCron;
  if (!drain && !sweep) {
    log("cron_ignored", { cron, consumeCron: config.consumeCron, sweepCron: config.sweepCron });
    return;
  }
  const redis = redisFor(config.url, config.token);
  const consumer = cronConsumerName(controller.scheduledTime);
  if (drain) {
    await runDrain({ config, redis, consumer, handler });
  }
  if (sweep) {
    await runSweep({ config, redis, consumer, handler });
  }
}
