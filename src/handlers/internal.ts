/**
 * @module `POST /internal/drain` (one extra drain of a fan-out) and the fan-out of an
 * invocation's drain: extra drains through the `SELF` binding, or in-process without it.
 */
import { Hono } from "hono";
import type { DrainBatch } from "../lib/drain/options";
import { toReportError } from "../lib/errors";
import { FanOutController } from "../lib/fanout/controller";
import { type RequestShares, splitRequests } from "../lib/fanout/plan";
import { takeSlot } from "../lib/fanout/slots";
import {
  type DrainReport,
  httpConsumerName,
  MAX_CONSUMER_NAME_LENGTH,
  parseConfig,
  RANGES,
  RequestBudget,
} from "../lib/index";
import { SCRIPT_MAX_REQUESTS } from "../lib/redis/script";
import type { AdminOptions } from "./admin";
import { requireAdmin } from "./auth";
import { redisFor } from "./client";
import type { Env } from "./env";
import { HttpError } from "./http-errors";
import { type JobInput, resolveHandler, runContinuousDrain, SLOT_GRACE_MS } from "./jobs";
import { log, logError } from "./log";
import { parseBudgetMs, singleParam } from "./query";

/** Where an extra drain is started: the route below, reached through `SELF`. */
export const INTERNAL_DRAIN_PATH = "/internal/drain";

/**
 * `POST /internal/drain[?budgetMs=]`: one extra drain of a fan-out, as an invocation of its
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
    const config = parseConfig(c.env);
    const redis = redisFor(config.url, config.token);
    const raw = singleParam("budgetMs", c.req.queries("budgetMs"));
    const budgetMs = parseBudgetMs(raw, config.cronBudgetMs);
    const handler = resolveHandler(config, options.handler);
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
    const input = { config, redis, consumer, handler, budgetMs, maxRequests };
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

export type FanOutInput = JobInput & {
  /** The Worker's env: its `SELF` binding, if any, is where extra drains go. */
  env: Record<string, unknown>;
  /** The invocation's `ctx.waitUntil`: keeps the extra drains alive past the handler. */
  waitUntil: (promise: Promise<unknown>) => void;
};

/** The fan-out of one invocation's drain. */
export type FanOut = {
  /** `maxRequests` of the invocation's own drain: its share of MAX_REQUESTS. */
  maxRequests: number;
  /** The drain's `onBatch`; undefined when fan-out is off. */
  onBatch: ((batch: DrainBatch) => void) | undefined;
  /**
   * Call once the drain ended: no more starts; resolves when the extra drains have ended,
   * after one `fanout` line (estimates, drains asked for and started). Never rejects.
   */
  finish(): Promise<void>;
};

/**
 * Fan-out for a drain about to start (the cron's, with DRAIN_MODE=continuous): pass
 * `maxRequests` and `onBatch` to it, `finish()` after it. Through `SELF` when the Worker has
 * that binding and ADMIN_TOKEN is set: each extra drain is a `POST /internal/drain` kept alive
 * with `waitUntil`, for the time this drain has left. Otherwise in-process: up to
 * `IN_PROCESS_MAX_DRAINS` − 1 more `drain()` calls beside it, named `<consumer>-p2`, ..., each
 * taking a slot before it reads, MAX_REQUESTS split between all of them (`splitRequests`).
 * Off (everything to the drain, nothing started) with MAX_PARALLEL_DRAINS = 1.
 */
export function startFanOut(input: FanOutInput): FanOut {
  const { config: c, env, consumer } = input;
  const token = c.adminToken;
  const binding = selfBinding(env);
  const self = binding !== undefined && token !== undefined ? { binding, token } : undefined;
  const inProcess = self === undefined;
  const maxDrains = c.maxParallelDrains;
  const shares = splitRequests({ maxRequests: c.maxRequests, maxDrains, inProcess });
  if (shares.starts === 0) {
    return { maxRequests: shares.drain, onBatch: undefined, finish: async () => {} };
  }
  const via = inProcess ? "in-process" : "self";
  const running: Promise<void>[] = [];
  const controller = new FanOutController({
    redis: input.redis,
    stream: c.stream,
    group: c.group,
    budget: new RequestBudget(shares.fanOut),
    batchSize: c.batchSize,
    maxDrains,
    onEvent: ({ event, ...rest }) =>
      (event === "fanout_failed" ? logError : log)(event, { consumer, ...rest }),
    start: (k, at) => {
      // Helpers end with this drain's budget; shorter than a drain may run, none starts.
      const budgetMs = Math.min(Math.floor(at.remainingMs), RANGES.timeBudgetMs[1]);
      const n = Math.min(k, shares.starts - running.length);
      if (n <= 0 || budgetMs < RANGES.timeBudgetMs[0]) {
        return;
      }
      log("fanout_started", { consumer, via, drains: n, backlog: at.backlog, budgetMs });
      for (let i = 0; i < n; i++) {
        const extra = self
          ? callSelf(self.binding, self.token, budgetMs, consumer)
          : runExtra(input, shares, budgetMs, running.length + 2);
        running.push(extra);
        input.waitUntil(extra);
      }
    },
  });
  return {
    maxRequests: shares.drain,
    onBatch: controller.onBatch,
    finish: async () => {
      await controller.stop();
      await Promise.all(running);
      log("fanout", { consumer, via, ...controller.report, started: running.length });
    },
  };
}

/** The `SELF` service binding, when the env has one (a var of that name is not one). */
function selfBinding(env: Record<string, unknown>): Fetcher | undefined {
  const self = env.SELF as { fetch?: unknown } | null | undefined;
  return typeof self === "object" && typeof self?.fetch === "function"
    ? (self as Fetcher)
    : undefined;
}

/** One extra drain through `SELF`; what went wrong is logged, never thrown. */
async function callSelf(self: Fetcher, token: string, budgetMs: number, from: string) {
  try {
    const res = await self.fetch(`https://self${INTERNAL_DRAIN_PATH}?budgetMs=${budgetMs}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    // The body is the drain's report, there when it ends: reading it keeps this alive as long.
    const body = await res.text();
    if (res.status === 429) {
      // Another invocation took the slot meanwhile: the table did its job.
      log("fanout_drain_refused", { consumer: from, reason: "slots_full" });
    } else if (!res.ok) {
      logError("fanout_drain_failed", { consumer: from, status: res.status, code: codeOf(body) });
    }
  } catch (e) {
    logError("fanout_drain_failed", { consumer: from, error: toReportError(e).message });
  }
}

/** The `error.code` of an error answer, if it is one. */
function codeOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown } };
    return typeof parsed.error?.code === "string" ? parsed.error.code : undefined;
  } catch {
    return undefined;
  }
}

/** The `n`th drain of an invocation, in-process: `<consumer>-p<n>`, within 64 characters. */
export function extraConsumerName(consumer: string, n: number): string {
  const suffix = `-p${n}`;
  return `${consumer.slice(0, MAX_CONSUMER_NAME_LENGTH - suffix.length)}${suffix}`;
}

/** One extra drain in this invocation; what went wrong is logged, never thrown. */
async function runExtra(input: FanOutInput, shares: RequestShares, budgetMs: number, n: number) {
  const consumer = extraConsumerName(input.consumer, n);
  try {
    const maxRequests = shares.extraDrain;
    await runContinuousDrain({ ...input, consumer, budgetMs, maxRequests, slot: "at-start" });
  } catch (e) {
    logError("fanout_drain_failed", { consumer, error: toReportError(e).message });
  }
}
