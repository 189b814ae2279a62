import { describe, expect, it } from "vitest";
import {
  ConfigError,
  PublishInputError,
  type PublishMessage,
  publish,
  RedisCommandError,
  RequestBudget,
  streamKeys,
} from "../../src/lib/index";
import { add } from "../helpers/drain-fixture";
import { useBridge } from "../helpers/own-bridge";
import { upstash, useKeyspace } from "../helpers/redis";

const ks = useKeyspace("publish");
const { d } = ks;
const redis = upstash();

/** The stream's entries as Redis holds them: id and flat pairs, in order. */
async function entries(stream: string): Promise<[string, string[]][]> {
  return (await d.sendCommand(["XRANGE", stream, "-", "+"])) as [string, string[]][];
}

/** Publishes through the shared bridge, counting requests. */
async function send(
  stream: string,
  messages: PublishMessage[],
  more: { maxLen?: number; idempotencyTtlS?: number } = {},
) {
  const budget = new RequestBudget();
  const result = await publish({ redis, stream, messages, budget, ...more });
  return { ...result, requests: budget.used };
}

describe("publish without idempotency keys", () => {
  it("adds one message and returns its id", async () => {
    const stream = ks.key("orders");
    const out = await send(stream, [{ fields: { orderID: "A-1", amount: "007" } }]);
    expect(out).toMatchObject({ duplicates: 0, requests: 1 });
    expect(await entries(stream)).toEqual([[out.ids[0], ["orderID", "A-1", "amount", "007"]]]);
  });

  it("adds a batch in one request, ids in the order of the messages", async () => {
    const stream = ks.key("orders");
    const messages = Array.from({ length: 20 }, (_, i) => ({ fields: { n: String(i) } }));
    const out = await send(stream, messages);
    expect(out.requests).toBe(1);
    const stored = await entries(stream);
    expect(stored.map(([id]) => id)).toEqual(out.ids);
    expect(stored.map(([, f]) => f[1])).toEqual(messages.map((m) => m.fields.n));
  });

  it("keeps the order of the fields, repeated names and number-like names included", async () => {
    const stream = ks.key("orders");
    const pairs: [string, string][] = [
      ["b", "1"],
      ["7", "2"],
      ["b", "3"],
    ];
    const out = await send(stream, [{ fields: { z: "1", a: "2" } }, { fields: pairs }]);
    expect(await entries(stream)).toEqual([
      [out.ids[0], ["z", "1", "a", "2"]],
      [out.ids[1], ["b", "1", "7", "2", "b", "3"]],
    ]);
  });

  it.each([
    ["a pipeline", [{ fields: { n: "x" } }]],
    ["the script", [{ fields: { n: "x" }, idempotencyKey: "k" }]],
  ])("trims the stream to about maxLen through %s", async (_, messages: PublishMessage[]) => {
    const stream = ks.key("orders");
    await add(d, stream, 400);
    await send(stream, messages, { maxLen: 10 });
    const length = await d.xLen(stream);
    expect(length).toBeGreaterThanOrEqual(10);
    expect(length).toBeLessThan(401);
  });

  it("sends nothing for no messages", async () => {
    const stream = ks.key("orders");
    expect(await send(stream, [])).toEqual({ ids: [], duplicates: 0, requests: 0 });
    expect(await d.exists(stream)).toBe(0);
  });
});

