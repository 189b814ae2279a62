/** @module The admin routes: stats, dead letters, group reset, drain and sweep. Parse, call, answer. */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import {
  DEFAULTS,
  deleteDeadLetter,
  getStats,
  httpConsumerName,
  listDeadLetters,
  parseStreamConfigs,
  type ResolvedConfig,
  readDeadLetter,
  redrive,
  resetGroup,
} from "../lib/index";
import { requireAdmin } from "./auth";
import { redisFor } from "./client";
import type { AdminEnv } from "./env";
import { HttpError } from "./http-errors";
import { runContinuousDrain, runDrain, runSweep } from "./jobs";
import { log } from "./log";
import {
  parseBudgetMs,
  parseCount,
  parseDeadLetterId,
  parseDryRun,
  parseMax,
  parseRedriveIds,
  parseResetId,
  parseStart,
  QueryError,
  singleParam,
} from "./query";
import { invocationOf } from "./queue-consumer";
import { type HandlerOptions, handlerFor, selectStream } from "./streams";

/**
 * Validates the env per request (cheap) so a bad deploy answers 500 CONFIG_INVALID, and picks
 * the stream of `?stream=` (and `?group=`): 400 listing the configured ones when several are
 * and none or an unknown one is named.
 */
const withConfig: MiddlewareHandler<AdminEnv> = async (c, next) => {
  const configs = parseStreamConfigs(c.env);
  const index = selectStream(configs, query(c, "stream"), query(c, "group"));
  const config = configs[index] ?? configs[0];
  if (config === undefined) {
    throw new RangeError("no stream configured");
  }
  c.set("configs", configs);
  c.set("index", index);
  c.set("config", config);
  c.set("redis", redisFor(config.url, config.token));
  await next();
};

/** `continuous` of `/drain`: `true`/`false`/`1`/`0` (any case); absent → false. */
function parseContinuous(raw: string | undefined): boolean {
  const value = raw === undefined || raw === "" ? "false" : raw.toLowerCase();
  if (value === "true" || value === "1") {
    return true;
  }
  if (value === "false" || value === "0") {
    return false;
  }
  throw new QueryError(
    "continuous",
    `continuous must be true, false, 1 or 0, got ${JSON.stringify(raw?.slice(0, 40))}`,
  );
}

/** A query parameter's one value: every route reads its parameters through this. */
const query = (c: Context<AdminEnv>, name: string): string | undefined =>
  singleParam(name, c.req.queries(name));

/** 404 NOT_FOUND for a dead-letter id the dead-letter stream does not hold. */
function notFound(dlqStream: string, id: string): never {
  const message = `no dead letter ${JSON.stringify(id)} in ${JSON.stringify(dlqStream)}`;
  throw new HttpError(404, "NOT_FOUND", message);
}

/** `/dlq`, `/dlq/redrive` and `/dlq/<id>`: the dead letters, listed, redriven, read, deleted. */
function addDeadLetterRoutes(admin: Hono<AdminEnv>): void {
  admin.get("/dlq", requireAdmin, withConfig, async (c) => {
    const { dlqStream } = c.var.config;
    const count = parseCount(query(c, "count"), DEFAULTS.dlqPageSize);
    const start = parseStart(query(c, "start"));
    const page = await listDeadLetters({ redis: c.var.redis, dlqStream, count, start });
    const { entries, unreadable } = page;
    log("dlq_list", {
      dlqStream,
      count,
      start,
      listed: entries.length,
      unreadable: unreadable.length,
    });
    return c.json({ dlqStream, ...page });
  });

  admin.post("/dlq/redrive", requireAdmin, withConfig, async (c) => {
    const { stream, dlqStream } = c.var.config;
    const raw = { count: query(c, "count"), start: query(c, "start") };
    const count = parseCount(raw.count, DEFAULTS.redrivePageSize);
    const start = parseStart(raw.start);
    // With ids there is no range: neither count nor start (refused beside them) is passed.
    const ids = parseRedriveIds(query(c, "ids"), raw);
    const dryRun = parseDryRun(query(c, "dryRun"));
    const { redis } = c.var;
    const range = ids === undefined ? { count, start } : { ids };
    const report = await redrive({ redis, stream, dlqStream, dryRun, ...range });
    const { moved, skipped } = report;
    log("dlq_redrive", {
      stream,
      dlqStream,
      ...(ids === undefined ? { count, start } : { ids: ids.length }),
      dryRun,
      moved: moved.length,
      skipped: skipped.length,
    });
    return c.json({ stream, dlqStream, ...report });
  });

  // Ids only: `/dlq/redrive` and anything else under /dlq/ stay theirs (405, 404).
  const oneDeadLetter = "/dlq/:id{[0-9]+-[0-9]+}";

  admin.get(oneDeadLetter, requireAdmin, withConfig, async (c) => {
    const { dlqStream } = c.var.config;
    const id = parseDeadLetterId(c.req.param("id"));
    const entry = await readDeadLetter({ redis: c.var.redis, dlqStream, id });
    log("dlq_read", { dlqStream, id, found: entry !== null });
    return entry === null ? notFound(dlqStream, id) : c.json(entry);
  });

  admin.delete(oneDeadLetter, requireAdmin, withConfig, async (c) => {
    const { dlqStream } = c.var.config;
    const id = parseDeadLetterId(c.req.param("id"));
    const { deleted } = await deleteDeadLetter({ redis: c.var.redis, dlqStream, id });
    log("dlq_delete", { dlqStream, id, deleted });
    return deleted ? c.json({ deleted }) : notFound(dlqStream, id);
  });

  // The 405 the app's fallback gives literal paths, for the ids of the two routes above.
  admin.all(oneDeadLetter, (c) => {
    const message = `${c.req.method} ${c.req.path}: use GET, DELETE`;
    throw new HttpError(405, "METHOD_NOT_ALLOWED", message, { allow: "GET, DELETE" });
  });
}

