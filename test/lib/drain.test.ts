import { beforeEach, describe, expect, it } from "vitest";
import type { StreamMessage } from "../../src/lib/handling/message";
import {
  consumeBatch,
  type DrainEvent,
  type DrainOptions,
  PermanentError,
  drain as runDrain,
} from "../../src/lib/index";
import { add, fill, pendingCount } from "../helpers/drain-fixture";
import { upstash, useKeyspace } from "../helpers/redis";
import { sleep } from "../helpers/sleep";

const ks = useKeyspace("drain");
const { d } = ks;
let stream: string;
const redis = upstash();

beforeEach(() => {
  stream = ks.key("orders");
});

function drain(overrides: Partial<DrainOptions> = {}) {
  return runDrain({
    redis,
    stream,
    group: "g",
    consumer: "c1",
    handler: async () => {},
    ...overrides,
  });
}

describe("reading", () => {
  it("reads only messages added after the group was created", async () => {
    await add(d, stream, 3);
    await fill(d, stream, 2);
    const seen: string[] = [];
    await drain({ handler: (m) => void seen.push(m.fields.n ?? "") });
    expect(seen.sort()).toEqual(["0", "1"]);
  });

  it("hands each message to the handler with its fields, names and delivery count", async () => {
    const [id] = await fill(d, stream, 1);
    const seen: StreamMessage[] = [];
    await drain({ handler: (m) => void seen.push(m) });
    expect(seen).toEqual([
      {
        id,
        originalId: id,
        stream,
        group: "g",
        consumer: "c1",
        fields: { n: "0" },
        pairs: [["n", "0"]],
        deliveries: 1,
      },
    ]);
  });

  it("gives two consumers of one group disjoint messages", async () => {
    await fill(d, stream, 40);
    const a: string[] = [];
    const b: string[] = [];
    await Promise.all([
      drain({ consumer: "a", batchSize: 5, handler: (m) => void a.push(m.id) }),
      drain({ consumer: "b", batchSize: 5, handler: (m) => void b.push(m.id) }),
    ]);
    expect(a.filter((id) => b.includes(id))).toEqual([]);
    expect(a.length + b.length).toBe(40);
  });

  it("lets a second group see every message again", async () => {
    await fill(d, stream, 5);
    await d.sendCommand(["XGROUP", "CREATE", stream, "g2", "0"]);
    const first = await drain();
    const second = await drain({ group: "g2" });
    expect([first.read, second.read]).toEqual([5, 5]);
  });

  it("creates a stream and group that do not exist yet", async () => {
    const report = await drain();
    expect(report).toMatchObject({ read: 0, stoppedBy: "empty" });
    expect(report.error).toBeUndefined();
    const groups = (await d.sendCommand(["XINFO", "GROUPS", stream])) as unknown[][];
    expect(groups[0]?.[1]).toBe("g");
  });

  it("says where a group it creates at $ started: after the last entry already there", async () => {
    const ids = await add(d, stream, 2);
    const events: DrainEvent[] = [];
    const report = await drain({ onEvent: (e) => events.push(e) });
    expect(report.read).toBe(0);
    expect(events).toContainEqual({
      event: "group_created",
      stream,
      group: "g",
      startId: "$",
      startedAfter: ids[1],
    });
  });

  it("says no group was created when the group already exists", async () => {
    await fill(d, stream, 1);
    const events: DrainEvent[] = [];
    await drain({ onEvent: (e) => events.push(e) });
    expect(events.map((e) => e.event)).not.toContain("group_created");
  });

  it("creates a missing group at GROUP_START_ID, so 0 replays the existing history", async () => {
    await add(d, stream, 3);
    const report = await drain({ groupStartId: "0" });
    expect(report).toMatchObject({ read: 3, acked: 3 });
  });

  it("bounds one read by batchSize and the whole drain by maxMessages", async () => {
    await fill(d, stream, 30);
    const report = await drain({ batchSize: 4, maxMessages: 10 });
    expect(report).toMatchObject({ read: 10, batches: 3, stoppedBy: "max", acked: 10 });
    expect(await pendingCount(d, stream)).toBe(0);
  });
});

