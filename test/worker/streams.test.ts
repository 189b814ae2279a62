import type { Miniflare } from "miniflare";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { agePending, pendingCount } from "../helpers/drain-fixture";
import { type ReportServer, startReports } from "../helpers/handler-reports";
import { linesOf } from "../helpers/log-lines";
import { useBridge } from "../helpers/own-bridge";
import { useKeyspace } from "../helpers/redis";
import { startTarget, type Target } from "../helpers/target";
import { startWorker, TICK_VARS } from "../helpers/worker";

const TOKEN = "streams-admin-token";
const CONSUME = "* * * * *";
const SWEEP = "*/5 * * * *";

const ks = useKeyspace("streams");
// Its request counter is this file's alone.
const bridge = useBridge();
const { d } = ks;
let reports: ReportServer;
let target: Target;
let mf: Miniflare | undefined;
let logs: string[] = [];
let payments: string;
let emails: string;
let webhooks: string;

beforeAll(async () => {
  reports = await startReports();
  target = await startTarget();
});
afterAll(async () => {
  await reports.close();
  await target.close();
});
beforeEach(() => {
  payments = ks.key("payments");
  emails = ks.key("emails");
  webhooks = ks.key("webhooks");
  reports.reports.length = 0;
  target.deliveries.length = 0;
});
afterEach(async () => {
  await mf?.dispose();
  mf = undefined;
});

/** The test Worker (a handler per stream) with these STREAMS entries. */
async function worker(
  streams: object[],
  vars: Record<string, string> = {},
  self = false,
): Promise<Miniflare> {
  logs = [];
  mf = await startWorker(
    {
      TEST_PREFIX: ks.prefix,
      STREAMS: JSON.stringify(streams),
      ADMIN_TOKEN: TOKEN,
      ...TICK_VARS,
      ...vars,
    },
    logs,
    { script: inject("streamsWorkerScript"), self },
  );
  return mf;
}

async function cron(m: Miniflare, expression: string) {
  return (await m.getWorker()).scheduled({ cron: expression, scheduledTime: new Date() });
}

type TickStream = { stream: string; read?: number; requests: number; deadLettered: number };

const lines = (event: string) => linesOf(logs, event);

/** The figures of `stream` in the last `tick` line of `job`. */
function tickOf(job: "drain" | "sweep", stream: string): TickStream | undefined {
  const tick = lines("tick")
    .filter((l) => l.job === job)
    .at(-1);
  return (tick?.streams as TickStream[] | undefined)?.find((s) => s.stream === stream);
}

/** Adds `n` entries with these fields in one pipeline. */
async function add(stream: string, n: number, fields: Record<string, string> = {}) {
  const multi = d.multi();
  for (let i = 0; i < n; i++) {
    multi.addCommand(["XADD", stream, "*", "n", String(i), ...Object.entries(fields).flat()]);
  }
  return (await multi.execAsPipeline()).map(String);
}

const dlqLength = async (key: string) => Number(await d.sendCommand(["XLEN", key]));