/** The handlers of /drain and /sweep; default: the webhook handler (TARGET_URL). */
export type AdminOptions = HandlerOptions;

/** The admin routes; `options.handler` is what /drain and /sweep run. */
export function createAdmin(options: AdminOptions = {}): Hono<AdminEnv> {
  const admin = new Hono<AdminEnv>();

  // Per route, not `use("*")`: mounted at "/", a wildcard would also guard unknown paths and
  // answer 401 where 404/405 is due. Auth first: only the admin reads configuration errors.

  // Without ?stream= and with several streams: every stream's group, one request each.
  admin.get("/stats", requireAdmin, async (c, next) => {
    const configs = parseStreamConfigs(c.env);
    if (
      configs.length === 1 ||
      query(c, "stream") !== undefined ||
      query(c, "group") !== undefined
    ) {
      return next();
    }
    const first = configs[0] as ResolvedConfig;
    const redis = redisFor(first.url, first.token);
    const streams = await Promise.all(
      configs.map(({ stream, group, dlqStream, alertIdleMs }) =>
        getStats({ redis, stream, group, dlqStream, alertIdleMs }),
      ),
    );
    log("stats", { streams: streams.length, alerts: streams.flatMap((s) => s.alerts).length });
    return c.json({ streams });
  });

  admin.get("/stats", requireAdmin, withConfig, async (c) => {
    const { config, redis } = c.var;
    const { stream, dlqStream, alertIdleMs } = config;
    const stats = await getStats({ redis, stream, dlqStream, alertIdleMs });
    log("stats", {
      stream: config.stream,
      groups: stats.groups.length,
      alerts: stats.alerts.length,
    });
    return c.json(stats);
  });

  addDeadLetterRoutes(admin);

  admin.post("/group/reset", requireAdmin, withConfig, async (c) => {
    const { stream, group } = c.var.config;
    const id = parseResetId(query(c, "id"));
    const report = await resetGroup({ redis: c.var.redis, stream, group, id });
    log("group_reset", { ...report });
    return c.json(report);
  });

  admin.post("/drain", requireAdmin, withConfig, async (c) => {
    const { config, redis } = c.var;
    const max = parseMax(query(c, "max"), config.maxMessages);
    const budgetMs = parseBudgetMs(query(c, "budgetMs"), config.timeBudgetMs);
    const continuous = parseContinuous(query(c, "continuous"));
    const handler = handlerFor(c.var.configs, c.var.index, options, invocationOf(c));
    const consumer = httpConsumerName(c.req.header("cf-ray"));
    const tagged = c.var.configs.length > 1;
    const input = { config, redis, consumer, handler, max, budgetMs, tagged };
    // Polling, it holds a slot once it has read something, like a continuous cron drain:
    // with the table full it stops after its first batch rather than read past the limit.
    const report = continuous ? await runContinuousDrain(input) : await runDrain(input);
    // What was read is safe either way; a failed Redis call is the upstream's fault.
    return report.error ? c.json({ error: report.error, report }, 502) : c.json(report);
  });

  admin.post("/sweep", requireAdmin, withConfig, async (c) => {
    const { config, redis } = c.var;
    const handler = handlerFor(c.var.configs, c.var.index, options, invocationOf(c));
    const consumer = httpConsumerName(c.req.header("cf-ray"));
    const tagged = c.var.configs.length > 1;
    const report = await runSweep({ config, redis, consumer, handler, tagged });
    // As /drain: what was settled is safe; a failed Redis call is the upstream's fault.
    return report.error ? c.json({ error: report.error, report }, 502) : c.json(report);
  });

  return admin;
}
