import type { Miniflare } from "miniflare";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { add, fill, pendingCount } from "../helpers/drain-fixture";
import { linesOf } from "../helpers/log-lines";
import { useKeyspace } from "../helpers/redis";
import { startTarget, type Target } from "../helpers/target";
import { startWorker } from "../helpers/worker";

const TOKEN = "jobs-admin-token";
const CONSUME = "* * * * *";
const SWEEP = "*/5 * * * *";

const ks = useKeyspace("jobs");
const { d } = ks;
let stream: string;
let target: Target;
let mf: Miniflare | undefined;

beforeAll(async () => {
  target = await startTarget();
});
afterAll(async () => {
  await target.close();
});
beforeEach(() => {
  stream = ks.key("orders");
  target.deliveries.length = 0;
});
afterEach(async () => {
  await mf?.dispose();
  mf = undefined;
});

let logs: string[] = [];

/** Makes every pending entry look idle past MIN_IDLE_MS, without counting a delivery. */
async function ageAll(): Promise<void> {
  const rows = (await d.sendCommand(["XPENDING", stream, "g", "-", "+", "100"])) as string[][];
  const ids = rows.map((r) => r[0] ?? "");
  await d.sendCommand(["XCLAIM", stream, "g", "crashed", "0", ...ids, "IDLE", "5000", "JUSTID"]);
}

/** The lines the Worker wrote at error level (stderr), a part of `logs`. */
let errors: string[] = [];

async function worker(vars: Record<string, string | undefined> = {}): Promise<Miniflare> {
  logs = [];
  errors = [];
  mf = await startWorker(
    {
      STREAM: stream,
      GROUP: "g",
      ADMIN_TOKEN: TOKEN,
      TARGET_URL: target.url,
      TARGET_TIMEOUT_MS: "300",
      MIN_IDLE_MS: "1000",
      RETRY_BACKOFF: "fixed",
      // The bounded drain of one tick; continuous.test.ts specifies the polling one.
      DRAIN_MODE: "cron",
      ...vars,
    },
    logs,
    { errors },
  );
  return mf;
}

/** The `cron_skipped` lines the Worker logged. */
function skipped(): { event: string; error?: string }[] {
  return logs.flatMap((line) => {
    try {
      const entry = JSON.parse(line) as { event: string; error?: string };
      return entry.event === "cron_skipped" ? [entry] : [];
    } catch {
      return [];
    }
  });
}

async function cron(m: Miniflare, expression: string) {
  return (await m.getWorker()).scheduled({ cron: expression, scheduledTime: new Date() });
}

async function addWithStatus(statuses: string[]): Promise<string[]> {
  await d.sendCommand(["XGROUP", "CREATE", stream, "g", "$", "MKSTREAM"]);
  const ids: string[] = [];
  for (const status of statuses) {
    ids.push(String(await d.sendCommand(["XADD", stream, "*", "status", status])));
  }
  return ids;
}

async function pendingIds(): Promise<string[]> {
  const rows = (await d.sendCommand(["XPENDING", stream, "g", "-", "+", "100"])) as string[][];
  return rows.map((r) => r[0] ?? "");
}

async function dlqOriginalIds(): Promise<string[]> {
  const rows = (await d.sendCommand(["XRANGE", `${stream}:dlq`, "-", "+"])) as [string, string[]][];
  return rows.map(([, f]) => f[f.indexOf("original_id") + 1] ?? "");
}

