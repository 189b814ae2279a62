import { describe, expect, it } from "vitest";
import {
  addDelayed,
  createQueue,
  type DelayedMessage,
  delayedKey,
  encodeBody,
  PROMOTE_DUE,
  parsePromoteReply,
  promoteDue,
  promoteDueArgs,
  RedisCommandError,
  ReplyShapeError,
  RequestBudget,
} from "../../src/lib/index";
import { delayedMember, nextNonce } from "../../src/lib/queues/delayed";
import { upstash, useKeyspace } from "../helpers/redis";

const ks = useKeyspace("queue-delayed");
const { d } = ks;
const redis = upstash();

/** A fixed clock: the tests give `now` to every call, so no assertion depends on time. */
const T0 = 1_795_709_000_000;

/** The stream's entries' pairs, in order. */
async function stored(stream: string): Promise<string[][]> {
  const raw = (await d.sendCommand(["XRANGE", stream, "-", "+"])) as [string, string[]][];
  return raw.map(([, pairs]) => pairs);
}

const text = (body: string): DelayedMessage["pairs"] => encodeBody(body, "text");

/** Adds messages sent at T0 with these delays, bodies `m<delay>`. */
async function delay(stream: string, delays: number[]): Promise<void> {
  const messages = delays.map((s) => ({ pairs: text(`m${s}`), delaySeconds: s }));
  await addDelayed({ redis, stream, budget: new RequestBudget(), messages, now: T0 });
}

function promote(stream: string, now: number, limit?: number) {
  return promoteDue({ redis, stream, budget: new RequestBudget(), now, limit });
}

describe("delayedMember", () => {
  it("holds the nonce and the flat pairs as JSON", () => {
    expect(JSON.parse(delayedMember(text("hi"), "n1"))).toEqual({
      n: "n1",
      p: ["body", "hi", "content_type", "text"],
    });
  });

  it("tells two identical messages apart by their nonces", () => {
    expect(delayedMember(text("hi"))).not.toBe(delayedMember(text("hi")));
  });

  it("makes nonces that sort in the order they were made", () => {
    const nonces = Array.from({ length: 40 }, () => nextNonce());
    expect([...nonces].sort()).toEqual(nonces);
  });
});

describe("parsePromoteReply", () => {
  it("reads how many moved and when the next is due", () => {
    expect(parsePromoteReply([2, 1_795_709_183_000])).toEqual({
      moved: 2,
      nextDueMs: 1_795_709_183_000,
    });
  });

  it("reads -1 as nothing left", () => {
    expect(parsePromoteReply([0, -1])).toEqual({ moved: 0, nextDueMs: null });
  });

  it.each([
    ["not an array", 3],
    ["one element", [1]],
    ["a negative count", [-1, -1]],
    ["a time below -1", [0, -2]],
    ["a count that is not an integer", ["x", -1]],
  ])("refuses a reply that is %s", (_, raw) => {
    expect(() => parsePromoteReply(raw)).toThrow(ReplyShapeError);
  });
});

describe("addDelayed", () => {
  it("scores each message by when it is due", async () => {
    const stream = ks.key("orders");
    await delay(stream, [30, 5]);
    const members = await d.zRangeWithScores(delayedKey(stream), 0, -1);
    expect(members.map((m) => m.score)).toEqual([T0 + 5_000, T0 + 30_000]);
  });

  it("sends nothing for no messages", async () => {
    const budget = new RequestBudget();
    const stream = ks.key("orders");
    expect(await addDelayed({ redis, stream, budget, messages: [] })).toBe(0);
    expect(budget.used).toBe(0);
  });
});

