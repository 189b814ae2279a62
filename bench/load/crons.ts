/**
 * @module The cron triggers of a load run, fired on their schedule by the benchmark: a tick is
 * not awaited before the next one fires, as a continuous drain may outlive its minute.
 */
import type { Miniflare } from "miniflare";
import { CONSUME_CRON, CONSUME_EVERY_MS, SWEEP_CRON, SWEEP_EVERY_MS } from "./plan";

export type TickCounts = {
  consume: number;
  sweep: number;
  /** Invocations that ended with another outcome than "ok" (or could not be sent). */
  failed: number;
  /** Invocations still running when the run ended (cut short by the Worker's disposal). */
  unfinished: number;
  /** Most invocations running at once. */
  peakRunning: number;
};

export type CronClock = {
  counts: TickCounts;
  /** Fires no more ticks; those running go on until the Worker is disposed. */
  stop(): void;
};

/** Fires one tick; resolves when its invocation ends. */
export async function fireTick(mf: Miniflare, cron: string, scheduledTime: number) {
  const worker = await mf.getWorker();
  return worker.scheduled({ cron, scheduledTime: new Date(scheduledTime) });
}

/** Fires CONSUME_CRON and SWEEP_CRON now, then every minute and every five minutes. */
export function startCrons(mf: Miniflare): CronClock {
  const counts: TickCounts = { consume: 0, sweep: 0, failed: 0, unfinished: 0, peakRunning: 0 };
  let running = 0;
  let stopped = false;
  const fire = (cron: string, kind: "consume" | "sweep") => {
    counts[kind]++;
    counts.peakRunning = Math.max(counts.peakRunning, ++running);
    fireTick(mf, cron, Date.now())
      .then(
        (r) => r.outcome === "ok",
        () => false,
      )
      .then((ok) => {
        running--;
        // Once stopped, the Worker's disposal ends what still runs: counted as unfinished.
        if (!ok && !stopped) {
          counts.failed++;
        }
      });
  };
  fire(CONSUME_CRON, "consume");
  fire(SWEEP_CRON, "sweep");
  const timers = [
    setInterval(() => fire(CONSUME_CRON, "consume"), CONSUME_EVERY_MS),
    setInterval(() => fire(SWEEP_CRON, "sweep"), SWEEP_EVERY_MS),
  ];
  return {
    counts,
    stop: () => {
      stopped = true;
      counts.unfinished = running;
      for (const t of timers) {
        clearInterval(t);
      }
    },
  };
}