describe("cron dispatch", () => {
  it("drains on CONSUME_CRON and posts every message to TARGET_URL", async () => {
    await fill(d, stream, 5);
    const result = await cron(await worker(), CONSUME);
    expect(result.outcome).toBe("ok");
    expect(target.deliveries).toHaveLength(5);
    expect(await pendingCount(d, stream)).toBe(0);
  });

  it("sweeps on SWEEP_CRON: a stuck message is retried and acked", async () => {
    await fill(d, stream, 1);
    await d.sendCommand(["XREADGROUP", "GROUP", "g", "crashed", "STREAMS", stream, ">"]);
    await ageAll();
    const result = await cron(await worker(), SWEEP);
    expect(result.outcome).toBe("ok");
    expect(target.deliveries.map((x) => x.deliveries)).toEqual([2]);
    expect(await pendingCount(d, stream)).toBe(0);
  });

  it("logs the sweep's events one JSON line each, like the drain's", async () => {
    await addWithStatus(["503"]);
    await d.sendCommand(["XREADGROUP", "GROUP", "g", "crashed", "STREAMS", stream, ">"]);
    await ageAll();
    await cron(await worker(), SWEEP);
    const events = logs.flatMap((line) => {
      try {
        return [JSON.parse(line) as { event: string; consumer?: string }];
      } catch {
        return [];
      }
    });
    const names = events.map((e) => e.event);
    expect(names).toEqual(
      expect.arrayContaining(["claimed", "retried", "handler_failed", "sweep"]),
    );
    const claimed = events.find((e) => e.event === "claimed");
    expect(claimed?.consumer).toMatch(/^cron-/);
  });

  it("recreates a destroyed group where it stood, logging group_recreated, and loses nothing", async () => {
    const mf = await worker();
    await fill(d, stream, 3);
    await cron(mf, CONSUME);
    await cron(mf, SWEEP);
    await d.sendCommand(["XGROUP", "DESTROY", stream, "g"]);
    await add(d, stream, 4, 3);
    await cron(mf, CONSUME);
    // Handlers run concurrently: the target sees them in any order.
    const seen = target.deliveries.map((x) => x.fields.n).sort();
    expect(seen).toEqual(["0", "1", "2", "3", "4", "5", "6"]);
    const recreated = logs.filter((line) => line.includes('"event":"group_recreated"'));
    expect(recreated).toHaveLength(1);
    expect(JSON.parse(recreated[0] ?? "{}")).toMatchObject({ group: "g", stream });
  });

  it("ignores a cron it has no job for", async () => {
    await fill(d, stream, 2);
    const result = await cron(await worker(), "0 0 * * *");
    expect(result.outcome).toBe("ok");
    expect(target.deliveries).toHaveLength(0);
    expect(await d.xLen(stream)).toBe(2);
  });

  it("runs drain then sweep when one cron is configured for both", async () => {
    await fill(d, stream, 3);
    const result = await cron(await worker({ SWEEP_CRON: CONSUME }), CONSUME);
    expect(result.outcome).toBe("ok");
    expect(target.deliveries).toHaveLength(3);
  });

  it("skips a cron whose env is invalid with one log line naming the variable, reading nothing", async () => {
    await fill(d, stream, 2);
    const m = await worker({ BATCH_SIZE: "abc" });
    const result = await cron(m, CONSUME);
    expect(result.outcome).toBe("ok");
    expect(skipped()).toEqual([
      expect.objectContaining({
        event: "cron_skipped",
        code: "CONFIG_INVALID",
        variables: ["BATCH_SIZE"],
        error: 'BATCH_SIZE must be an integer between 1 and 10000, got "abc"',
      }),
    ]);
    expect(logs.filter((line) => /^\s+at /.test(line))).toEqual([]);
    expect(target.deliveries).toHaveLength(0);
    expect(await pendingCount(d, stream)).toBe(0);
  });

  it("refuses to drain without TARGET_URL or a handler in one line, acking nothing", async () => {
    await fill(d, stream, 2);
    const result = await cron(await worker({ TARGET_URL: undefined }), CONSUME);
    expect(result.outcome).toBe("ok");
    expect(skipped()).toEqual([expect.objectContaining({ variables: ["TARGET_URL"] })]);
    expect(skipped()[0]?.error).toMatch(/TARGET_URL is not set/);
    expect(logs.filter((line) => /^\s+at /.test(line))).toEqual([]);
    const groups = (await d.sendCommand(["XINFO", "GROUPS", stream])) as unknown[][];
    expect(groups[0]?.[7]).toBe("0-0");
  });
});

