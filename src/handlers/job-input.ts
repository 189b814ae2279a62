/** @module What a job (drain or sweep) is given, and what both take from it: names, limits, logging. */
import type { Redis } from "@upstash/redis/cloudflare";
import { toReportError } from "../lib/errors";
import {
  type DrainReport,
  isIdleJob,
  jobRecord,
  type MessageHandler,
  RequestBudget,
  type ResolvedConfig,
  recordJob,
  recordSnapshot,
  type SweepReport,
} from "../lib/index";
import { isQueueConsumer } from "../lib/queues/consumer";
import { log, logError } from "./log";

export type JobInput = {
  config: ResolvedConfig;
  redis: Redis;
  consumer: string;
  handler: MessageHandler;
  signal?: AbortSignal;
  /**
   * The requests it may send, shared with the other streams of a tick (a `RequestPool`
   * share); without it, a budget of MAX_REQUESTS (or `maxRequests`) of its own.
   */
  budget?: RequestBudget;
  /** Several streams are configured: each log line says which stream and group it is about. */
  tagged?: boolean;
  /**
   * Counts the request(s) of the job's history record ({@link recordHistory}), which are
   * outside `budget` and the report's `requests`; a tick adds them to its own. @default a
   * fresh budget
   */
  historyBudget?: RequestBudget;
};

/** Events logged at error level: data at risk, or a state an operator did not choose. */
const LOUD = new Set([
  "group_recreated",
  "redis_error",
  "dlq_full",
  "dead_letter_failed",
  "acks_left_pending",
]);

/** Which stream and group a log line is about, when several streams are configured. */
export const streamTags = (input: JobInput) =>
  input.tagged ? { stream: input.config.stream, group: input.config.group } : {};

/** What both jobs take from the config: the stream, its group and their shared limits. */
export function common(input: JobInput) {
  const { config: c } = input;
  const queue = isQueueConsumer(input.handler);
  return {
    redis: input.redis,
    stream: c.stream,
    group: c.group,
    consumer: input.consumer,
    handler: input.handler,
    // A Queues consumer's batch is what one read (or sweep page) starts at once.
    concurrency: queue ? Math.max(c.concurrency, c.batchSize) : c.concurrency,
    maxRequests: c.maxRequests,
    minIdleMs: c.minIdleMs,
    dlqStream: c.dlqStream,
    dlqMaxLen: c.dlqMaxLen,
    signal: input.signal,
    budget: input.budget,
    // Each event is one log line, tagged with the invocation's consumer; the ones an
    // operator must see go out at error level.
    onEvent: ({ event, ...rest }: { event: string }) =>
      (LOUD.has(event) ? logError : log)(event, {
        consumer: input.consumer,
        ...streamTags(input),
        ...rest,
      }),
  };
}

/**
 * Records the job's report and a snapshot of its group for the dashboard (`recordSnapshot`,
 * docs/history.md) when HISTORY_MINUTES > 0, after the job has logged its report; an idle job
 * (nothing read, settled or failed) records its report only (`recordJob`, one HSET). The
 * record is outside MAX_REQUESTS: one more request per stream per job (two after a script flush),
 * counted in `historyBudget`, never in the report's `requests`. A failed record never fails
 * the job, whose work is done: it is logged at error level as one `history_failed` line
 * (stream, group, the error's safe message) and the job goes on. Never throws.
 */
export async function recordHistory(
  input: JobInput,
  job: "drain" | "sweep",
  report: DrainReport | SweepReport,
): Promise<void> {
  const { config: c } = input;
  if (c.historyMinutes <= 0) {
    return;
  }
  const record = jobRecord(job, report, Date.now());
  const where = { redis: input.redis, stream: c.stream, group: c.group, record };
  const budget = input.historyBudget ?? new RequestBudget();
  try {
    if (isIdleJob(record)) {
      await recordJob({ ...where, budget });
    } else {
      await recordSnapshot({ ...where, dlqStream: c.dlqStream, keep: c.historyMinutes, budget });
    }
  } catch (e) {
    const about = { consumer: input.consumer, job, stream: c.stream, group: c.group };
    logError("history_failed", { ...about, error: toReportError(e).message });
  }
}
