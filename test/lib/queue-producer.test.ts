import { describe, expect, it } from "vitest";
import {
  ConfigError,
  createQueue,
  delayedKey,
  type QueueProducer,
  QueueSendError,
} from "../../src/lib/index";
import { parseSendReplies } from "../../src/lib/queues/producer";
import { useBridge } from "../helpers/own-bridge";
import { upstash, useKeyspace } from "../helpers/redis";

const ks = useKeyspace("queue-producer");
const { d } = ks;
const redis = upstash();
// Its request counter is this file's alone.
const bridge = useBridge();

/** The stream's entries as Redis holds them: id and flat pairs, in order. */
async function entries(stream: string): Promise<[string, string[]][]> {
  return (await d.sendCommand(["XRANGE", stream, "-", "+"])) as [string, string[]][];
}

/** The error a call was refused with, as a plain object. */
async function refusal(call: Promise<unknown>) {
  const e = await call.then(
    () => {
      throw new Error("accepted");
    },
    (error: unknown) => error,
  );
  expect(e).toBeInstanceOf(QueueSendError);
  const { message, index, code } = e as QueueSendError;
  return { message, index, code };
}

/** Whether anything at all was written for `stream`. */
async function written(stream: string): Promise<number> {
  return d.exists([stream, delayedKey(stream)]);
}

describe("createQueue", () => {
  it("is assignable to Cloudflare's Queue type", () => {
    const queue: Queue<unknown> = createQueue(redis, "orders");
    const typed: Queue<{ orderId: string }> = createQueue<{ orderId: string }>(redis, "orders");
    // What withQueues gives: a producer of unknown bodies, for a binding typed by the user.
    const bound: Queue<{ orderId: string }> = createQueue(redis, "orders");
    expect(typeof bound.send).toBe("function");
    expect(typeof queue.send).toBe("function");
    expect(typeof typed.sendBatch).toBe("function");
  });

  it("refuses an empty stream name", () => {
    expect(() => createQueue(redis, "")).toThrow(ConfigError);
  });

  it("refuses a maxMessageBytes out of range", () => {
    expect(() => createQueue(redis, "orders", { maxMessageBytes: 0 })).toThrow(/maxMessageBytes/);
  });
});

describe("send", () => {
  it("writes a JSON body as the fields body and content_type", async () => {
    const stream = ks.key("orders");
    const out = await createQueue(redis, stream).send({ orderId: "A-1", amount: 12.5 });
    expect(await entries(stream)).toEqual([
      [out.ids[0], ["body", '{"orderId":"A-1","amount":12.5}', "content_type", "json"]],
    ]);
  });

  it("writes a text body as the string itself", async () => {
    const stream = ks.key("orders");
    await createQueue(redis, stream).send("hello there", { contentType: "text" });
    expect((await entries(stream)).map(([, pairs]) => pairs)).toEqual([
      ["body", "hello there", "content_type", "text"],
    ]);
  });

  it("answers the stream's length as backlogCount, and 0 bytes", async () => {
    const stream = ks.key("orders");
    const queue = createQueue(redis, stream);
    await queue.send(1);
    const out = await queue.send(2);
    expect(out.metadata).toEqual({ metrics: { backlogCount: 2, backlogBytes: 0 } });
    expect(await queue.metrics()).toEqual({ backlogCount: 2, backlogBytes: 0 });
  });

  it("costs one request", async () => {
    const stream = ks.key("orders");
    const queue = createQueue(upstash({ url: bridge().url, token: "t" }), stream);
    const before = bridge().stats().requests;
    await queue.send({ a: 1 }, { delaySeconds: 5 });
    expect(bridge().stats().requests - before).toBe(1);
  });

  it("puts a delayed message in the delayed set, not in the stream", async () => {
    const stream = ks.key("orders");
    const before = Date.now();
    const out = await createQueue(redis, stream).send({ a: 1 }, { delaySeconds: 30 });
    const after = Date.now();
    expect(out).toMatchObject({ ids: [null], delayed: 1 });
    expect(await d.exists(stream)).toBe(0);
    const [member, ...rest] = await d.zRangeWithScores(delayedKey(stream), 0, -1);
    expect(rest).toEqual([]);
    expect(member?.score).toBeGreaterThanOrEqual(before + 30_000);
    expect(member?.score).toBeLessThanOrEqual(after + 30_000);
    expect(JSON.parse(member?.value ?? "").p).toEqual(["body", '{"a":1}', "content_type", "json"]);
  });

  it("refuses a body that is not JSON and writes nothing", async () => {
    const stream = ks.key("orders");
    const out = await refusal(createQueue(redis, stream).send({ amount: 10n }));
    expect(out).toMatchObject({ code: "QUEUE_SEND_INVALID", index: 0 });
    expect(out.message).toMatch(/^message 0: the body cannot be JSON: it holds a BigInt/);
    expect(await written(stream)).toBe(0);
  });

  it("refuses a text body that is not a string", async () => {
    const stream = ks.key("orders");
    const out = await refusal(createQueue(redis, stream).send(42, { contentType: "text" }));
    expect(out.message).toBe('message 0: contentType "text" needs a string body, got a number');
    expect(await written(stream)).toBe(0);
  });

  it.each([86_401, -1, 1.5])("refuses delaySeconds %s and writes nothing", async (delay) => {
    const stream = ks.key("orders");
    const out = await refusal(createQueue(redis, stream).send("x", { delaySeconds: delay }));
    expect(out.message).toBe(
      `message 0: delaySeconds must be an integer between 0 and 86400 (24 hours), got ${delay}`,
    );
    expect(await written(stream)).toBe(0);
  });

  it("says the bytes content type is not supported", async () => {
    const queue = createQueue(redis, ks.key("orders")) as unknown as Queue<unknown>;
    const out = await refusal(queue.send(new Uint8Array(1), { contentType: "bytes" }));
    expect(out.message).toContain('contentType "bytes" is not supported');
  });

  it("refuses a body over maxMessageBytes, in bytes of UTF-8", async () => {
    const stream = ks.key("orders");
    const queue = createQueue(redis, stream, { maxMessageBytes: 4 });
    const out = await refusal(queue.send("éé€", { contentType: "text" }));
    expect(out.message).toBe("message 0: the body is 7 bytes, more than maxMessageBytes (4)");
    expect(await written(stream)).toBe(0);
  });
});

