/**
 * @module One cron tick over several streams: their drains (or sweeps) side by side, sharing
 * the invocation's requests fairly, and one `tick` line with every stream's figures.
 */
import type { Redis } from "@upstash/redis/cloudflare";
import { toReportError } from "../lib/errors";
import {
  type DrainReport,
  type MessageHandler,
  RequestBudget,
  RequestPool,
  type ResolvedConfig,
  type SweepReport,
} from "../lib/index";
import { type FanOut, startFanOut } from "./fanout";
import { runContinuousDrain, runDrain, runSweep, SLOT_REQUESTS } from "./jobs";
import { log, logError } from "./log";

/** A configured stream with its handler. */
export type StreamJob = { config: ResolvedConfig; handler: MessageHandler };

export type TickInput = {
  jobs: readonly StreamJob[];
  redis: Redis;
  /** The tick's consumer name, the same in every stream's group. */
  consumer: string;
  cron: string;
  env: Record<string, unknown>;
  waitUntil: (promise: Promise<unknown>) => void;
};

/**
 * Drains every stream at once, each under the tick's consumer name. Time is not shared: every
 * drain has the whole budget (TIME_BUDGET_MS, or CRON_BUDGET_MS when continuous). Requests
 * are: MAX_REQUESTS is the invocation's cap, and after what each stream's slot calls and
 * fan-out need, the rest is a {@link RequestPool} in which each stream is guaranteed an equal
 * part and may use what the others leave. A stream with a large backlog therefore reads on
 * after the quiet ones are done, and never with the requests they need. With `SELF`, each
 * stream fans out on its own (its extra drains are invocations of their own); without it, no
 * extra drains run in this invocation, whose drains already run side by side.
 * A drain that throws (a bug: Redis failures are reported, not thrown) does not stop the
 * others; the first such error is thrown once all have ended.
 */
export async function drainStreams(input: TickInput): Promise<void> {
  const { jobs, redis, consumer } = input;
  const first = jobs[0]?.config;
  if (first === undefined) {
    return;
  }
  const continuous = first.drainMode === "continuous";
  const part = Math.floor(first.maxRequests / jobs.length);
  const fanOuts: (FanOut | undefined)[] = jobs.map((job) =>
    continuous ? startFanOut({ ...job, ...input, requests: part, inProcess: false }) : undefined,
  );
  const fixed = fanOuts.reduce((n, f) => n + (f ? f.reserved + SLOT_REQUESTS : 0), 0);
  const pool = new RequestPool(first.maxRequests - fixed, jobs.length);
  // Every share exists before any drain starts: each is guaranteed its part from the first read.
  const budgets = jobs.map(() => pool.share());
  const history = jobs.map(() => new RequestBudget());
  const outcomes = await Promise.allSettled(
    jobs.map(async (job, i) => {
      const budget = budgets[i];
      const fanOut = fanOuts[i];
      const one = { ...job, redis, consumer, budget, historyBudget: history[i], tagged: true };
      try {
        return fanOut
          ? await runContinuousDrain({ ...one, onBatch: fanOut.onBatch })
          : await runDrain(one);
      } finally {
        budget?.close();
        await fanOut?.finish();
      }
    }),
  );
  const fanOutRequests = fanOuts.reduce((n, f) => n + (f?.used() ?? 0), 0);
  report(input, "drain", outcomes, { fanOut: fanOutRequests, history: usedBy(history) });
}

/**
 * Sweeps every stream at once, MAX_REQUESTS shared as {@link drainStreams} shares it (each
 * stream guaranteed an equal part, enough for one page: the config refuses less).
 */
export async function sweepStreams(input: TickInput): Promise<void> {
  const { jobs, redis, consumer } = input;
  const first = jobs[0]?.config;
  if (first === undefined) {
    return;
  }
  const pool = new RequestPool(first.maxRequests, jobs.length);
  const budgets = jobs.map(() => pool.share());
  const history = jobs.map(() => new RequestBudget());
  const outcomes = await Promise.allSettled(
    jobs.map(async (job, i) => {
      const budget = budgets[i];
      const historyBudget = history[i];
      try {
        return await runSweep({ ...job, redis, consumer, budget, historyBudget, tagged: true });
      } finally {
        budget?.close();
      }
    }),
  );
  report(input, "sweep", outcomes, { fanOut: 0, history: usedBy(history) });
}

type Outcome = PromiseSettledResult<DrainReport | SweepReport>;

/** Requests of a tick outside its streams' reports. */
type Extra = {
  /** The fan-outs' estimates and `SELF` calls. */
  fanOut: number;
  /** The streams' history records (one script run each, outside MAX_REQUESTS). */
  history: number;
};

const usedBy = (budgets: RequestBudget[]): number => budgets.reduce((n, b) => n + b.used, 0);

/**
 * One `tick` line: each stream's figures (`requests` its own, slot calls included) and the
 * tick's total requests: the streams', those of the fan-outs' estimates and `SELF` calls, and
 * the streams' history records (also shown apart as `historyRequests`): what Upstash counted.
 * A stream whose job threw is listed with its error, logged at error level, and the first
 * such error is thrown after the line.
 */
function report(input: TickInput, job: "drain" | "sweep", outcomes: Outcome[], extra: Extra) {
  const streams = outcomes.map((outcome, i) => {
    const { stream, group } = input.jobs[i]?.config ?? { stream: "?", group: "?" };
    if (outcome.status === "rejected") {
      return { stream, group, failed: toReportError(outcome.reason).message };
    }
    const r = outcome.value;
    const figures = "read" in r ? { read: r.read } : { claimed: r.claimed, retried: r.retried };
    const outcomes = { acked: r.acked, failed: r.failed, deadLettered: r.deadLettered };
    return { stream, group, ...figures, ...outcomes, requests: r.requests, stoppedBy: r.stoppedBy };
  });
  const own = streams.reduce((n, s) => n + ("requests" in s ? s.requests : 0), 0);
  const requests = own + extra.fanOut + extra.history;
  const thrown = outcomes.find((o) => o.status === "rejected");
  (thrown ? logError : log)("tick", {
    job,
    cron: input.cron,
    consumer: input.consumer,
    requests,
    historyRequests: extra.history,
    streams,
  });
  if (thrown) {
    throw thrown.reason;
  }
}
