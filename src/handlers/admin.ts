/** @module The admin routes (DESIGN 8): stats, dead letters, group reset. Parse, call, answer. */
import { Hono, type MiddlewareHandler } from "hono";
import { parseConfig } from "../lib/config/env";
import { listDeadLetters, redrive } from "../lib/dead-letter/dead-letter";
import { httpConsumerName } from "../lib/group/consumer-name";
import { resetGroup } from "../lib/group/reset";
import type { MessageHandler } from "../lib/handling/message";
import { getStats } from "../lib/stats/stats";
import { requireAdmin } from "./auth";
import { redisFor } from "./client";
import type { AdminEnv } from "./env";
import { resolveHandler, runDrain, runSweep } from "./jobs";
import { log } from "./log";
import {
  parseBudgetMs,
  parseCount,
  parseDryRun,
  parseMax,
  parseResetId,
  parseStart,
} from "./query";

/** Page size of `GET /dlq` without `count`. */
export const DLQ_PAGE = 50;
/** Entries one `POST /dlq/redrive` moves without `count`. */
export const REDRIVE_PAGE = 100;

/** Validates the env per request (cheap) so a bad deploy answers 500 CONFIG_INVALID. */
const withConfig: MiddlewareHandler<AdminEnv> = async (c, next) => {
  c.set("config", parseConfig(c.env));
  await next();
};

export type AdminOptions = {
  /** The message handler of /drain and /sweep; default: the TARGET_URL forwarder. */
  handler?: MessageHandler;
};

/** The admin routes; `options.handler` is what /drain and /sweep run. */
export function createAdmin(options: AdminOptions = {}): Hono<AdminEnv> {
  const admin = new Hono<AdminEnv>();

  // Per route, not `use("*")`: mounted at "/", a wildcard would also guard unknown paths and
  // answer 401 where 404/405 is due. Auth first: only the admin reads configuration errors.

  admin.get("/stats", requireAdmin, withConfig, async (c) => {
    const { config } = c.var;
    const stats = await getStats({
      redis: redisFor(config.url, config.token),
      stream: config.stream,
      dlqStream: config.dlqStream,
    });
    log("stats", {
      stream: config.stream,
      groups: stats.groups.length,
      alerts: stats.alerts.length,
    });
    return c.json(stats);
  });

  admin.get("/dlq", requireAdmin, withConfig, async (c) => {
    const { config } = c.var;
    const count = parseCount(c.req.query("count"), DLQ_PAGE);
    const start = parseStart(c.req.query("start"));
    const page = await listDeadLetters({
      redis: redisFor(config.url, config.token),
      dlqStream: config.dlqStream,
      count,
      start,
    });
    log("dlq_list", { dlqStream: config.dlqStream, count, start, listed: page.entries.length });
    return c.json({ dlqStream: config.dlqStream, ...page });
  });

  admin.post("/dlq/redrive", requireAdmin, withConfig, async (c) => {
    const { config } = c.var;
    const count = parseCount(c.req.query("count"), REDRIVE_PAGE);
    const dryRun = parseDryRun(c.req.query("dryRun"));
    const report = await redrive({
      redis: redisFor(config.url, config.token),
      stream: config.stream,
      dlqStream: config.dlqStream,
      count,
      dryRun,
    });
    log("dlq_redrive", {
      stream: config.stream,
      dlqStream: config.dlqStream,
      count,
      dryRun,
      moved: report.moved.length,
      skipped: report.skipped,
    });
    return c.json({ stream: config.stream, dlqStream: config.dlqStream, ...report });
  });

  admin.post("/group/reset", requireAdmin, withConfig, async (c) => {
    const { config } = c.var;
    const id = parseResetId(c.req.query("id"));
    const report = await resetGroup({
      redis: redisFor(config.url, config.token),
      stream: config.stream,
      group: config.group,
      id,
    });
    log("group_reset", { ...report });
    return c.json(report);
  });

  admin.post("/drain", requireAdmin, withConfig, async (c) => {
    const { config } = c.var;
    const max = parseMax(c.req.query("max"), config.maxMessages);
    const budgetMs = parseBudgetMs(c.req.query("budgetMs"), config.timeBudgetMs);
    const handler = resolveHandler(config, options.handler);
    const report = await runDrain({
      config,
      redis: redisFor(config.url, config.token),
      consumer: httpConsumerName(c.req.header("cf-ray")),
      handler,
      max,
      budgetMs,
    });
    // What was read is safe either way; a failed Redis call is the upstream's fault.
    return report.error ? c.json({ error: report.error, report }, 502) : c.json(report);
  });

  admin.post("/sweep", requireAdmin, withConfig, async (c) => {
    const { config } = c.var;
    const report = await runSweep({
      config,
      redis: redisFor(config.url, config.token),
      consumer: httpConsumerName(c.req.header("cf-ray")),
      handler: resolveHandler(config, options.handler),
    });
    return c.json(report);
  });

  return admin;
}
