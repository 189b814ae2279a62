/**
 * @module What an idle stream costs: the Worker at its defaults, no traffic, one hour of cron
 * ticks (60 drains, 12 sweeps) fired back to back, Upstash commands counted by the bridge.
 */
import { deleteKeys } from "../common";
import type { BenchContext } from "../context";
import { fireTick } from "./crons";
import {
  BRIDGE_LATENCY_MS,
  CONSUME_CRON,
  CONSUME_EVERY_MS,
  IDLE_CONSUME_TICKS,
  IDLE_SWEEP_TICKS,
  SWEEP_CRON,
} from "./plan";
import type { LoadTarget } from "./target";
import { startLoadWorker } from "./worker";

export type IdleResult = {
  consumeTicks: number;
  sweepTicks: number;
  /** Per tick: what one drain of the empty stream and one sweep cost. */
  commandsPerConsumeTick: number;
  requestsPerConsumeTick: number;
  commandsPerSweepTick: number;
  requestsPerSweepTick: number;
  commandsPerHour: number;
  commandsPerDay: number;
  requestsPerDay: number;
  /** Ticks whose invocation did not end "ok". */
  failedTicks: number;
  events: Record<string, number>;
};

/** Every tick of the measured hour, in order: a drain each minute, a sweep each fifth. */
function hourOfTicks(): { cron: string; kind: "consume" | "sweep"; minute: number }[] {
  const ticks: { cron: string; kind: "consume" | "sweep"; minute: number }[] = [];
  const every = IDLE_CONSUME_TICKS / IDLE_SWEEP_TICKS;
  for (let minute = 0; minute < IDLE_CONSUME_TICKS; minute++) {
    ticks.push({ cron: CONSUME_CRON, kind: "consume", minute });
    if (minute % every === 0) {
      ticks.push({ cron: SWEEP_CRON, kind: "sweep", minute });
    }
  }
  return ticks;
}

/**
 * Creates the stream and its group, lets one drain and one sweep run first (the group's
 * metadata, the scripts loaded), then counts an hour of ticks. The scheduled times advance a
 * minute per tick, as the real ones would.
 */
export async function idleCost(
  ctx: BenchContext,
  script: string,
  target: LoadTarget,
): Promise<IdleResult> {
  const stream = ctx.key("idle");
  await ctx.d.sendCommand(["XGROUP", "CREATE", stream, "g", "$", "MKSTREAM"]);
  ctx.bridge.knobs.latencyMs = BRIDGE_LATENCY_MS;
  const worker = await startLoadWorker(
    script,
    {
      UPSTASH_REDIS_REST_URL: ctx.bridge.url,
      UPSTASH_REDIS_REST_TOKEN: ctx.token,
      STREAM: stream,
      GROUP: "g",
      TARGET_URL: target.begin("idle"),
    },
    false,
  );
  try {
    let failedTicks = 0;
    const base = Date.now();
    const fire = async (cron: string, minute: number) => {
      const r = await fireTick(worker.mf, cron, base + minute * CONSUME_EVERY_MS);
      if (r.outcome !== "ok") {
        failedTicks++;
      }
    };
    await fire(CONSUME_CRON, -1);
    await fire(SWEEP_CRON, -1);
    const spent = { consume: { commands: 0, requests: 0 }, sweep: { commands: 0, requests: 0 } };
    for (const tick of hourOfTicks()) {
      ctx.bridge.resetStats();
      await fire(tick.cron, tick.minute);
      const s = ctx.bridge.stats();
      spent[tick.kind].commands += s.commands;
      spent[tick.kind].requests += s.requests;
    }
    const perHour = spent.consume.commands + spent.sweep.commands;
    return {
      consumeTicks: IDLE_CONSUME_TICKS,
      sweepTicks: IDLE_SWEEP_TICKS,
      commandsPerConsumeTick: spent.consume.commands / IDLE_CONSUME_TICKS,
      requestsPerConsumeTick: spent.consume.requests / IDLE_CONSUME_TICKS,
      commandsPerSweepTick: spent.sweep.commands / IDLE_SWEEP_TICKS,
      requestsPerSweepTick: spent.sweep.requests / IDLE_SWEEP_TICKS,
      commandsPerHour: perHour,
      commandsPerDay: perHour * 24,
      requestsPerDay: (spent.consume.requests + spent.sweep.requests) * 24,
      failedTicks,
      events: worker.log.events,
    };
  } finally {
    await worker.dispose();
    ctx.bridge.knobs.latencyMs = 0;
    await deleteKeys(ctx.d, [`${stream}*`]);
  }
}
