/** @module The admin routes (DESIGN 8): stats, dead letters, group reset. Parse, call, answer. */
import { Hono, type MiddlewareHandler } from "hono";
import { parseConfig } from "../lib/config";
import { listDeadLetters, redrive } from "../lib/dead-letter";
import { resetGroup } from "../lib/group-reset";
import { getStats } from "../lib/stats";
import { audit } from "./audit";
import { requireAdmin } from "./auth";
import { redisFor } from "./client";
import type { AdminEnv } from "./env";
import { parseCount, parseDryRun, parseResetId, parseStart } from "./query";

/** Page size of `GET /dlq` without `count`. */
export const DLQ_PAGE = 50;
/** Entries one `POST /dlq/redrive` moves without `count`. */
export const REDRIVE_PAGE = 100;

/** Validates the env per request (cheap) so a bad deploy answers 500 CONFIG_INVALID. */
const withConfig: MiddlewareHandler<AdminEnv> = async (c, next) => {
  c.set("config", parseConfig(c.env));
  await next();
};

export const admin = new Hono<AdminEnv>();

// Per route, not `use("*")`: mounted at "/", a wildcard would also guard unknown paths and
// answer 401 where 404/405 is due. Auth first: only the admin reads configuration errors.

admin.get("/stats", requireAdmin, withConfig, async (c) => {
  const { config } = c.var;
  const stats = await getStats({
    redis: redisFor(config.url, config.token),
    stream: config.stream,
    dlqStream: config.dlqStream,
  });
  audit("stats", {
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
  audit("dlq_list", { dlqStream: config.dlqStream, count, start, listed: page.entries.length });
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
  audit("dlq_redrive", {
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
  audit("group_reset", { ...report });
  return c.json(report);
});