describe("sendBatch", () => {
  it("writes the messages in order, each with its own content type", async () => {
    const stream = ks.key("orders");
    const out = await createQueue(redis, stream).sendBatch([
      { body: { n: 1 } },
      { body: "two", contentType: "text" },
      { body: [3], contentType: "json" },
    ]);
    const stored = await entries(stream);
    expect(stored.map(([id]) => id)).toEqual(out.ids);
    expect(stored.map(([, pairs]) => pairs)).toEqual([
      ["body", '{"n":1}', "content_type", "json"],
      ["body", "two", "content_type", "text"],
      ["body", "[3]", "content_type", "json"],
    ]);
  });

  it("sends 100 messages in exactly one request", async () => {
    const stream = ks.key("orders");
    const queue = createQueue(upstash({ url: bridge().url, token: "t" }), stream);
    const messages = Array.from({ length: 100 }, (_, i) => ({
      body: { i },
      delaySeconds: i % 2 === 0 ? 0 : 60,
    }));
    const before = bridge().stats().requests;
    const out = await queue.sendBatch(messages);
    expect(bridge().stats().requests - before).toBe(1);
    expect(out.delayed).toBe(50);
    expect(await d.xLen(stream)).toBe(50);
    expect(await d.zCard(delayedKey(stream))).toBe(50);
  });

  it("takes any iterable of messages", async () => {
    const stream = ks.key("orders");
    function* messages() {
      yield { body: "a", contentType: "text" as const };
      yield { body: "b", contentType: "text" as const };
    }
    await createQueue(redis, stream).sendBatch(messages());
    expect(await d.xLen(stream)).toBe(2);
  });

  it("lets a message's delaySeconds override the batch's", async () => {
    const stream = ks.key("orders");
    const out = await createQueue(redis, stream).sendBatch(
      [{ body: "later" }, { body: "now", delaySeconds: 0 }],
      { delaySeconds: 60 },
    );
    expect(out).toMatchObject({ delayed: 1, ids: [null, expect.any(String)] });
    expect((await entries(stream)).map(([, pairs]) => pairs[1])).toEqual(['"now"']);
    expect(await d.zCard(delayedKey(stream))).toBe(1);
  });

  it("refuses the whole batch when one message is wrong, naming its index", async () => {
    const stream = ks.key("orders");
    const out = await refusal(
      createQueue(redis, stream).sendBatch([{ body: 1 }, { body: 2 }, { body: undefined }]),
    );
    expect(out).toEqual({
      code: "QUEUE_SEND_INVALID",
      index: 2,
      message: "message 2: the body is undefined: there is nothing to send",
    });
    expect(await written(stream)).toBe(0);
  });

  it("names a message with a content type it does not know", async () => {
    const queue = createQueue(redis, ks.key("orders")) as unknown as Queue<unknown>;
    const out = await refusal(queue.sendBatch([{ body: 1 }, { body: 2, contentType: "v8" }]));
    expect(out.index).toBe(1);
    expect(out.message).toMatch(/^message 1: contentType "v8" is not supported/);
  });

  it("refuses more than 100 messages", async () => {
    const stream = ks.key("orders");
    const messages = Array.from({ length: 101 }, () => ({ body: 1 }));
    const out = await refusal(createQueue(redis, stream).sendBatch(messages));
    expect(out).toMatchObject({ index: undefined });
    expect(out.message).toBe("sendBatch takes 1 to 100 messages, got 101");
    expect(await written(stream)).toBe(0);
  });

  it("refuses an empty batch", async () => {
    const out = await refusal(createQueue(redis, ks.key("orders")).sendBatch([]));
    expect(out.message).toBe("sendBatch takes 1 to 100 messages, got 0");
  });

  it("refuses a batch delay out of range", async () => {
    const stream = ks.key("orders");
    const queue: QueueProducer = createQueue(redis, stream);
    const out = await refusal(queue.sendBatch([{ body: 1 }], { delaySeconds: 86_401 }));
    expect(out.message).toBe(
      "sendBatch options.delaySeconds must be an integer between 0 and 86400 (24 hours), got 86401",
    );
  });
});

describe("parseSendReplies", () => {
  it("gives an id per message added and null per delayed one, then the length", () => {
    const replies = [{ result: "1795709122566-0" }, { result: 1 }, { result: 7 }];
    expect(parseSendReplies(replies, [false, true])).toEqual({
      metadata: { metrics: { backlogCount: 7, backlogBytes: 0 } },
      ids: ["1795709122566-0", null],
      delayed: 1,
    });
  });

  it("throws naming the command that failed", () => {
    const replies = [{ result: null, error: "WRONGTYPE Operation" }, { result: 0 }];
    expect(() => parseSendReplies(replies, [false])).toThrow(/^XADD failed: WRONGTYPE/);
  });

  it("throws on a reply of the wrong shape", () => {
    expect(() => parseSendReplies([{ result: 5 }, { result: 1 }], [false])).toThrow(/XADD reply 0/);
  });
});
