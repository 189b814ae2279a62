/**
 * Cloudflare's own Queues examples, their code unchanged (test/worker/fixtures/cf-*.ts), run in
 * workerd on a stream: the example's `fetch` sends through `withQueues`, a drain tick runs its
 * consumer, and the suite checks what the consumer did (its log lines) and what Redis holds.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Miniflare } from "miniflare";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { createQueue } from "../../src/lib/queues/producer";
import { streamKeys } from "../../src/lib/redis/keys";
import { agePending, pendingCount } from "../helpers/drain-fixture";
import { linesOf } from "../helpers/log-lines";
import { upstash, useKeyspace } from "../helpers/redis";
import { sleep } from "../helpers/sleep";
import { startWorker, TICK_VARS } from "../helpers/worker";

const CONSUME = "* * * * *";
const SWEEP = "*/5 * * * *";
const GROUP = "consumers";

const ks = useKeyspace("cf-examples");
const { d } = ks;
let mf: Miniflare | undefined;
let logs: string[] = [];
let stream: string;

beforeEach(() => {
  stream = ks.key("queue");
});
afterEach(async () => {
  await mf?.dispose();
  mf = undefined;
});

/**
 * An example's Worker on this test's stream. Messages sent before its first drain count (the
 * group starts at 0), each tick drains once, and the sweep may retry after 1 s idle.
 */
async function worker(script: string, vars: Record<string, string> = {}): Promise<Miniflare> {
  logs = [];
  mf = await startWorker(
    {
      STREAM: stream,
      GROUP,
      ...TICK_VARS,
      ...vars,
    },
    logs,
    { script },
  );
  return mf;
}

const tick = async (m: Miniflare, cron: string) =>
  (await m.getWorker()).scheduled({ cron, scheduledTime: new Date() });

/**
 * The example's own console lines that start with `prefix`, once at least `min` are there:
 * workerd's output reaches the test through a pipe, a moment after the tick that wrote it.
 */
async function printed(prefix: string, min = 1): Promise<string[]> {
  const matching = () => logs.filter((line) => line.startsWith(prefix));
  for (let waited = 0; matching().length < min && waited < 2000; waited += 20) {
    await sleep(20);
  }
  return matching();
}

/** The fields of every entry of `key`, oldest first. */
async function entries(key: string): Promise<{ id: string; fields: Record<string, string> }[]> {
  const raw = (await d.sendCommand(["XRANGE", key, "-", "+"])) as [string, string[]][];
  return raw.map(([id, flat]) => {
    const pairs = Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]]);
    return { id, fields: Object.fromEntries(pairs) };
  });
}

/** Each pending entry's delivery counter, by id. */
async function deliveryCounters(): Promise<Record<string, number>> {
  const rows = (await d.sendCommand(["XPENDING", stream, GROUP, "-", "+", "100"])) as [
    string,
    string,
    number,
    number,
  ][];
  return Object.fromEntries(rows.map(([id, , , deliveries]) => [id, deliveries]));
}

/** The failure records of the group: id → `count` or `count@dueAtMs`. */
const failureRecords = async () =>
  (await d.hGetAll(streamKeys(stream, GROUP).failures)) as Record<string, string>;

/** When a failure record says its retry is due, in ms since the epoch. */
function dueAt(record: string | undefined): number {
  const [, due] = (record ?? "").split("@");
  return Number(due);
}

/** Makes every pending entry look idle past MIN_IDLE_MS, without counting a delivery. */
const ageAll = () => agePending(d, stream, GROUP);

/** The report line of the last drain or sweep run. */
function report(event: "drain" | "sweep") {
  const lines = linesOf(logs, event);
  expect(lines.length).toBeGreaterThan(0);
  return lines[lines.length - 1] as Record<string, unknown>;
}

describe("Cloudflare's Get started guide: producer and consumer in one Worker", () => {
  it("adds one stream entry per request, the request as its JSON body", async () => {
    const m = await worker(inject("cfGetStartedScript"));
    const response = await m.dispatchFetch("http://example.test/orders?id=7", {
      method: "POST",
      headers: { "x-trace": "t-1" },
    });
    expect(await response.text()).toBe("Success!");
    const [entry, ...more] = await entries(stream);
    expect(more).toEqual([]);
    expect(entry?.fields.content_type).toBe("json");
    const body = JSON.parse(entry?.fields.body ?? "null");
    expect(body).toMatchObject({ url: "http://example.test/orders?id=7", method: "POST" });
    expect(body.headers["x-trace"]).toBe("t-1");
  });

  it("hands the message to the consumer at the next drain, which logs its body; then it is acked", async () => {
    const m = await worker(inject("cfGetStartedScript"));
    await m.dispatchFetch("http://example.test/hello", { method: "PUT" });
    await tick(m, CONSUME);
    const [line, ...more] = await printed("consumed from our queue: ");
    expect(more).toEqual([]);
    const body = JSON.parse(line?.slice("consumed from our queue: ".length) ?? "null");
    expect(body).toMatchObject({ url: "http://example.test/hello", method: "PUT" });
    expect(await pendingCount(d, stream, GROUP)).toBe(0);
  });
});

