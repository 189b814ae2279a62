/** @module Sweep scenario: clear a PEL of k stuck messages, this project's sweep vs the naive recovery. */
import { DEFAULTS, sweep } from "../src/lib/index";
import { fillStream, handlerOf, pendingCount } from "./common";
import { type BenchContext, measured } from "./context";
import { naiveRecovery } from "./naive-recovery";

export type SweepImpl =
  | "sweep-exponential"
  | "sweep-fixed"
  | "sweep-exponential-count100"
  | "naive-recovery";

export type SweepCase = { impl: SweepImpl; rttMs: number; k: number; deadShare: number };

export type SweepRun = {
  wallMs: number;
  requests: number;
  requestsPerMessage: number;
  /** Sweep invocations it took to empty the PEL. */
  invocations: number;
  deadLettered: number;
  retried: number;
};

const GROUP = "g";
const MIN_IDLE_MS = DEFAULTS.minIdleMs;
const MAX_DELIVERIES = DEFAULTS.maxDeliveries;
/** Every entry is aged this much: ripe for the fixed and the exponential schedule alike. */
const AGE_MS = 3_600_000;

/**
 * k entries read by a drain that never acked them, aged with `XCLAIM ... IDLE RETRYCOUNT JUSTID`
 * (no waiting): every 1/deadShare-th one has MAX_DELIVERIES deliveries, the rest 1.
 */
async function stuckPel(ctx: BenchContext, stream: string, k: number, deadShare: number) {
  const ids = await fillStream(ctx.d, stream, GROUP, k);
  await ctx.d.sendCommand(["XREADGROUP", "GROUP", GROUP, "cron-1-drain", "STREAMS", stream, ">"]);
  const every = Math.round(1 / deadShare);
  const dead = ids.filter((_, i) => i % every === 0);
  const live = ids.filter((_, i) => i % every !== 0);
  const age = (some: string[], deliveries: number) =>
    ctx.d.sendCommand([
      ...["XCLAIM", stream, GROUP, "cron-1-drain", "0", ...some],
      ...["IDLE", String(AGE_MS), "RETRYCOUNT", String(deliveries), "JUSTID"],
    ]);
  await age(dead, MAX_DELIVERIES);
  // Their MAX_DELIVERIES failed runs, as the drain and earlier sweeps would have recorded them.
  await ctx.d.sendCommand([
    ...["HSET", `${stream}:${GROUP}:failures`],
    ...dead.flatMap((id) => [id, String(MAX_DELIVERIES)]),
  ]);
  await age(live, 1);
  return { dead: dead.length, live: live.length };
}

export async function sweepOnce(ctx: BenchContext, c: SweepCase, run: number): Promise<SweepRun> {
  const stream = ctx.key(`sweep:${c.impl}:${c.rttMs}:${run}`);
  const dlqStream = `${stream}:dlq`;
  const expected = await stuckPel(ctx, stream, c.k, c.deadShare);
  const handler = handlerOf(0);
  let handled = 0;
  const counting = async () => {
    await handler();
    handled++;
  };
  ctx.bridge.knobs.latencyMs = c.rttMs;
  const m = await measured(ctx, async () => {
    if (c.impl === "naive-recovery") {
      const r = await naiveRecovery({
        redis: ctx.redis,
        stream,
        group: GROUP,
        consumer: "recovery-worker",
        dlqStream,
        minIdleMs: MIN_IDLE_MS,
        maxDeliveries: MAX_DELIVERIES,
        count: DEFAULTS.sweepPageSize,
        handler: counting,
      });
      return { invocations: 1, deadLettered: r.deadLettered, retried: r.retried };
    }
    const totals = { invocations: 0, deadLettered: 0, retried: 0 };
    // One invocation sized for the whole PEL, or the defaults (count 100) run by cron until empty.
    const count = c.impl === "sweep-exponential-count100" ? DEFAULTS.sweepPageSize : c.k;
    for (let i = 0; i < 100; i++) {
      const report = await sweep({
        redis: ctx.redis,
        stream,
        group: GROUP,
        consumer: "cron-2-sweep",
        handler: counting,
        minIdleMs: MIN_IDLE_MS,
        maxDeliveries: MAX_DELIVERIES,
        count,
        timeBudgetMs: DEFAULTS.timeBudgetMs,
        dlqStream,
        consumerRetentionMs: DEFAULTS.consumerRetentionMs,
        retryBackoff: c.impl === "sweep-fixed" ? "fixed" : "exponential",
      });
      totals.invocations++;
      totals.deadLettered += report.deadLettered;
      totals.retried += report.retried;
      if ((await pendingCount(ctx.d, stream, GROUP)) === 0) {
        break;
      }
    }
    return totals;
  });
  ctx.bridge.knobs.latencyMs = 0;
  const pending = await pendingCount(ctx.d, stream, GROUP);
  const dlqLen = Number(await ctx.d.sendCommand(["XLEN", dlqStream]));
  const r = m.result;
  if (
    pending !== 0 ||
    dlqLen !== expected.dead ||
    r.deadLettered !== expected.dead ||
    handled !== expected.live
  ) {
    throw new Error(
      `${c.impl}: expected an empty PEL, ${expected.dead} dead letters and ${expected.live} retries; got ${pending} pending, ${dlqLen} in the DLQ, ${handled} retries`,
    );
  }
  await ctx.d.sendCommand([
    ...["UNLINK", stream, dlqStream, `${stream}:${GROUP}:sweep-cursor`],
    ...[`${stream}:${GROUP}:failures`, `${stream}:${GROUP}:group-start`],
  ]);
  return {
    wallMs: m.wallMs,
    requests: m.requests,
    requestsPerMessage: m.requests / c.k,
    invocations: r.invocations,
    deadLettered: r.deadLettered,
    retried: r.retried,
  };
}
