import type { Miniflare } from "miniflare";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { createQueue } from "../../src/lib/queues/producer";
import { agePending, pendingCount } from "../helpers/drain-fixture";
import { type JsonSink, startJsonSink } from "../helpers/json-sink";
import { linesOf } from "../helpers/log-lines";
import { upstash, useKeyspace } from "../helpers/redis";
import { sleep } from "../helpers/sleep";
import { startWorker, TICK_VARS } from "../helpers/worker";

const CONSUME = "* * * * *";
const SWEEP = "*/5 * * * *";
const GROUP = "consumers";

type Seen = { queue: string; messages: { id: string; attempts: number; body: Body }[] };
type Body = { report: string; act?: "ack" | "retry" | number; throw?: boolean; n?: number };

const ks = useKeyspace("queues");
const { d } = ks;
let sink: JsonSink<Seen>;
let mf: Miniflare | undefined;
let logs: string[] = [];
let stream: string;

beforeAll(async () => {
  sink = await startJsonSink<Seen>();
});
afterAll(async () => {
  await sink.close();
});
beforeEach(() => {
  stream = ks.key("jobs");
  sink.received.length = 0;
});
afterEach(async () => {
  await mf?.dispose();
  mf = undefined;
});

async function worker(vars: Record<string, string> = {}): Promise<Miniflare> {
  logs = [];
  mf = await startWorker(
    {
      STREAM: stream,
      GROUP,
      ...TICK_VARS,
      ...vars,
    },
    logs,
    { script: inject("queueWorkerScript") },
  );
  return mf;
}

const tick = async (m: Miniflare, cron: string) =>
  (await m.getWorker()).scheduled({ cron, scheduledTime: new Date() });

/** Makes every pending entry look idle past MIN_IDLE_MS, without counting a delivery. */
const ageAll = () => agePending(d, stream, GROUP);

const send = (bodies: Omit<Body, "report">[]) =>
  createQueue<Body>(upstash(), stream).sendBatch(
    bodies.map((b) => ({ body: { report: sink.url, ...b } })),
  );

/** Every delivery the consumer saw, as `n@attempts`, in order. */
const deliveries = () =>
  sink.received.flatMap((b) => b.messages.map((m) => `${m.body.n}@${m.attempts}`));

const dlq = async () =>
  (await d.sendCommand(["XRANGE", `${stream}:dlq`, "-", "+"])) as [string, string[]][];

describe("a Queues consumer on a stream", () => {
  it("gets what one read returned as one batch named after the stream, and acks it on return", async () => {
    await send([{ n: 1 }, { n: 2 }, { n: 3 }]);
    await tick(await worker(), CONSUME);
    expect(sink.received).toHaveLength(1);
    expect(sink.received[0]?.queue).toBe(stream);
    expect(deliveries()).toEqual(["1@1", "2@1", "3@1"]);
    expect(await pendingCount(d, stream, GROUP)).toBe(0);
  });

  it("keeps an explicitly acked message acked when the consumer throws after it", async () => {
    await send([{ n: 1, act: "ack" }, { n: 2 }, { n: 3, throw: true }]);
    await tick(await worker(), CONSUME);
    const ids = sink.received[0]?.messages.map((m) => m.id) ?? [];
    const rows = (await d.sendCommand(["XPENDING", stream, GROUP, "-", "+", "10"])) as string[][];
    expect(ids).toHaveLength(3);
    expect(rows.map((row) => row[0])).toEqual(ids.slice(1));
  });

  it("retries the messages a throw left undecided, with attempts grown", async () => {
    const m = await worker();
    await send([
      { n: 1, act: "ack" },
      { n: 2, throw: true },
    ]);
    await tick(m, CONSUME);
    await ageAll();
    await tick(m, SWEEP);
    expect(deliveries()).toEqual(["1@1", "2@1", "2@2"]);
  });

  it("redelivers an explicit retry, its attempts one more each time", async () => {
    const m = await worker({ MAX_DELIVERIES: "5" });
    await send([{ n: 1, act: "retry" }]);
    await tick(m, CONSUME);
    for (let i = 0; i < 2; i++) {
      await ageAll();
      await tick(m, SWEEP);
    }
    expect(deliveries()).toEqual(["1@1", "1@2", "1@3"]);
  });

  it("does not redeliver a retry with a delay before the delay, and does after it", async () => {
    const m = await worker();
    await send([{ n: 1, act: 2 }]);
    await tick(m, CONSUME);
    const retriedAt = Date.now();
    await ageAll();
    await tick(m, SWEEP);
    expect(deliveries()).toEqual(["1@1"]);
    await sleep(2000 - (Date.now() - retriedAt) + 50);
    await tick(m, SWEEP);
    expect(deliveries()).toEqual(["1@1", "1@2"]);
  });

  it("dead-letters a message after MAX_DELIVERIES failed runs, with reason max_deliveries", async () => {
    const m = await worker({ MAX_DELIVERIES: "2" });
    await send([{ n: 1, act: "retry" }]);
    await tick(m, CONSUME);
    for (let i = 0; i < 2; i++) {
      await ageAll();
      await tick(m, SWEEP);
    }
    expect(deliveries()).toEqual(["1@1", "1@2"]);
    const [letter] = await dlq();
    const fields = letter?.[1] ?? [];
    expect(fields[fields.indexOf("reason") + 1]).toBe("max_deliveries");
    expect(fields[fields.indexOf("error") + 1]).toBe(
      "exceeded MAX_DELIVERIES=2: 2 handler runs failed",
    );
    expect(await pendingCount(d, stream, GROUP)).toBe(0);
  });

  it("hands a message published through the Worker to the consumer with no cron fired", async () => {
    const m = await worker({ DRAIN_MODE: "continuous", PUBLISH_TOKEN: "queues-publisher" });
    const res = await m.dispatchFetch("http://worker/publish", {
      method: "POST",
      headers: { authorization: "Bearer queues-publisher", "content-type": "application/json" },
      body: JSON.stringify({ body: { report: sink.url, n: 9 } }),
    });
    expect(res.status).toBe(201);
    for (let i = 0; i < 100 && sink.received.length === 0; i++) {
      await sleep(50);
    }
    expect(deliveries()).toEqual(["9@1"]);
  });

  it("delivers a message sent with a delay no earlier than the delay", async () => {
    const m = await worker();
    const sentAt = Date.now();
    await createQueue<Body>(upstash(), stream).send(
      { report: sink.url, n: 7 },
      { delaySeconds: 2 },
    );
    await tick(m, CONSUME);
    expect(deliveries()).toEqual([]);
    await sleep(2000 - (Date.now() - sentAt) + 50);
    await tick(m, CONSUME);
    expect(deliveries()).toEqual(["7@1"]);
    expect(linesOf(logs, "delayed_promoted")).toHaveLength(1);
  });
});
