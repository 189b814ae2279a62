/** @module How many messages one invocation drains within a subrequest cap (maxRequests). */
import { drain } from "../src/lib/index";
import { fillStream, handlerOf, pendingCount } from "./common";
import { type BenchContext, measured } from "./context";

export type LimitCase = {
  maxRequests: number;
  batchSize: number;
  concurrency: number;
  rttMs: number;
};

export type LimitRun = {
  drained: number;
  requests: number;
  wallMs: number;
  stoppedBy: string;
};

export async function limitOnce(ctx: BenchContext, c: LimitCase, run: number): Promise<LimitRun> {
  const group = "g";
  const stream = ctx.key(`limit:${c.maxRequests}:${c.batchSize}:${run}`);
  // More than the cap can carry, so the cap is what stops the drain.
  await fillStream(ctx.d, stream, group, c.maxRequests * c.batchSize + c.batchSize);
  ctx.bridge.knobs.latencyMs = c.rttMs;
  const m = await measured(ctx, () =>
    drain({
      redis: ctx.redis,
      stream,
      group,
      consumer: `bench-limit-${run}`,
      handler: handlerOf(0),
      batchSize: c.batchSize,
      concurrency: c.concurrency,
      maxMessages: 1_000_000,
      maxRequests: c.maxRequests,
    }),
  );
  ctx.bridge.knobs.latencyMs = 0;
  const report = m.result;
  const pending = await pendingCount(ctx.d, stream, group);
  if (report.error || pending !== 0 || m.requests > c.maxRequests) {
    throw new Error(
      `limit ${c.maxRequests}: ${pending} left pending, ${m.requests} requests, ${report.error?.message ?? "no error"}`,
    );
  }
  await ctx.d.sendCommand(["UNLINK", stream]);
  return {
    drained: report.acked,
    requests: m.requests,
    wallMs: m.wallMs,
    stoppedBy: report.stoppedBy,
  };
}
