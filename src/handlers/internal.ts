/** @module `POST /internal/drain`: one extra drain of a fan-out, as an invocation of its own. */
import { Hono } from "hono";
import { toReportError } from "../lib/errors";
import { takeSlot } from "../lib/fanout/slots";
import {
  type DrainReport,
  httpConsumerName,
  parseStreamConfigs,
  RequestBudget,
  type ResolvedConfig,
} from "../lib/index";
import { SCRIPT_MAX_REQUESTS } from "../lib/redis/script";
import type { AdminOptions } from "./admin";
import { requireAdmin } from "./auth";
import { redisFor } from "./client";
import type { Env } from "./env";
import { HttpError } from "./http-errors";
import { runContinuousDrain, SLOT_GRACE_MS } from "./jobs";
import { log, logError } from "./log";
import { parseBudgetMs, singleParam } from "./query";
import { invocationOf } from "./queue-consumer";
import { handlerFor, selectStream } from "./streams";

/** Where an extra drain is started: the route below, reached through `SELF`. */
export const INTERNAL_DRAIN_PATH = "/internal/drain";

/**
 * `POST /internal/drain[?budgetMs=&stream=&group=]`: one extra drain of a fan-out, as an invocation of its
 * own (its own subrequests and CPU time). Admin token required, like the admin routes. It
 * takes its slot before it reads: with the table full it answers 429 `SLOTS_FULL` having read
 * nothing. Then it answers 200 at once and streams its report as the body when the drain ends
 * (`{ error, report }` when Redis failed): the caller's connection gets its headers straight
 * away instead of waiting the whole drain for them, which Cloudflare counts against the 6
 * connections an invocation may have waiting. One continuous drain (polling, up to `budgetMs`,
 * default CRON_BUDGET_MS) that starts no drains itself, so a fan-out is one level deep.
 */
export function createInternal(options: AdminOptions = {}): Hono<{ Bindings: Env }> {
  const app = new Hono<{ Bindings: Env }>();

  app.post(INTERNAL_DRAIN_PATH, requireAdmin, async (c) => {
    const configs = parseStreamConfigs(c.env);
    const param = (name: string) => singleParam(name, c.req.queries(name));
    const index = selectStream(configs, param("stream"), param("group"));
    const config = configs[index] as ResolvedConfig;
    const redis = redisFor(config.url, config.token);
    const budgetMs = parseBudgetMs(param("budgetMs"), config.cronBudgetMs);
    const handler = handlerFor(configs, index, options, invocationOf(c));
    const consumer = httpConsumerName(c.req.header("cf-ray"));
    const { stream, group, maxParallelDrains: max } = config;
    const take = { redis, stream, group, consumer, budget: new RequestBudget(SCRIPT_MAX_REQUESTS) };
    const expiresAt = Date.now() + budgetMs + SLOT_GRACE_MS;
    if (!(await takeSlot({ ...take, expiresAt, max }))) {
      log("drain_skipped", { consumer, reason: "slots_full", maxParallelDrains: max });
      throw new HttpError(
        429,
        "SLOTS_FULL",
        `all ${max} drain slots (MAX_PARALLEL_DRAINS) are taken: nothing was read`,
      );
    }
    // The take above came out of this invocation's MAX_REQUESTS too.
    const maxRequests = config.maxRequests - SCRIPT_MAX_REQUESTS;
    const tagged = configs.length > 1;
    const input = { config, redis, consumer, handler, budgetMs, maxRequests, tagged };
    const drain = runContinuousDrain({ ...input, slot: "held" });
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    c.executionCtx.waitUntil(answerWhenDone(writable, drain, consumer));
    return new Response(readable, { headers: { "content-type": "application/json" } });
  });

  return app;
}

/** Writes the drain's report as the body once it ends, and closes it. */
async function answerWhenDone(
  writable: WritableStream<Uint8Array>,
  drain: Promise<DrainReport>,
  consumer: string,
): Promise<void> {
  let body: unknown;
  try {
    const report = await drain;
    body = report.error ? { error: report.error, report } : report;
  } catch (e) {
    const error = toReportError(e);
    logError("internal_drain_failed", { consumer, code: error.code, error: error.message });
    body = { error };
  }
  const writer = writable.getWriter();
  try {
    await writer.write(new TextEncoder().encode(JSON.stringify(body)));
    await writer.close();
  } catch (e) {
    // The caller went away: the report is in the drain's own log line all the same.
    log("internal_drain_unanswered", { consumer, error: toReportError(e).message });
  }
}