describe("promoteDue", () => {
  it("moves nothing before the due time, and says when the first is due", async () => {
    const stream = ks.key("orders");
    await delay(stream, [10, 20]);
    expect(await promote(stream, T0 + 9_999)).toEqual({ moved: 0, nextDueMs: T0 + 10_000 });
    expect(await d.exists(stream)).toBe(0);
    expect(await d.zCard(delayedKey(stream))).toBe(2);
  });

  it("moves exactly the due messages, in due order, and gives the next due time", async () => {
    const stream = ks.key("orders");
    await delay(stream, [30, 10, 60, 20]);
    expect(await promote(stream, T0 + 30_000)).toEqual({ moved: 3, nextDueMs: T0 + 60_000 });
    expect((await stored(stream)).map((pairs) => pairs[1])).toEqual(["m10", "m20", "m30"]);
    expect(await d.zCard(delayedKey(stream))).toBe(1);
  });

  it("moves at most limit messages, the earliest first", async () => {
    const stream = ks.key("orders");
    await delay(stream, [3, 1, 2]);
    expect(await promote(stream, T0 + 5_000, 2)).toEqual({ moved: 2, nextDueMs: T0 + 3_000 });
    expect((await stored(stream)).map((pairs) => pairs[1])).toEqual(["m1", "m2"]);
  });

  it("adds each message with exactly the pairs it was sent with", async () => {
    const stream = ks.key("orders");
    const queue = createQueue(redis, stream);
    await queue.sendBatch(
      [{ body: { orderId: "A-1", tags: ["x"] } }, { body: "plain\ntext", contentType: "text" }],
      { delaySeconds: 60 },
    );
    await promote(stream, Date.now() + 61_000);
    expect(await stored(stream)).toEqual([
      encodeBody({ orderId: "A-1", tags: ["x"] }).flat(),
      encodeBody("plain\ntext", "text").flat(),
    ]);
  });

  it("keeps the send order of messages due in the same ms", async () => {
    const stream = ks.key("orders");
    const bodies = Array.from({ length: 20 }, (_, i) => `m${i}`);
    const messages = bodies.map((body) => ({ pairs: text(body), delaySeconds: 10 }));
    await addDelayed({ redis, stream, budget: new RequestBudget(), messages, now: T0 });
    await promote(stream, T0 + 10_000);
    expect((await stored(stream)).map((pairs) => pairs[1])).toEqual(bodies);
  });

  it("delivers two identical delayed messages both", async () => {
    const stream = ks.key("orders");
    await delay(stream, [10, 10]);
    expect(await d.zCard(delayedKey(stream))).toBe(2);
    expect(await promote(stream, T0 + 10_000)).toEqual({ moved: 2, nextDueMs: null });
    expect(await stored(stream)).toEqual([
      ["body", "m10", "content_type", "text"],
      ["body", "m10", "content_type", "text"],
    ]);
  });

  it("answers nothing to move when nothing is delayed, creating nothing", async () => {
    const stream = ks.key("orders");
    expect(await promote(stream, T0)).toEqual({ moved: 0, nextDueMs: null });
    expect(await d.exists(stream)).toBe(0);
  });

  it("moves nothing when a due member is not a message, and says the script failed", async () => {
    const stream = ks.key("orders");
    await delay(stream, [1]);
    await d.zAdd(delayedKey(stream), { score: T0, value: '{"n":"x","p":["odd"]}' });
    const error = await promote(stream, T0 + 5_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisCommandError);
    expect((error as RedisCommandError).message).toMatch(/promote-due failed: ERR/);
    expect(await d.exists(stream)).toBe(0);
    expect(await d.zCard(delayedKey(stream))).toBe(2);
  });

  it("costs one request once Redis has the script", async () => {
    const stream = ks.key("orders");
    await delay(stream, [1]);
    await promote(stream, T0);
    const budget = new RequestBudget();
    await promoteDue({ redis, stream, budget, now: T0 + 1_000 });
    expect(budget.used).toBe(1);
  });

  it("refuses a limit out of range", async () => {
    await expect(promote(ks.key("orders"), T0, 0)).rejects.toThrow(/limit must be an integer/);
  });

  it("runs as well from the script text queued in a pipeline", async () => {
    const stream = ks.key("orders");
    await delay(stream, [1, 2]);
    const { keys, args } = promoteDueArgs(stream, T0 + 1_000, 100);
    const [reply] = (await redis.pipeline().eval(PROMOTE_DUE, keys, args).exec()) as unknown[];
    expect(parsePromoteReply(reply)).toEqual({ moved: 1, nextDueMs: T0 + 2_000 });
    expect(await stored(stream)).toEqual([["body", "m1", "content_type", "text"]]);
  });
});
