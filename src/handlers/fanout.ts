/**
 * @module The fan-out of an invocation's drain: extra drains through the `SELF` binding (each
 * a `POST /internal/drain`), or in-process without it.
 */
import type { DrainBatch } from "../lib/drain/options";
import { toReportError } from "../lib/errors";
import { FanOutController } from "../lib/fanout/controller";
import { type RequestShares, splitRequests } from "../lib/fanout/plan";
import { MAX_CONSUMER_NAME_LENGTH, RANGES, RequestBudget, type ResolvedConfig } from "../lib/index";
import { INTERNAL_DRAIN_PATH } from "./internal";
import { type JobInput, streamTags } from "./job-input";
import { runContinuousDrain } from "./jobs";
import { log, logError } from "./log";

export type FanOutInput = JobInput & {
  /** The Worker's env: its `SELF` binding, if any, is where extra drains go. */
  env: Record<string, unknown>;
  /** The invocation's `ctx.waitUntil`: keeps the extra drains alive past the handler. */
  waitUntil: (promise: Promise<unknown>) => void;
  /**
   * The invocation's requests this stream's drain and fan-out split. @default MAX_REQUESTS
   * (a tick over several streams gives each its part)
   */
  requests?: number;
  /**
   * Whether extra drains may run in this invocation when they cannot go through `SELF`.
   * @default true (a tick over several streams says false: its drains already run side by side)
   */
  inProcess?: boolean;
};

/** The fan-out of one invocation's drain. */
export type FanOut = {
  /** `maxRequests` of the invocation's own drain: its share of MAX_REQUESTS. */
  maxRequests: number;
  /** Requests the fan-out itself may send: its estimates and its `SELF` calls. */
  reserved: number;
  /** Requests it has sent so far: estimates, and one per `SELF` call. */
  used(): number;
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
  const tags = streamTags(input);
  const token = c.adminToken;
  const binding = selfBinding(env);
  const self = binding !== undefined && token !== undefined ? { binding, token } : undefined;
  const inProcess = self === undefined;
  const maxDrains = inProcess && input.inProcess === false ? 1 : c.maxParallelDrains;
  const maxRequests = input.requests ?? c.maxRequests;
  const shares = splitRequests({ maxRequests, maxDrains, inProcess });
  if (shares.starts === 0) {
    const off = { maxRequests: shares.drain, reserved: 0, onBatch: undefined };
    return { ...off, used: () => 0, finish: async () => {} };
  }
  const via = inProcess ? "in-process" : "self";
  const running: Promise<void>[] = [];
  const budget = new RequestBudget(shares.fanOut);
  const controller = new FanOutController({
    redis: input.redis,
    stream: c.stream,
    group: c.group,
    budget,
    batchSize: c.batchSize,
    maxDrains,
    onEvent: ({ event, ...rest }) =>
      (event === "fanout_failed" ? logError : log)(event, { consumer, ...tags, ...rest }),
    start: (k, at) => {
      // Helpers end with this drain's budget; shorter than a drain may run, none starts.
      const budgetMs = Math.min(Math.floor(at.remainingMs), RANGES.timeBudgetMs[1]);
      const n = Math.min(k, shares.starts - running.length);
      if (n <= 0 || budgetMs < RANGES.timeBudgetMs[0]) {
        return;
      }
      log("fanout_started", { consumer, ...tags, via, drains: n, backlog: at.backlog, budgetMs });
      for (let i = 0; i < n; i++) {
        const extra = self
          ? callSelf(self, c, budgetMs, consumer)
          : runExtra(input, shares, budgetMs, running.length + 2);
        running.push(extra);
        input.waitUntil(extra);
      }
    },
  });
  return {
    maxRequests: shares.drain,
    reserved: shares.fanOut + (inProcess ? 0 : shares.starts),
    used: () => budget.used + (inProcess ? 0 : running.length),
    onBatch: controller.onBatch,
    finish: async () => {
      await controller.stop();
      await Promise.all(running);
      log("fanout", { consumer, ...tags, via, ...controller.report, started: running.length });
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

/** One extra drain of `config`'s stream through `SELF`; what went wrong is logged, never thrown. */
async function callSelf(
  self: { binding: Fetcher; token: string },
  config: ResolvedConfig,
  budgetMs: number,
  from: string,
) {
  const query = new URLSearchParams({
    budgetMs: String(budgetMs),
    stream: config.stream,
    group: config.group,
  });
  try {
    const res = await self.binding.fetch(`https://self${INTERNAL_DRAIN_PATH}?${query}`, {
      method: "POST",
      headers: { authorization: `Bearer ${self.token}` },
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
