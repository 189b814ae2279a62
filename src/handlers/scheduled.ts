/** @module Cron dispatch: `controller.cron` picks the job(s); unknown crons are logged and ignored. */
import { cronConsumerName, errorMessage, type MessageHandler, parseConfig } from "../lib/index";
import { redisFor } from "./client";
import { resolveHandler, runDrain, runSweep } from "./jobs";
import { log } from "./log";

export type ScheduledOptions = { handler?: MessageHandler };

/**
 * The Worker's `scheduled` entry. CONSUME_CRON drains, SWEEP_CRON sweeps, a cron listed
 * for both drains first. An invalid env fails the invocation with the ConfigError's
 * message (it names the variable), after one log line saying so.
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
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(env);
  } catch (e) {
    log("config_invalid", { cron, error: errorMessage(e) });
    throw e;
  }
  const drain = cron === config.consumeCron;
  const sweep = cron === config.sweepCron;
  if (!drain && !sweep) {
    log("cron_ignored", { cron, consumeCron: config.consumeCron, sweepCron: config.sweepCron });
    return;
  }
  let handler: MessageHandler;
  try {
    handler = resolveHandler(config, userHandler);
  } catch (e) {
    log("config_invalid", { cron, error: errorMessage(e) });
    throw e;
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