describe("webhook delivery", () => {
  it("acks 2xx, keeps 5xx, 429 and timeouts pending, dead-letters other 4xx", async () => {
    const [ok, e500, e429, hang, e400, e404] = await addWithStatus([
      "200",
      "500",
      "429",
      "hang",
      "400",
      "404",
    ]);
    const result = await cron(await worker(), CONSUME);
    expect(result.outcome).toBe("ok");
    expect((await pendingIds()).sort()).toEqual([e500, e429, hang].sort());
    expect((await dlqOriginalIds()).sort()).toEqual([e400, e404].sort());
    expect(ok).toBeDefined();
  });

  it("sends the Idempotency-Key and delivery count headers", async () => {
    const [id] = await addWithStatus(["200"]);
    await cron(await worker(), CONSUME);
    expect(target.deliveries[0]?.headers["idempotency-key"]).toBe(`${stream}:${id}`);
    expect(target.deliveries[0]?.headers["x-stream-deliveries"]).toBe("1");
  });
});

describe("drain and sweep over HTTP", () => {
  const post = (m: Miniflare, path: string) =>
    m.dispatchFetch(`http://worker${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
    });

  it("POST /drain answers the DrainReport with an http consumer name", async () => {
    await fill(d, stream, 4);
    const res = await post(await worker(), "/drain?max=3");
    const report = (await res.json()) as {
      read: number;
      acked: number;
      consumer: string;
      stoppedBy: string;
    };
    expect(res.status).toBe(200);
    expect(report).toMatchObject({ read: 3, acked: 3, stoppedBy: "max" });
    expect(report.consumer).toMatch(/^http-/);
  });

  it("POST /sweep answers the SweepReport", async () => {
    await fill(d, stream, 1);
    await d.sendCommand(["XREADGROUP", "GROUP", "g", "crashed", "STREAMS", stream, ">"]);
    await ageAll();
    const res = await post(await worker(), "/sweep");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ claimed: 1, retried: 1, acked: 1 });
  });

  it("answers 502 with the report when Redis fails mid-sweep", async () => {
    await d.set(stream, "not a stream");
    const res = await post(await worker(), "/sweep");
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { code: string }; report: { stoppedBy: string } };
    expect(body.error.code).toBe("REDIS_ERROR");
    expect(body.report.stoppedBy).toBe("error");
  });

  it("splits messages between an HTTP drain and a cron drain running at once, without overlap", async () => {
    await fill(d, stream, 200);
    const m = await worker({ BATCH_SIZE: "10" });
    const [res, result] = await Promise.all([post(m, "/drain"), cron(m, CONSUME)]);
    expect(res.status).toBe(200);
    expect(result.outcome).toBe("ok");
    const ids = target.deliveries.map((x) => x.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(200);
  });

  it("answers 400 naming the parameter for a bad max", async () => {
    const res = await post(await worker(), "/drain?max=-1");
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/max/);
  });
});

describe("log levels", () => {
  it("writes a recreated group at error level, the drain's report at info level", async () => {
    const m = await worker();
    await fill(d, stream, 2);
    await cron(m, CONSUME);
    await cron(m, SWEEP);
    await d.sendCommand(["XGROUP", "DESTROY", stream, "g"]);
    await add(d, stream, 1, 2);
    await cron(m, CONSUME);
    expect(linesOf(errors, "group_recreated")).toHaveLength(1);
    expect(linesOf(logs, "drain").length).toBeGreaterThan(0);
    expect(linesOf(errors, "drain")).toEqual([]);
  });

  it("writes a skipped cron at error level, naming the variable", async () => {
    await cron(await worker({ BATCH_SIZE: "0" }), CONSUME);
    const [skipped] = linesOf(errors, "cron_skipped");
    expect(skipped?.variables).toEqual(["BATCH_SIZE"]);
  });

  it("writes a full dead-letter stream at error level", async () => {
    const m = await worker({ DLQ_MAXLEN: "1" });
    await d.sendCommand(["XADD", `${stream}:dlq`, "*", "filler", "1"]);
    await addWithStatus(["422"]);
    await cron(m, CONSUME);
    expect(linesOf(errors, "dlq_full")).toHaveLength(1);
    expect(linesOf(errors, "handler_failed")).toEqual([]);
  });
});
