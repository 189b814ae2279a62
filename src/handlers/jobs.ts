import { toReportError } from "../lib/errors";
import { releaseSlot, takeSlot } from "../lib/fanout/slots";
import {
  type DrainOptions,
  type DrainReport,
  drain,
  RANGES,
  RequestBudget,
  type SweepReport,
  sweep,
} from "../lib/index";
import { isQueueConsumer } from "../lib/queues/consumer";
import { SCRIPT_MAX_REQUESTS } from "../lib/redis/script";
import { common, type JobInput, recordHistory, streamTags } from "./job-input";
import { log, logError } from "./log";

export type DrainInput = JobInput & {
  /** Most messages read. @default MAX_MESSAGES */
  max?: number;
  /** Time budget. @default TIME_BUDGET_MS, CRON_BUDGET_MS when `continuous` */
  budgetMs?: number;
  /** This drain's share of the invocation's requests. @default MAX_REQUESTS */
  maxRequests?: number;
  /**
   * Keep polling after an empty read (POLL_MIN_MS, POLL_MAX_MS, POLL_IDLE_MS) while messages
   * keep arriving, instead of stopping at the first. @default false
   */
  continuous?: boolean;
  /** Called after each read that returned entries: where a fan-out controller plugs in. */
  onBatch?: DrainOptions["onBatch"];
};

function drainOptions(
  input: DrainInput,
  onFirstEntries?: DrainOptions["onFirstEntries"],
): DrainOptions {
  const { config: c } = input;
  const poll = { minMs: c.pollMinMs, maxMs: c.pollMaxMs, idleMs: c.pollIdleMs };
  return {
    ...common(input),
    batchSize: c.batchSize,
    // A continuous drain is bounded by its time budget and MAX_REQUESTS: capped at
    // MAX_MESSAGES, a busy stream would get no more than that per tick.
    maxMessages: input.max ?? (input.continuous ? RANGES.maxMessages[1] : c.maxMessages),
    timeBudgetMs: input.budgetMs ?? (input.continuous ? c.cronBudgetMs : c.timeBudgetMs),
    maxRequests: input.maxRequests ?? c.maxRequests,
    noAck: c.noAck,
    idempotencyTtlS: c.idempotencyTtlS,
    groupStartId: c.groupStartId,
    // Delayed messages are the Queues API's: its consumers move them in when due.
    delayed: isQueueConsumer(input.handler),
    ...(input.continuous ? { poll } : {}),
    onBatch: input.onBatch,
    onFirstEntries,
  };
}

/**
 * One drain with the configured limits; `max`/`budgetMs` narrow them (HTTP query). It takes
 * no slot: see {@link runContinuousDrain} for a drain the slot table counts. Once its report
 * is logged, the job is recorded in the group's history ({@link recordHistory}): outside
 * MAX_REQUESTS, one more request per stream per job.
 */
export async function runDrain(input: DrainInput): Promise<DrainReport> {
  const report = await drain(drainOptions(input));
  log("drain", { ...streamTags(input), ...report });
  await recordHistory(input, "drain", report);
  return report;
}

/**
 * Room a slot's expiry leaves past its drain's time budget: the drain's last handlers and
 * its final flush run after the budget stops the reads.
 */
export const SLOT_GRACE_MS = 10_000;

/**
 * Requests a continuous drain keeps back from its share for its slot: the take and the
 * release, each one script run (two after a `NOSCRIPT`).
 */
export const SLOT_REQUESTS = 2 * SCRIPT_MAX_REQUESTS;

/**
 * When a continuous drain takes its slot:
 * - `after-first-read`: once its first read returned entries, so a drain of an idle stream
 *   makes no slot call (the cron's). A full table then stops it reading further batches; what
 *   it read is still handled and acked (`stoppedBy: "max"`, and a `drain_cut_short` line).
 * - `at-start`: before it reads; a full table means it reads nothing (a woken or extra drain).
 * - `held`: the caller took it already under the drain's consumer name.
 *
 * Whichever way, a slot held is released when the drain ends (a killed drain's expires).
 */
export type SlotMode = "after-first-read" | "at-start" | "held";