describe("one tick over several streams", () => {
  it("drains three streams with different settings, each with its own handler, DLQ and limits", async () => {
    const report = { report: reports.url };
    await add(payments, 1, { fail: "permanent" });
    await add(payments, 9, report);
    await add(emails, 5, report);
    await add(emails, 1, { fail: "permanent" });
    await add(webhooks, 1, { status: "422" });
    await add(webhooks, 5);
    const m = await worker([
      {
        stream: payments,
        group: "pay",
        batchSize: 3,
        maxMessages: 6,
        dlqStream: `${payments}:dead`,
      },
      { stream: emails, group: "mail", batchSize: 10, concurrency: 2 },
      { stream: webhooks, group: "fwd", targetUrl: target.url, maxMessages: 4 },
    ]);

    expect((await cron(m, CONSUME)).outcome).toBe("ok");

    expect(reports.handlersOf(payments)).toEqual(["pay"]);
    expect(reports.handlersOf(emails)).toEqual(["send"]);
    expect(tickOf("drain", payments)?.read).toBe(6);
    expect(tickOf("drain", emails)?.read).toBe(6);
    expect(tickOf("drain", webhooks)?.read).toBe(4);
    expect(target.deliveries).toHaveLength(4);
    expect(await dlqLength(`${payments}:dead`)).toBe(1);
    expect(await dlqLength(`${payments}:dlq`)).toBe(0);
    expect(await dlqLength(`${emails}:dlq`)).toBe(1);
    expect(await dlqLength(`${webhooks}:dlq`)).toBe(1);
  });

  it("lists every stream's figures in one tick line, its requests those the bridge counted", async () => {
    await add(payments, 3, { report: reports.url });
    await add(emails, 2, { report: reports.url });
    const own = { UPSTASH_REDIS_REST_URL: bridge().url, UPSTASH_REDIS_REST_TOKEN: "t" };
    const m = await worker(
      [
        { stream: payments, group: "pay" },
        { stream: emails, group: "mail" },
      ],
      own,
    );
    const before = bridge().stats().requests;
    await cron(m, CONSUME);
    const [tick] = lines("tick");
    const streams = tick?.streams as TickStream[];
    expect(streams.map((s) => [s.stream, s.read])).toEqual([
      [payments, 3],
      [emails, 2],
    ]);
    expect(tick?.requests).toBe(bridge().stats().requests - before);
    // Each stream's history record, one script run, is outside its report's requests.
    expect(tick?.historyRequests).toBe(2);
    expect(tick?.requests).toBe(streams.reduce((n, s) => n + s.requests, 0) + 2);
  });

  it("drains a stream of 10 in the same tick as a stream of 10,000 listed before it", async () => {
    await add(payments, 10_000);
    // Slow handlers: while they run, the big stream could spend every request of the tick.
    await add(emails, 10, { report: `${reports.url}?delayMs=40` });
    const m = await worker(
      [
        { stream: payments, group: "pay", batchSize: 100, maxMessages: 10_000 },
        { stream: emails, group: "mail", batchSize: 1 },
      ],
      { MAX_REQUESTS: "30" },
    );
    await cron(m, CONSUME);
    expect(reports.reports.filter((r) => r.stream === emails)).toHaveLength(10);
    expect(await pendingCount(d, emails, "mail")).toBe(0);
    const big = tickOf("drain", payments);
    expect(big?.read).toBeGreaterThan(0);
    expect(big?.read).toBeLessThan(10_000);
    expect(lines("tick")[0]?.requests).toBeLessThanOrEqual(30);
  });

  it("acks everything it handled when the streams together use up MAX_REQUESTS", async () => {
    for (const stream of [payments, emails, webhooks]) {
      // Each handler makes one fetch, as a webhook would: the drains finish at uneven times.
      await add(stream, 1000, { report: reports.url });
    }
    const m = await worker(
      [payments, emails, webhooks].map((stream) => ({ stream, group: "g", maxMessages: 10_000 })),
      { MAX_REQUESTS: "50", DEFAULT_HANDLER: "1" },
    );
    for (let tick = 0; tick < 3; tick++) {
      await cron(m, CONSUME);
    }
    expect(lines("acks_left_pending")).toEqual([]);
    for (const stream of [payments, emails, webhooks]) {
      expect(await pendingCount(d, stream, "g")).toBe(0);
    }
  });

  it("leaves a failing stream's messages pending while the others are acked", async () => {
    await add(payments, 5, { fail: "always" });
    await add(emails, 5, { report: reports.url });
    await add(webhooks, 3);
    const m = await worker([
      { stream: payments, group: "pay" },
      { stream: emails, group: "mail" },
      { stream: webhooks, group: "fwd", targetUrl: target.url },
    ]);
    await cron(m, CONSUME);
    expect(await pendingCount(d, payments, "pay")).toBe(5);
    expect(await pendingCount(d, emails, "mail")).toBe(0);
    expect(await pendingCount(d, webhooks, "fwd")).toBe(0);
    expect(reports.handlersOf(emails)).toEqual(["send"]);
    expect(target.deliveries).toHaveLength(3);
  });

  it("sweeps every stream in one tick, dead-lettering by each stream's own MAX_DELIVERIES", async () => {
    await add(payments, 2, { fail: "always" });
    await add(emails, 2, { fail: "always" });
    const m = await worker([
      { stream: payments, group: "pay", maxDeliveries: 1 },
      { stream: emails, group: "mail", maxDeliveries: 5 },
    ]);
    await cron(m, CONSUME);
    await agePending(d, payments, "pay");
    await agePending(d, emails, "mail");
    await cron(m, SWEEP);
    expect(await dlqLength(`${payments}:dlq`)).toBe(2);
    expect(await dlqLength(`${emails}:dlq`)).toBe(0);
    expect(await pendingCount(d, emails, "mail")).toBe(2);
    expect(tickOf("sweep", payments)?.deadLettered).toBe(2);
  });
});