describe("publish with idempotency keys", () => {
  it("adds a message published twice with the same key once, giving its first id back", async () => {
    const stream = ks.key("orders");
    const message = { fields: { orderID: "A-1" }, idempotencyKey: "order-A-1" };
    const first = await send(stream, [message]);
    const again = await send(stream, [message]);
    expect(first.duplicates).toBe(0);
    expect(again).toMatchObject({ ids: first.ids, duplicates: 1 });
    expect(await d.xLen(stream)).toBe(1);
  });

  it("sends a batch with keys as one script call once Redis has the script", async () => {
    const stream = ks.key("orders");
    await send(stream, [{ fields: { n: "0" }, idempotencyKey: "k0" }]);
    const messages = Array.from({ length: 20 }, (_, i) => ({
      fields: { n: String(i) },
      idempotencyKey: `k${i}`,
    }));
    expect(await send(stream, messages)).toMatchObject({ duplicates: 1, requests: 1 });
    expect(await d.xLen(stream)).toBe(20);
  });

  it("reports each duplicate in a batch and keeps every message's id in its place", async () => {
    const stream = ks.key("orders");
    const [old] = (await send(stream, [{ fields: { n: "0" }, idempotencyKey: "k0" }])).ids;
    const out = await send(stream, [
      { fields: { n: "1" }, idempotencyKey: "k1" },
      { fields: { n: "0" }, idempotencyKey: "k0" },
      { fields: { n: "2" } },
    ]);
    expect(out.duplicates).toBe(1);
    expect(out.ids[1]).toBe(old);
    const stored = await entries(stream);
    expect(stored.map(([id]) => id)).toEqual([old, out.ids[0], out.ids[2]]);
    expect(stored.map(([, f]) => f[1])).toEqual(["0", "1", "2"]);
  });

  it("adds only the first message of a key repeated within one batch", async () => {
    const stream = ks.key("orders");
    const out = await send(stream, [
      { fields: { n: "1" }, idempotencyKey: "same" },
      { fields: { n: "2" }, idempotencyKey: "same" },
    ]);
    expect(out.duplicates).toBe(1);
    expect(out.ids[1]).toBe(out.ids[0]);
    expect((await entries(stream)).map(([, f]) => f[1])).toEqual(["1"]);
  });

  it("keeps the order of the fields through the script", async () => {
    const stream = ks.key("orders");
    const pairs: [string, string][] = [
      ["b", "1"],
      ["7", "2"],
      ["b", "3"],
    ];
    const out = await send(stream, [{ fields: pairs, idempotencyKey: "k" }]);
    expect(await entries(stream)).toEqual([[out.ids[0], ["b", "1", "7", "2", "b", "3"]]]);
  });

  it("remembers the key under the stream's publish key for idempotencyTtlS", async () => {
    const stream = ks.key("orders");
    const out = await send(stream, [{ fields: { n: "1" }, idempotencyKey: "k" }], {
      idempotencyTtlS: 60,
    });
    const key = streamKeys(stream, "g").publishKey("k");
    expect(await d.get(key)).toBe(out.ids[0]);
    const ttl = await d.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it("remembers a key for one day by default", async () => {
    const stream = ks.key("orders");
    await send(stream, [{ fields: { n: "1" }, idempotencyKey: "k" }]);
    const ttl = await d.ttl(streamKeys(stream, "g").publishKey("k"));
    expect(ttl).toBeGreaterThan(86_000);
    expect(ttl).toBeLessThanOrEqual(86_400);
  });
});

describe("publish after a lost reply", () => {
  const bridge = useBridge();

  it("adds the message once when the publish is sent again with its key", async () => {
    const stream = ks.key("orders");
    const client = upstash({ url: bridge().url, token: "t" });
    const messages = [{ fields: { orderID: "A-1" }, idempotencyKey: "order-A-1" }];
    bridge().knobs.faultAfterRate = 1;
    try {
      await expect(publish({ redis: client, stream, messages })).rejects.toBeInstanceOf(
        RedisCommandError,
      );
    } finally {
      bridge().knobs.faultAfterRate = 0;
    }
    const [[stored] = []] = await entries(stream);
    expect(await publish({ redis: client, stream, messages })).toEqual({
      ids: [stored],
      duplicates: 1,
    });
    expect(await d.xLen(stream)).toBe(1);
  });
});

describe("publish's checks", () => {
  it("refuses a value that is not a string, naming the message and the field", async () => {
    const messages = [{ fields: { a: "1" } }, { fields: { amount: 7 } }] as never;
    const run = publish({ redis, stream: ks.key("orders"), messages });
    await expect(run).rejects.toBeInstanceOf(PublishInputError);
    await expect(run).rejects.toMatchObject({
      code: "PUBLISH_INVALID",
      index: 1,
      field: "amount",
      message: 'message 1: field "amount" must be a string, got a number',
    });
    expect(await d.exists(ks.key("orders"))).toBe(0);
  });

  it("refuses a maxLen out of range and a TTL of 0 with a ConfigError", async () => {
    const base = { redis, stream: ks.key("orders"), messages: [{ fields: { a: "1" } }] };
    await expect(publish({ ...base, maxLen: 0 })).rejects.toBeInstanceOf(ConfigError);
    await expect(publish({ ...base, idempotencyTtlS: 0 })).rejects.toThrow(
      "idempotencyTtlS must be at least 1, got 0",
    );
  });
});