describe("acknowledging", () => {
  it("acks a message whose handler resolved", async () => {
    await fill(d, stream, 3);
    const report = await drain();
    expect(report).toMatchObject({ read: 3, acked: 3, failed: 0 });
    expect(await pendingCount(d, stream)).toBe(0);
  });

  it("leaves a failed message in this consumer's pending list with its fields intact", async () => {
    const [ok, bad] = await fill(d, stream, 2);
    const report = await drain({
      handler: (m) => {
        if (m.id === bad) {
          throw new Error("downstream 503");
        }
      },
    });
    expect(report).toMatchObject({ acked: 1, failed: 1 });
    const pel = (await d.sendCommand(["XPENDING", stream, "g", "-", "+", "10"])) as unknown[][];
    expect(pel.map((r) => [r[0], r[1]])).toEqual([[bad, "c1"]]);
    const own = await d.sendCommand(["XREADGROUP", "GROUP", "g", "c1", "STREAMS", stream, "0"]);
    expect(own).toEqual([[stream, [[bad, ["n", "1"]]]]]);
    expect(ok).toBeDefined();
  });

  it("dead-letters a PermanentError at once with the contract's fields", async () => {
    const [id] = await fill(d, stream, 1);
    const report = await drain({
      handler: () => {
        throw new PermanentError("amount must be positive");
      },
    });
    expect(report).toMatchObject({ deadLettered: 1, failed: 0, acked: 0 });
    const [[, flat]] = (await d.sendCommand(["XRANGE", `${stream}:dlq`, "-", "+"])) as [
      [string, string[]],
    ];
    expect(flat.slice(0, 16)).toEqual([
      "original_id",
      id,
      "original_stream",
      stream,
      "group",
      "g",
      "last_consumer",
      "c1",
      "deliveries",
      "1",
      "failures",
      "0",
      "reason",
      "permanent_error",
      "error",
      "amount must be positive",
    ]);
    // dead_at, then the format and the original pairs verbatim.
    expect(flat[16]).toBe("dead_at");
    expect(Number(flat[17])).toBeGreaterThan(0);
    expect(flat.slice(18)).toEqual(["format", "pairs", "n", "0"]);
    expect(await pendingCount(d, stream)).toBe(0);
  });

  it("does not let one slow message hold back the acks of its batch", async () => {
    const [slow] = await fill(d, stream, 10);
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let pendingWhileSlow = -1;
    const running = drain({
      handler: async (m) => {
        if (m.id === slow) {
          await gate;
        }
      },
    });
    for (let i = 0; i < 100 && pendingWhileSlow !== 1; i++) {
      await sleep(10);
      pendingWhileSlow = await pendingCount(d, stream);
    }
    release();
    const report = await running;
    expect(pendingWhileSlow).toBe(1);
    expect(report.acked).toBe(10);
  });

  it("skips and acks a message already marked done by the idempotency guard", async () => {
    await fill(d, stream, 3);
    const calls: string[] = [];
    await drain({ idempotencyTtlS: 60, handler: (m) => void calls.push(m.id) });
    await d.sendCommand(["XGROUP", "SETID", stream, "g", "0"]);
    const again = await drain({ idempotencyTtlS: 60, handler: (m) => void calls.push(m.id) });
    expect(again).toMatchObject({ read: 3, skipped: 3, acked: 3 });
    expect(calls).toHaveLength(3);
    expect(await pendingCount(d, stream)).toBe(0);
  });

  it("runs a message again after a failure even with the idempotency guard on", async () => {
    await fill(d, stream, 1);
    let calls = 0;
    const flaky = async () => {
      calls++;
      if (calls === 1) {
        throw new Error("first try fails");
      }
    };
    await drain({ idempotencyTtlS: 60, handler: flaky });
    await d.sendCommand(["XGROUP", "SETID", stream, "g", "0"]);
    const again = await drain({ idempotencyTtlS: 60, handler: flaky });
    expect(again).toMatchObject({ skipped: 0, acked: 1 });
    expect(calls).toBe(2);
  });

  it("leaves nothing pending in NOACK mode and dead-letters what failed, losing nothing", async () => {
    const ids = await fill(d, stream, 4);
    const report = await drain({
      noAck: true,
      handler: (m) => {
        if (m.fields.n !== "0") {
          throw new Error("no retry possible");
        }
      },
    });
    expect(report).toMatchObject({ read: 4, failed: 3, deadLettered: 3 });
    expect(await pendingCount(d, stream)).toBe(0);
    const dead = (await d.sendCommand(["XRANGE", `${stream}:dlq`, "-", "+"])) as [
      string,
      string[],
    ][];
    expect(dead.map(([, f]) => [f[1], f[13]])).toEqual(
      ids.slice(1).map((id) => [id, "noack_failed"]),
    );
  });
});

describe("NOACK and a full dead-letter stream", () => {
  it("still dead-letters a NOACK failure, which nothing else holds", async () => {
    await fill(d, stream, 2);
    const report = await drain({
      noAck: true,
      dlqMaxLen: 1,
      handler: () => {
        throw new Error("no retry possible");
      },
    });
    expect(report).toMatchObject({ read: 2, failed: 2, deadLettered: 2 });
    expect(await d.xLen(`${stream}:dlq`)).toBe(2);
  });
});

describe("concurrency", () => {
  it("never runs more handlers at once than concurrency", async () => {
    await fill(d, stream, 60);
    let now = 0;
    let peak = 0;
    const report = await drain({
      batchSize: 20,
      concurrency: 4,
      handler: async () => {
        now++;
        peak = Math.max(peak, now);
        await sleep(2);
        now--;
      },
    });
    expect(peak).toBe(4);
    expect(report.peakConcurrency).toBe(4);
    expect(report.acked).toBe(60);
  });
});

describe("the former name", () => {
  it("keeps consumeBatch as the same function as drain", () => {
    expect(consumeBatch).toBe(runDrain);
  });
});
