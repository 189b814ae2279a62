/**
 * @module The dashboard's browser suite set-up: the many-streams test Worker in Miniflare on
 * the bridge, and realistic data in three streams made the way production makes it (cron
 * drains and sweeps of the Worker itself), plus an hour of history and a consumer that died
 * holding messages.
 */
import type { Miniflare } from "miniflare";
import { inject } from "vitest";
import { type DrainReport, jobRecord, recordSnapshot } from "../../src/lib/index";
import type { TestKeyspace } from "../helpers/redis";
import { upstash } from "../helpers/redis";
import { sleep } from "../helpers/sleep";
import { startWorker, TICK_VARS } from "../helpers/worker";

export const TOKEN = "browser-admin-token";
/** A consumer idle this long with pending entries is flagged (5 min in production). */
export const ALERT_IDLE_MS = 1500;

export type Names = { orders: string; payments: string; emails: string };

export function namesOf(ks: TestKeyspace): Names {
  return { orders: ks.key("orders"), payments: ks.key("payments"), emails: ks.key("emails") };
}

/** The Worker, serving `names`' three streams with the test's handlers. */
export function startDashboardWorker(ks: TestKeyspace, logs: string[]): Promise<Miniflare> {
  const n = namesOf(ks);
  const streams = [
    { stream: n.orders, group: "fulfilment" },
    { stream: n.payments, group: "ledger", maxDeliveries: 2 },
    { stream: n.emails, group: "mailers" },
  ];
  return startWorker(
    {
      TEST_PREFIX: ks.prefix,
      DEFAULT_HANDLER: "1",
      STREAMS: JSON.stringify(streams),
      ADMIN_TOKEN: TOKEN,
      ALERT_IDLE_MS: String(ALERT_IDLE_MS),
      ...TICK_VARS,
    },
    logs,
    { script: inject("streamsWorkerScript") },
  );
}

async function cron(mf: Miniflare, expression: string): Promise<void> {
  await (await mf.getWorker()).scheduled({ cron: expression, scheduledTime: new Date() });
}

/** `n` entries added to `stream`, each with `fields(i)`. */
async function add(ks: TestKeyspace, stream: string, n: number, fields: (i: number) => string[]) {
  for (let i = 0; i < n; i++) {
    await ks.d.sendCommand(["XADD", stream, "*", ...fields(i)]);
  }
}

/** A cron drain's report as the history records it; tests set the counts. */
export const EMPTY_DRAIN: DrainReport = {
  consumer: "cron-history",
  read: 0,
  acked: 0,
  failed: 0,
  deadLettered: 0,
  skipped: 0,
  batches: 1,
  emptyPolls: 0,
  requests: 3,
  durationMs: 180,
  stoppedBy: "empty",
  peakConcurrency: 4,
};

/** An hour of one snapshot a minute for `stream`: traffic that rises, then a backlog. */
async function history(ks: TestKeyspace, stream: string, group: string): Promise<void> {
  const redis = upstash();
  const now = Date.now();
  for (let m = 59; m >= 1; m--) {
    const burst = 5 + Math.round(10 * Math.sin(m / 9) ** 2);
    await add(ks, stream, burst, (i) => ["order", `H-${m}-${i}`, "amount", String(10 + i)]);
    const read = (await ks.d.sendCommand([
      "XREADGROUP",
      "GROUP",
      group,
      "cron-history",
      "COUNT",
      String(burst - (m < 15 ? 3 : 0)),
      "STREAMS",
      stream,
      ">",
    ])) as [string, [string, string[]][]][] | null;
    const ids = read?.[0]?.[1].map(([id]) => id) ?? [];
    // Every fifth minute two messages stay unacked: pending builds up until the sweep.
    const acked = m % 5 === 0 ? ids.slice(2) : ids;
    if (acked.length > 0) {
      await ks.d.sendCommand(["XACK", stream, group, ...acked]);
    }
    const failed = m % 7 === 0 ? 1 : 0;
    const report = { ...EMPTY_DRAIN, read: ids.length, acked: acked.length, failed };
    const at = now - m * 60_000;
    const record = jobRecord("drain", report, at);
    await recordSnapshot({ redis, stream, group, dlqStream: `${stream}:dlq`, record, now: at });
  }
}

/**
 * Realistic data: the Worker's own cron drain and sweep over three streams (payments with
 * three messages its handler refuses for good, one of them `<script>`), then an hour of
 * history and a backlog on orders, and one orders consumer that read 7 messages and died.
 */
/** The consumer that keeps working: touched before a check, so only the dead one is idle. */
export const LIVE_CONSUMER = "cron-20261127T0312";
export const DEAD_CONSUMER = "http-9f3a1c-FRA";

/** A read of its own pending entries (id 0): counts as activity, changes nothing else. */
export async function touchLiveConsumer(ks: TestKeyspace): Promise<void> {
  const { orders } = namesOf(ks);
  const read = ["XREADGROUP", "GROUP", "fulfilment", LIVE_CONSUMER, "COUNT", "1"];
  await ks.d.sendCommand([...read, "STREAMS", orders, "0"]);
}

export async function fillStreams(ks: TestKeyspace, mf: Miniflare): Promise<void> {
  const n = namesOf(ks);
  await add(ks, n.orders, 40, (i) => ["order", `A-${1000 + i}`, "amount", String(20 + i)]);
  await add(ks, n.emails, 25, (i) => ["to", `user${i}@example.com`, "template", "receipt"]);
  await add(ks, n.payments, 30, (i) => {
    const body =
      i === 7
        ? "<script>alert(1)</script>"
        : JSON.stringify({ payment: `P-${i}`, cents: 1999 + i, currency: "EUR" });
    return ["body", body, ...(i === 7 || i === 12 || i === 21 ? ["fail", "permanent"] : [])];
  });
  await ks.d.sendCommand(["XGROUP", "CREATE", n.orders, "fulfilment", "0"]);
  await history(ks, n.orders, "fulfilment");
  // Past MIN_IDLE_MS, so the sweep retries (and acks) what the history left pending.
  await sleep(1100);
  await cron(mf, "* * * * *");
  await cron(mf, "*/5 * * * *");
  // A consumer that took 7 orders and never came back; a live one that took 5 since.
  await add(ks, n.orders, 180, (i) => ["order", `B-${2000 + i}`, "amount", String(5 + (i % 40))]);
  await ks.d.sendCommand([
    "XREADGROUP",
    "GROUP",
    "fulfilment",
    DEAD_CONSUMER,
    "COUNT",
    "7",
    "STREAMS",
    n.orders,
    ">",
  ]);
  await sleep(ALERT_IDLE_MS + 300);
  await ks.d.sendCommand([
    "XREADGROUP",
    "GROUP",
    "fulfilment",
    LIVE_CONSUMER,
    "COUNT",
    "5",
    "STREAMS",
    n.orders,
    ">",
  ]);
  await add(ks, n.emails, 4, (i) => ["to", `late${i}@example.com`, "template", "reminder"]);
}