describe("create-cloudflare's queues template", () => {
  it("logs each message under the id of its stream entry, then it is acked", async () => {
    const m = await worker(inject("cfQueuesTemplateScript"));
    const response = await m.dispatchFetch("http://example.test/signup");
    expect(await response.text()).toBe("Sent message to the queue");
    const [entry] = await entries(stream);
    await tick(m, CONSUME);
    const prefix = `message ${entry?.id} processed: `;
    const [line, ...more] = await printed(prefix);
    expect(more).toEqual([]);
    expect(JSON.parse(line?.slice(prefix.length) ?? "null")).toMatchObject({
      url: "http://example.test/signup",
      method: "GET",
    });
    expect(await pendingCount(d, stream, GROUP)).toBe(0);
  });
});

describe("the Batching, Retries and Delays page", () => {
  const send = (n: number) =>
    createQueue(upstash(), stream).sendBatch(
      Array.from({ length: n }, (_, i) => ({ body: { task: i } })),
    );

  it("explicit ack: every message is acked, none left pending or recorded as failed", async () => {
    const m = await worker(inject("cfBatchingRetriesScript"), { EXAMPLE: "explicitAck" });
    await send(3);
    await tick(m, CONSUME);
    expect(report("drain")).toMatchObject({ read: 3, acked: 3, failed: 0 });
    expect(await pendingCount(d, stream, GROUP)).toBe(0);
    expect(await failureRecords()).toEqual({});
  });

  it("explicit retry: the message stays pending, and the sweep delivers it again", async () => {
    const m = await worker(inject("cfBatchingRetriesScript"), { EXAMPLE: "explicitRetry" });
    await send(1);
    await tick(m, CONSUME);
    const [id] = Object.keys(await deliveryCounters());
    expect(await failureRecords()).toEqual({ [id as string]: "1" });
    await ageAll();
    await tick(m, SWEEP);
    expect(report("sweep")).toMatchObject({ retried: 1, failed: 1 });
    expect(await deliveryCounters()).toEqual({ [id as string]: 2 });
    expect(await failureRecords()).toEqual({ [id as string]: "2" });
  });

  it("explicit retry: a retry without a delay waits RETRY_DELAY_S, Cloudflare's retry_delay", async () => {
    const m = await worker(inject("cfBatchingRetriesScript"), {
      EXAMPLE: "explicitRetry",
      RETRY_DELAY_S: "300",
    });
    await send(1);
    const before = Date.now();
    await tick(m, CONSUME);
    const after = Date.now();
    const [record] = Object.values(await failureRecords());
    expect(dueAt(record)).toBeGreaterThanOrEqual(before + 300_000);
    expect(dueAt(record)).toBeLessThanOrEqual(after + 300_000);
  });

  it("explicit retry: after MAX_DELIVERIES failed runs (max_retries + 1) the message is dead-lettered", async () => {
    const m = await worker(inject("cfBatchingRetriesScript"), {
      EXAMPLE: "explicitRetry",
      MAX_DELIVERIES: "2",
    });
    await send(1);
    await tick(m, CONSUME);
    for (let sweeps = 0; sweeps < 2; sweeps++) {
      await ageAll();
      await tick(m, SWEEP);
    }
    const [letter, ...more] = await entries(`${stream}:dlq`);
    expect(more).toEqual([]);
    expect(letter?.fields).toMatchObject({
      reason: "max_deliveries",
      failures: "2",
      body: JSON.stringify({ task: 0 }),
    });
    expect(await pendingCount(d, stream, GROUP)).toBe(0);
  });

  it("retry with a delay of 3600 s: due an hour later, and the sweep leaves it pending until then", async () => {
    const m = await worker(inject("cfBatchingRetriesScript"), { EXAMPLE: "retryEachWithDelay" });
    await send(1);
    const before = Date.now();
    await tick(m, CONSUME);
    const after = Date.now();
    const [id] = Object.keys(await deliveryCounters());
    const record = (await failureRecords())[id as string];
    expect(dueAt(record)).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(dueAt(record)).toBeLessThanOrEqual(after + 3_600_000);
    await ageAll();
    await tick(m, SWEEP);
    expect(report("sweep")).toMatchObject({ claimed: 0, retried: 0 });
    expect(await deliveryCounters()).toEqual({ [id as string]: 1 });
  });

  it("retryAll with a delay of 600 s: every message of the batch is due ten minutes later", async () => {
    const m = await worker(inject("cfBatchingRetriesScript"), { EXAMPLE: "retryBatchWithDelay" });
    await send(2);
    const before = Date.now();
    await tick(m, CONSUME);
    const after = Date.now();
    const records = Object.values(await failureRecords());
    expect(records).toHaveLength(2);
    for (const record of records) {
      expect(record.startsWith("1@")).toBe(true);
      expect(dueAt(record)).toBeGreaterThanOrEqual(before + 600_000);
      expect(dueAt(record)).toBeLessThanOrEqual(after + 600_000);
    }
  });
});