export type ContinuousDrainInput = Omit<DrainInput, "continuous"> & {
  /** @default "after-first-read" */
  slot?: SlotMode;
  /** Live slots at which a take is refused. @default MAX_PARALLEL_DRAINS */
  slotMax?: number;
};

/**
 * A polling drain that holds a slot of the drain table for its life. Its requests, slot calls
 * included, stay within `maxRequests` (MAX_REQUESTS): {@link SLOT_REQUESTS} of them are kept
 * for the slot. Logs the report (`requests` counting the slot calls) as one `drain` line,
 * then records it in the group's history ({@link recordHistory}): outside MAX_REQUESTS, one
 * more request per stream per job, not in the report's `requests`.
 * @returns the report, or `null` when `slot: "at-start"` found the table full (nothing read;
 *   logged as `drain_skipped` with `reason: "slots_full"`)
 * @throws RedisCommandError when an `at-start` take fails (nothing read)
 * @see https://redis.io/commands/zadd
 */
export function runContinuousDrain(
  input: ContinuousDrainInput & { slot: "at-start" },
): Promise<DrainReport | null>;
export function runContinuousDrain(
  input: ContinuousDrainInput & { slot?: Exclude<SlotMode, "at-start"> },
): Promise<DrainReport>;
export async function runContinuousDrain(input: ContinuousDrainInput): Promise<DrainReport | null> {
  const { config: c, consumer } = input;
  const mode = input.slot ?? "after-first-read";
  const budgetMs = input.budgetMs ?? c.cronBudgetMs;
  const slotBudget = new RequestBudget(SLOT_REQUESTS);
  const slot = {
    redis: input.redis,
    stream: c.stream,
    group: c.group,
    consumer,
    budget: slotBudget,
  };
  const take = { ...slot, expiresAt: Date.now() + budgetMs + SLOT_GRACE_MS };
  const max = input.slotMax ?? c.maxParallelDrains;
  let held = mode === "held" || (mode === "at-start" && (await takeSlot({ ...take, max })));
  if (mode === "at-start" && !held) {
    log("drain_skipped", {
      consumer,
      ...streamTags(input),
      reason: "slots_full",
      maxParallelDrains: max,
    });
    return null;
  }
  const onFirstEntries = async () => {
    held = await takeSlot({ ...take, max });
    if (!held) {
      const why = { reason: "slots_full", maxParallelDrains: max };
      log("drain_cut_short", { consumer, ...streamTags(input), ...why });
    }
    return held;
  };
  const maxRequests = (input.maxRequests ?? c.maxRequests) - SLOT_REQUESTS;
  const options = drainOptions(
    { ...input, continuous: true, budgetMs, maxRequests },
    mode === "after-first-read" ? onFirstEntries : undefined,
  );
  let report: DrainReport;
  try {
    report = await drain(options);
  } finally {
    if (held) {
      await release(slot);
    }
  }
  report.requests += slotBudget.used;
  log("drain", { ...streamTags(input), ...report });
  await recordHistory(input, "drain", report);
  return report;
}

/** Frees a drain's slot; a failure is logged (the slot expires on its own). */
async function release(slot: Parameters<typeof releaseSlot>[0]): Promise<void> {
  try {
    await releaseSlot(slot);
  } catch (e) {
    logError("redis_error", {
      consumer: slot.consumer,
      during: "slot_release",
      error: toReportError(e).message,
    });
  }
}

/**
 * One sweep with the configured limits. Once its report is logged, the job is recorded in
 * the group's history ({@link recordHistory}): outside MAX_REQUESTS, one more request per
 * stream per job.
 */
export async function runSweep(input: JobInput): Promise<SweepReport> {
  const { config: c } = input;
  const report = await sweep({
    ...common(input),
    maxDeliveries: c.maxDeliveries,
    count: c.maxMessages,
    timeBudgetMs: c.timeBudgetMs,
    consumerRetentionMs: c.consumerRetentionMs,
    retryBackoff: c.retryBackoff,
    maxBackoffMs: c.maxBackoffMs,
    trim: c.trim,
    idempotencyTtlS: c.idempotencyTtlS,
    retryDelays: isQueueConsumer(input.handler),
  });
  log("sweep", { ...streamTags(input), ...report });
  await recordHistory(input, "sweep", report);
  return report;
}
