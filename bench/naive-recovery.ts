/**
 * @module The naive recovery, a plain recovery pass written on `@upstash/redis` as the sweep's
 * baseline: `XPENDING`, then per message either `XCLAIM` + handler + `XACK`, or, once it has
 * reached MAX_DELIVERIES, `XRANGE` + `XADD` to the dead-letter stream + `XACK`. Sequential.
 */
import type { Redis } from "@upstash/redis";
import { type NaiveMessage, parseEntries } from "./naive-loop";

export type NaiveRecoveryOptions = {
  redis: Pick<Redis, "exec">;
  stream: string;
  group: string;
  consumer: string;
  dlqStream: string;
  minIdleMs: number;
  maxDeliveries: number;
  /** XPENDING page size. */
  count: number;
  handler: (message: NaiveMessage) => Promise<void>;
};

export type NaiveRecoveryReport = { retried: number; deadLettered: number; pages: number };

type PendingRow = [id: string, consumer: string, idleMs: number, deliveries: number];

/** Pages through the whole PEL once; returns what it did. */
export async function naiveRecovery(o: NaiveRecoveryOptions): Promise<NaiveRecoveryReport> {
  const { redis, stream, group } = o;
  const report: NaiveRecoveryReport = { retried: 0, deadLettered: 0, pages: 0 };
  let start = "-";
  for (;;) {
    const rows = await redis.exec<PendingRow[]>(["XPENDING", stream, group, start, "+", o.count]);
    report.pages++;
    for (const [id, , idleMs, deliveries] of rows) {
      if (Number(idleMs) < o.minIdleMs) {
        continue;
      }
      if (Number(deliveries) >= o.maxDeliveries) {
        const [entry] = parseEntries([[stream, await redis.exec(["XRANGE", stream, id, id])]]);
        const fields = Object.entries(entry?.fields ?? {}).flat();
        await redis.exec(["XADD", o.dlqStream, "*", ...fields, "original_id", id]);
        await redis.exec(["XACK", stream, group, id]);
        report.deadLettered++;
      } else {
        const claimed = await redis.exec(["XCLAIM", stream, group, o.consumer, o.minIdleMs, id]);
        const [message] = parseEntries([[stream, claimed]]);
        if (message) {
          await o.handler(message);
          await redis.exec(["XACK", stream, group, id]);
          report.retried++;
        }
      }
    }
    const last = rows[rows.length - 1];
    if (!last || rows.length < o.count) {
      return report;
    }
    start = `(${last[0]}`;
  }
}
