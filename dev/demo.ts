/**
 * @module `npm run demo`: the whole story on the local Redis, printed as it happens.
 * Payment events go in; good ones are charged, a flaky provider fails some once, a poison
 * one keeps failing, malformed ones are refused. Drain, sweep, dead-letter, fix, redrive,
 * stats. Uses fresh key names each run and deletes them at the end.
 */
import { randomBytes } from "node:crypto";
import { paymentsHandler } from "../examples/payments";
import {
  createStreamsRedis,
  type DrainReport,
  drain,
  getStats,
  listDeadLetters,
  type MessageHandler,
  redrive,
  type SweepReport,
  sweep,
} from "../src/lib/index";
import { startDemoBridge } from "./demo-bridge";

const MIN_IDLE_MS = 300;
const MAX_DELIVERIES = 3;
const run = `${Date.now().toString(36)}${randomBytes(2).toString("hex")}`;
const stream = `demo:${run}:orders:payments`;
const dlqStream = `${stream}:dlq`;
const group = "payment-processors";

const say = (text: string) => console.log(text);
let stepNo = 0;
const step = (text: string) => console.log(`\n== ${++stepNo}. ${text}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const { bridge, token } = await startDemoBridge();
const redis = createStreamsRedis({ url: bridge.url, token });

/** The payment provider: flaky for some orders the first time, always down for one. */
const attempts = new Map<string, number>();
let providerFixed = false;
const charge = paymentsHandler(async (payment) => {
  const n = (attempts.get(payment.orderID) ?? 0) + 1;
  attempts.set(payment.orderID, n);
  if (payment.orderID.startsWith("FLAKY") && n === 1) {
    throw new Error(`provider timeout charging ${payment.orderID}`);
  }
  if (payment.orderID === "POISON-1" && !providerFixed) {
    throw new Error("provider 500: card issuer unreachable");
  }
});
const handler: MessageHandler = async (message, ctx) => {
  try {
    await charge(message, ctx);
    say(`   ✓ ${message.fields.orderID} charged (delivery ${message.deliveries})`);
  } catch (e) {
    say(
      `   ✗ ${message.fields.orderID ?? "(no orderID)"} failed (delivery ${message.deliveries}): ${(e as Error).message}`,
    );
    throw e;
  }
};

function drainLine(r: DrainReport): string {
  return `read ${r.read}, acked ${r.acked}, failed ${r.failed}, dead-lettered ${r.deadLettered}, ${r.requests} requests, stopped by ${r.stoppedBy}`;
}
function sweepLine(r: SweepReport): string {
  return `claimed ${r.claimed}, retried ${r.retried}, acked ${r.acked}, dead-lettered ${r.deadLettered}, ${r.requests} requests`;
}

try {
  step(`Create group "${group}" on stream "${stream}" (XGROUP CREATE ... MKSTREAM)`);
  await redis.xgroup(stream, { type: "CREATE", group, id: "$", options: { MKSTREAM: true } });
  say(`   through the local Upstash REST bridge at ${bridge.url}`);

  step("Produce 12 payment events");
  const orders: Record<string, string>[] = [
    ...Array.from({ length: 8 }, (_, i) => ({ orderID: `A-${100 + i}`, amount: `${10 + i}.00` })),
    { orderID: "FLAKY-1", amount: "42.00" },
    { orderID: "FLAKY-2", amount: "7.50" },
    { orderID: "POISON-1", amount: "99.00" },
    { orderID: "BAD-1", amount: "-5" },
  ];
  for (const fields of orders) {
    await redis.xadd(stream, "*", fields);
  }
  say(
    `   ${orders.length} events: 8 normal, 2 on a flaky provider, 1 poison, 1 with a negative amount`,
  );

  step("Drain (cron job CONSUME_CRON): XREADGROUP batches, acks riding on the next read");
  const drained = await drain({
    redis,
    stream,
    group,
    consumer: `cron-${Date.now()}-demo01`,
    handler,
    batchSize: 5,
    minIdleMs: MIN_IDLE_MS,
    dlqStream,
  });
  say(`   drain: ${drainLine(drained)}`);

  for (let round = 1; round <= 4; round++) {
    await sleep(MIN_IDLE_MS * 2 ** (round - 1) + 50);
    step(
      `Sweep #${round} (cron job SWEEP_CRON): reclaim entries idle ≥ backoff, retry or dead-letter`,
    );
    const swept = await sweep({
      redis,
      stream,
      group,
      consumer: `cron-${Date.now()}-sweep${round}`,
      handler,
      minIdleMs: MIN_IDLE_MS,
      maxDeliveries: MAX_DELIVERIES,
      count: 100,
      timeBudgetMs: 10_000,
      dlqStream,
      consumerRetentionMs: 3_600_000,
    });
    say(`   sweep: ${sweepLine(swept)}`);
    const [pending] = (await redis.exec(["XPENDING", stream, group])) as [number];
    if (pending === 0) {
      say("   the pending list is empty");
      break;
    }
  }

  step("Dead-letter stream: what could not be processed, and why");
  const { entries } = await listDeadLetters({ redis, dlqStream });
  for (const e of entries) {
    say(
      `   ${e.originalId}  ${e.payload.orderID}  reason=${e.reason}  deliveries=${e.deliveries}  error="${e.error}"`,
    );
  }

  step("The provider is fixed; redrive the dead letters (dry run first), then drain again");
  providerFixed = true;
  const dry = await redrive({ redis, stream, dlqStream, dryRun: true });
  say(`   dry run: would move ${dry.moved.length} entries, DLQ unchanged`);
  const moved = await redrive({ redis, stream, dlqStream });
  say(`   redrive: moved ${moved.moved.length} entries back to ${stream}`);
  const again = await drain({
    redis,
    stream,
    group,
    consumer: `http-${Date.now()}-demo02`,
    handler,
    minIdleMs: MIN_IDLE_MS,
    dlqStream,
  });
  say(`   drain: ${drainLine(again)}   (BAD-1 is still bad input: back in the DLQ)`);

  step("Stats (GET /stats)");
  const stats = await getStats({ redis, stream, dlqStream });
  say(
    `   stream length ${stats.stream.length}, first ${stats.stream.firstEntryId}, last ${stats.stream.lastEntryId}, DLQ length ${stats.dlq.length}`,
  );
  console.table(
    stats.groups.flatMap((g) =>
      g.consumers.map((c) => ({
        group: g.name,
        consumer: c.name,
        pending: c.pending,
        "idle ms": c.idleMs,
        alert: c.alert,
        "group lag": g.lag,
        "group pending": g.pending,
      })),
    ),
  );
  say(`   bridge: ${bridge.stats().requests} HTTP requests for the whole demo`);
} finally {
  await redis.del(stream, dlqStream, `${stream}:${group}:sweep-cursor`);
  await bridge.close();
  say(`\nDone. Demo keys under demo:${run}: deleted.`);
}
