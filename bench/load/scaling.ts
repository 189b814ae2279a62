/**
 * @module Fan-out scaling: K `drain()` calls at once on one pre-filled backlog, each under its
 * own consumer name, at 5 ms per request and a 20 ms handler; throughput against K = 1.
 */
import { drain } from "../../src/lib/index";
import { fillStream, handlerOf, median, pendingCount } from "../common";
import type { BenchContext } from "../context";
import { BRIDGE_LATENCY_MS, HANDLER_MS, SCALING_KS, SCALING_PER_DRAIN, SCALING_RUNS } from "./plan";

export type ScalingResult = {
  k: number;
  n: number;
  runs: { wallMs: number; messagesPerS: number; requests: number }[];
  messagesPerS: number;
  /** Throughput over K = 1's. */
  ratio: number;
  /** ratio / K: 1 is perfect scaling; the goal is at least 0.8. */
  efficiency: number;
};

/** One run of K drains over K × SCALING_PER_DRAIN messages, until each reads nothing. */
async function scalingOnce(ctx: BenchContext, k: number, run: number) {
  const stream = ctx.key(`scaling:${k}:${run}`);
  const n = k * SCALING_PER_DRAIN;
  await fillStream(ctx.d, stream, "g", n);
  ctx.bridge.knobs.latencyMs = BRIDGE_LATENCY_MS;
  const before = ctx.bridge.stats().requests;
  const handler = handlerOf(HANDLER_MS);
  const t0 = performance.now();
  const reports = await Promise.all(
    Array.from({ length: k }, (_, i) =>
      drain({
        redis: ctx.redis,
        stream,
        group: "g",
        consumer: `scaling-${k}-p${i + 1}`,
        handler,
        maxMessages: 1_000_000,
        timeBudgetMs: 900_000,
        maxRequests: 100_000,
      }),
    ),
  );
  const wallMs = performance.now() - t0;
  ctx.bridge.knobs.latencyMs = 0;
  const acked = reports.reduce((s, r) => s + r.acked, 0);
  const pending = await pendingCount(ctx.d, stream, "g");
  const failed = reports.find((r) => r.error);
  if (acked !== n || pending !== 0 || failed) {
    throw new Error(
      `scaling K=${k}: acked ${acked} of ${n}, ${pending} pending${failed ? `, ${failed.error?.message}` : ""}`,
    );
  }
  await ctx.d.sendCommand(["UNLINK", stream]);
  return {
    wallMs,
    messagesPerS: (n / wallMs) * 1000,
    requests: ctx.bridge.stats().requests - before,
  };
}

/** Every K of SCALING_KS, SCALING_RUNS runs each, at the drain's default batch and concurrency. */
export async function fanoutScaling(
  ctx: BenchContext,
  onRun: (k: number, r: { wallMs: number; messagesPerS: number }) => void,
): Promise<ScalingResult[]> {
  const results: Omit<ScalingResult, "ratio" | "efficiency">[] = [];
  for (const k of SCALING_KS) {
    const runs: ScalingResult["runs"] = [];
    for (let run = 0; run < SCALING_RUNS; run++) {
      const r = await scalingOnce(ctx, k, run);
      onRun(k, r);
      runs.push(r);
    }
    const messagesPerS = median(runs.map((r) => r.messagesPerS));
    results.push({ k, n: k * SCALING_PER_DRAIN, runs, messagesPerS });
  }
  const one = results.find((r) => r.k === 1)?.messagesPerS ?? Number.NaN;
  return results.map((r) => ({
    ...r,
    ratio: r.messagesPerS / one,
    efficiency: r.messagesPerS / one / r.k,
  }));
}