describe("continuous drains over several streams", () => {
  it("polls every stream and fans out the one that falls behind, through SELF, for it alone", async () => {
    const slow = { report: `${reports.url}?delayMs=20` };
    const backlog = await add(payments, 1500, slow);
    await add(emails, 5, { report: reports.url });
    const m = await worker(
      [
        { stream: payments, group: "pay", batchSize: 20, concurrency: 5, maxParallelDrains: 3 },
        { stream: emails, group: "mail" },
      ],
      {
        DRAIN_MODE: "continuous",
        CRON_BUDGET_MS: "4000",
        POLL_IDLE_MS: "200",
        GROUP_START_ID: "0",
      },
      true,
    );
    await cron(m, CONSUME);
    const extra = lines("drain").filter((l) => String(l.consumer).startsWith("http-"));
    expect(extra.length).toBeGreaterThanOrEqual(1);
    expect(new Set(extra.map((l) => l.stream))).toEqual(new Set([payments]));
    expect(reports.reports.filter((r) => r.stream === emails)).toHaveLength(5);
    // Each entry was handled once, by one of the stream's drains; none is left pending.
    const handled = reports.reports.filter((r) => r.stream === payments).map((r) => r.id);
    expect(new Set(handled).size).toBe(handled.length);
    expect(handled.every((id) => backlog.includes(id))).toBe(true);
    expect(await pendingCount(d, payments, "pay")).toBe(0);
    expect(tickOf("drain", emails)?.read).toBe(5);
  });
});

describe("a tick that cannot run", () => {
  it("skips the cron naming the entry and the field of a bad setting", async () => {
    await add(emails, 1, { report: reports.url });
    const m = await worker([
      { stream: payments, group: "pay" },
      { stream: emails, group: "mail", batchSize: 0 },
    ]);
    await cron(m, CONSUME);
    const [skipped] = lines("cron_skipped");
    expect(skipped?.variables).toEqual(["STREAMS[1].batchSize"]);
    expect(skipped?.error).toMatch(/^STREAMS\[1\]\.batchSize must be an integer between 1 and/);
    expect(reports.reports).toHaveLength(0);
  });

  it("skips the cron naming a stream that has neither a handler nor a target URL", async () => {
    await add(payments, 1, { report: reports.url });
    const m = await worker([
      { stream: payments, group: "pay" },
      { stream: emails, group: "mail" },
      { stream: webhooks, group: "fwd" },
    ]);
    await cron(m, CONSUME);
    const [skipped] = lines("cron_skipped");
    expect(skipped?.variables).toEqual(["STREAMS[2].targetUrl"]);
    expect(skipped?.error).toContain(`stream "${webhooks}" (STREAMS[2]) has no handler`);
    expect(reports.reports).toHaveLength(0);
  });

  it("skips the cron naming a handler given for a stream that is not configured", async () => {
    await add(emails, 1, { report: reports.url });
    const m = await worker([
      { stream: emails, group: "mail" },
      { stream: webhooks, group: "fwd", targetUrl: target.url },
    ]);
    await cron(m, CONSUME);
    const [skipped] = lines("cron_skipped");
    expect(skipped?.error).toContain(
      `handlers["${payments}"] of createWorker names no configured stream`,
    );
    expect(reports.reports).toHaveLength(0);
  });

  it("gives a stream without a handler of its own the default handler", async () => {
    await add(webhooks, 2, { report: reports.url });
    const m = await worker(
      [
        { stream: payments, group: "pay" },
        { stream: emails, group: "mail" },
        { stream: webhooks, group: "fwd" },
      ],
      { DEFAULT_HANDLER: "1" },
    );
    await cron(m, CONSUME);
    expect(reports.handlersOf(webhooks)).toEqual(["default"]);
  });
});
