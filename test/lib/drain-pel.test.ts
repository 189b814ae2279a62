import { expect, it } from "vitest";
import { type DrainEvent, drain } from "../../src/lib/index";
import { fill } from "../helpers/drain-fixture";
import { upstash, useKeyspace } from "../helpers/redis";

const ks = useKeyspace("drain-pel");
const redis = upstash();

/** XINFO CONSUMERS as name → pending. */
async function pendingByConsumer(stream: string): Promise<Map<string, number>> {
  const rows = (await ks.d.sendCommand(["XINFO", "CONSUMERS", stream, "g"])) as unknown[][];
  return new Map(rows.map((r) => [String(r[1]), Number(r[3])]));
}

it("never lets one consumer hold more than 1,000 pending entries, moving on to a fresh name", async () => {
  const stream = ks.key("orders");
  await fill(ks.d, stream, 2_500);
  const events: DrainEvent[] = [];
  const report = await drain({
    redis,
    stream,
    group: "g",
    consumer: "cron-1",
    handler: () => {
      throw new Error("target down");
    },
    batchSize: 100,
    maxMessages: 2_500,
    onEvent: (e) => events.push(e),
  });
  expect(report).toMatchObject({ read: 2_500, failed: 2_500, stoppedBy: "max" });
  expect(report.error).toBeUndefined();
  const pel = await pendingByConsumer(stream);
  expect([...pel.values()].every((n) => n <= 1_000)).toBe(true);
  expect([...pel.values()].reduce((a, b) => a + b, 0)).toBe(2_500);
  expect(report.consumers).toEqual(["cron-1", "cron-1-2", "cron-1-3"]);
  expect(events.filter((e) => e.event === "consumer_rotated")).toHaveLength(2);
});

it("keeps one consumer name when successes keep its pending list short", async () => {
  const stream = ks.key("orders");
  await fill(ks.d, stream, 1_500);
  const report = await drain({
    redis,
    stream,
    group: "g",
    consumer: "cron-1",
    handler: () => {},
    batchSize: 100,
    maxMessages: 1_500,
  });
  expect(report).toMatchObject({ read: 1_500, acked: 1_500 });
  expect(report.consumers).toBeUndefined();
});

it("records each failed handler run for the sweep's count", async () => {
  const stream = ks.key("orders");
  const ids = await fill(ks.d, stream, 3);
  await drain({
    redis,
    stream,
    group: "g",
    consumer: "cron-1",
    handler: (m) => {
      if (m.fields.n !== "1") {
        throw new Error("no");
      }
    },
  });
  const failures = await ks.d.hGetAll(`${stream}:g:failures`);
  expect(failures).toEqual({ [ids[0] ?? ""]: "1", [ids[2] ?? ""]: "1" });
});