/** A mail server standing in for Resend's API: it keeps every email, refusing some once. */
type MailServer = {
  url: string;
  /** Addresses of the emails it took (2xx), in order. */
  sent: string[];
  /** Addresses of the emails it refused (429), in order. */
  refused: string[];
  /** Addresses whose first email it refuses. */
  refuseOnce: Set<string>;
  close(): Promise<void>;
};

async function startMailServer(): Promise<MailServer> {
  const mail: Omit<MailServer, "url" | "close"> = { sent: [], refused: [], refuseOnce: new Set() };
  const server: Server = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk) => {
      text += chunk;
    });
    req.on("end", () => {
      const to = (JSON.parse(text) as { to: string[] }).to.join(",");
      if (mail.refuseOnce.delete(to)) {
        mail.refused.push(to);
        res.writeHead(429).end("Too many requests");
      } else {
        mail.sent.push(to);
        res.writeHead(200).end(`email-${mail.sent.length}`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    ...mail,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/emails`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe("the tutorial Handle rate limits of external APIs", () => {
  let mail: MailServer;
  beforeAll(async () => {
    mail = await startMailServer();
  });
  afterAll(async () => {
    await mail.close();
  });
  beforeEach(() => {
    mail.sent.length = 0;
    mail.refused.length = 0;
    mail.refuseOnce.clear();
  });

  /**
   * The tutorial's consumer settings: max_batch_size 2 → BATCH_SIZE, max_retries 3 →
   * MAX_DELIVERIES 4; max_batch_timeout 10 s is cut to 0.5 s, so that a batch of one (the
   * sweep's retry) does not keep the test waiting.
   */
  const rateLimitWorker = () =>
    worker(inject("cfRateLimitScript"), {
      BATCH_SIZE: "2",
      MAX_BATCH_TIMEOUT_MS: "500",
      MAX_DELIVERIES: "4",
      RESEND_API_KEY: mail.url,
    });

  const post = async (m: Miniflare, email: string) =>
    (await m.dispatchFetch("http://example.test/", { method: "POST", body: email })).text();

  it("holds each address for its 1 s delay, then emails both in one batch and acks them", async () => {
    const m = await rateLimitWorker();
    expect(await post(m, "a@example.com")).toBe("Success!");
    expect(await post(m, "b@example.com")).toBe("Success!");
    const sentAt = Date.now();
    expect(await d.zCard(streamKeys(stream, "").delayed)).toBe(2);
    await tick(m, CONSUME);
    expect(mail.sent).toEqual([]);
    await sleep(1000 - (Date.now() - sentAt) + 50);
    await tick(m, CONSUME);
    expect(mail.sent.sort()).toEqual(["a@example.com", "b@example.com"]);
    expect(report("drain")).toMatchObject({ read: 2, acked: 2 });
    expect(await pendingCount(d, stream, GROUP)).toBe(0);
  });

  it("retries an email the provider refused no earlier than 5 s later, then acks it", async () => {
    const m = await rateLimitWorker();
    mail.refuseOnce.add("c@example.com");
    await post(m, "c@example.com");
    await sleep(1050);
    const before = Date.now();
    await tick(m, CONSUME);
    expect(mail.refused).toEqual(["c@example.com"]);
    const [record] = Object.values(await failureRecords());
    expect(dueAt(record)).toBeGreaterThanOrEqual(before + 5000);
    await ageAll();
    await tick(m, SWEEP);
    expect(mail.sent).toEqual([]);
    await sleep(dueAt(record) - Date.now() + 50);
    await tick(m, SWEEP);
    expect(mail.sent).toEqual(["c@example.com"]);
    expect(await pendingCount(d, stream, GROUP)).toBe(0);
  });
});
