import type { Miniflare } from "miniflare";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { streamKeys } from "../../src/lib/index";
import { useKeyspace } from "../helpers/redis";
import { sleep } from "../helpers/sleep";
import { startTarget, type Target } from "../helpers/target";
import { startWorker } from "../helpers/worker";

const PUBLISH = "publish-s3cret-token";
const ADMIN = "admin-s3cret-token";

type Answer = { status: number; challenge: string | null; body: Record<string, unknown> };
type ErrorBody = { error: { code: string; message: string } };

const ks = useKeyspace("publish-worker", { scope: "suite" });
const { d } = ks;
const stream = ks.key("orders");
let target: Target;
let logs: string[] = [];

beforeAll(async () => {
  target = await startTarget();
});
afterAll(async () => {
  await target.close();
});

/** One Worker per describe block: starting Miniflare is the slow part. */
function useWorker(bindings: Record<string, string | undefined>, script?: string): () => Miniflare {
  let mf: Miniflare | undefined;
  beforeAll(async () => {
    logs = [];
    mf = await startWorker(
      { STREAM: stream, GROUP: "g", ADMIN_TOKEN: ADMIN, TARGET_URL: target.url, ...bindings },
      logs,
      script === undefined ? {} : { script },
    );
  });
  afterAll(async () => {
    await mf?.dispose();
  });
  return () => {
    if (!mf) {
      throw new Error("worker not started");
    }
    return mf;
  };
}

async function post(
  mf: Miniflare,
  body: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${PUBLISH}` },
): Promise<Answer> {
  const res = await mf.dispatchFetch("http://worker/publish", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return {
    status: res.status,
    challenge: res.headers.get("www-authenticate"),
    body: (await res.json()) as Answer["body"],
  };
}

const errorOf = (a: Answer) => (a.body as ErrorBody).error;

/** The Worker's JSON log lines of `event`; anything else it printed is left out. */
function logged(event: string): Record<string, unknown>[] {
  return logs.flatMap((line) => {
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      return entry.event === event ? [entry] : [];
    } catch {
      return [];
    }
  });
}

/** The stream's entries as Redis holds them: id and flat pairs, in order. */
async function entries(): Promise<[string, string[]][]> {
  return (await d.sendCommand(["XRANGE", stream, "-", "+"])) as [string, string[]][];
}

describe("POST /publish with PUBLISH_TOKEN unset", () => {
  const worker = useWorker({});

  it("answers 404 PUBLISH_OFF, whatever the token", async () => {
    const res = await post(worker(), { fields: { a: "1" } }, { authorization: `Bearer ${ADMIN}` });
    expect(res.status).toBe(404);
    expect(errorOf(res).code).toBe("PUBLISH_OFF");
    expect(await d.exists(stream)).toBe(0);
  });
});

describe("POST /publish with a PUBLISH_TOKEN no header could carry", () => {
  const worker = useWorker({ PUBLISH_TOKEN: "two words" });

  it("answers 500 CONFIG_INVALID naming the variable, never its value", async () => {
    const res = await post(worker(), { fields: { a: "1" } }, { authorization: "Bearer two" });
    expect(res.status).toBe(500);
    expect(errorOf(res).code).toBe("CONFIG_INVALID");
    expect(errorOf(res).message).toMatch(/^PUBLISH_TOKEN must be a bearer token/);
    expect(JSON.stringify(res.body)).not.toContain("two words");
  });
});

describe("POST /publish", () => {
  // DRAIN_MODE=cron: nothing is woken, so what a test publishes stays in the stream.
  const worker = useWorker({
    PUBLISH_TOKEN: PUBLISH,
    DRAIN_MODE: "cron",
    MAX_MESSAGE_BYTES: "200",
  });
  afterEach(() => ks.cleanup());

  it.each([
    ["no token", {}],
    ["a wrong token", { authorization: `Bearer ${PUBLISH}x` }],
    ["the admin token", { authorization: `Bearer ${ADMIN}` }],
  ])("answers 401 to %s and adds nothing", async (_, headers: Record<string, string>) => {
    const res = await post(worker(), { fields: { a: "1" } }, headers);
    expect(res.status).toBe(401);
    expect(errorOf(res).code).toBe("UNAUTHORIZED");
    expect(res.challenge).toMatch(/^Bearer/);
    expect(await d.exists(stream)).toBe(0);
  });

  it("adds one message and answers 201 with the stream and its id", async () => {
    const res = await post(worker(), { fields: { orderID: "A-1", amount: "007" } });
    expect(res.status).toBe(201);
    const [[id, pairs] = []] = await entries();
    expect(res.body).toEqual({ stream, ids: [id], duplicates: 0 });
    expect(pairs).toEqual(["orderID", "A-1", "amount", "007"]);
  });

  it("adds an array of messages in order, numbers and booleans as their text", async () => {
    const res = await post(worker(), [
      { fields: { n: 1, amount: 12.5 } },
      {
        fields: [
          ["ok", true],
          ["b", "x"],
          ["b", "y"],
        ],
      },
    ]);
    expect(res.status).toBe(201);
    const stored = await entries();
    expect(res.body.ids).toEqual(stored.map(([id]) => id));
    expect(stored.map(([, pairs]) => pairs)).toEqual([
      ["n", "1", "amount", "12.5"],
      ["ok", "true", "b", "x", "b", "y"],
    ]);
  });

  it("adds a message sent twice with the same Idempotency-Key once", async () => {
    const headers = { authorization: `Bearer ${PUBLISH}`, "idempotency-key": "order-A-1" };
    const first = await post(worker(), { fields: { orderID: "A-1" } }, headers);
    const again = await post(worker(), { fields: { orderID: "A-1" } }, headers);
    expect(first.status).toBe(201);
    expect(again.body).toEqual({ stream, ids: first.body.ids, duplicates: 1 });
    expect(await d.xLen(stream)).toBe(1);
    expect(await d.exists(streamKeys(stream, "g").publishKey("order-A-1"))).toBe(1);
  });

  it.each([
    [
      "a value that is neither a string, a number nor a boolean",
      [{ fields: { a: "1" } }, { fields: { a: "1", tags: ["x"] } }],
      'message 1: field "tags" must be a string, number or boolean, got an array',
    ],
    ["a body that is not JSON", "{fields:", "the body is not valid JSON"],
    ["an empty array", [], "the body must hold 1 to 1000 messages, got 0"],
    [
      "more than 1,000 messages",
      Array.from({ length: 1001 }, () => ({ fields: { a: "1" } })),
      "the body must hold 1 to 1000 messages, got 1001",
    ],
    [
      "an unknown property",
      [{ fields: { a: "1" }, idempotency_key: "k" }],
      'message 0: unknown property "idempotency_key"',
    ],
    ["a message without fields", { fields: {} }, "message 0: fields must hold 1 to"],
  ])("answers 400 PUBLISH_INVALID to %s, naming it, and adds nothing", async (_, body, text) => {
    const res = await post(worker(), body);
    expect(res.status).toBe(400);
    expect(errorOf(res).code).toBe("PUBLISH_INVALID");
    expect(errorOf(res).message).toContain(text);
    expect(await d.exists(stream)).toBe(0);
  });

  it("answers 413 MESSAGE_TOO_LARGE naming a message over MAX_MESSAGE_BYTES", async () => {
    const res = await post(worker(), [{ fields: { a: "1" } }, { fields: { a: "x".repeat(300) } }]);
    expect(res.status).toBe(413);
    expect(errorOf(res)).toEqual({
      code: "MESSAGE_TOO_LARGE",
      message: "message 1 is 319 bytes of JSON, more than MAX_MESSAGE_BYTES (200)",
    });
    expect(await d.exists(stream)).toBe(0);
  });

  it("answers 413 BODY_TOO_LARGE to a body over 9 MiB without reading it", async () => {
    const res = await post(worker(), "x".repeat(9 * 1024 * 1024 + 1));
    expect(res.status).toBe(413);
    expect(errorOf(res).code).toBe("BODY_TOO_LARGE");
  });

  it("answers GET /publish with 405, allowing POST", async () => {
    const res = await worker().dispatchFetch("http://worker/publish");
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    await res.arrayBuffer();
  });

  it("logs each publish as one line, never a token", async () => {
    await post(worker(), { fields: { a: "1" } });
    expect(logged("publish").at(-1)).toMatchObject({
      stream,
      messages: 1,
      duplicates: 0,
    });
    expect(logs.join("\n")).not.toContain(PUBLISH);
  });
});

describe("a publish wakes a drain", () => {
  const worker = useWorker({ PUBLISH_TOKEN: PUBLISH, POLL_IDLE_MS: "200" });
  afterEach(() => ks.cleanup());

  it("delivers a published message to TARGET_URL with no cron fired", async () => {
    await d.sendCommand(["XGROUP", "CREATE", stream, "g", "$", "MKSTREAM"]);
    const res = await post(worker(), { fields: { orderID: "A-1" } });
    expect(res.status).toBe(201);
    const [id] = res.body.ids as string[];
    for (let i = 0; i < 200 && !target.deliveries.some((x) => x.id === id); i++) {
      await sleep(50);
    }
    expect(target.deliveries.map((x) => x.id)).toContain(id);
    // The woken drain let go of its slot once it stopped.
    const slots = streamKeys(stream, "g").drains;
    for (let i = 0; i < 200 && (await d.exists(slots)) === 1; i++) {
      await sleep(50);
    }
    expect(await d.zCard(slots)).toBe(0);
  });

  it("starts no drain while another drain holds a slot", async () => {
    await d.sendCommand(["XGROUP", "CREATE", stream, "g", "$", "MKSTREAM"]);
    const slots = streamKeys(stream, "g").drains;
    await d.zAdd(slots, { score: Date.now() + 60_000, value: "cron-elsewhere" });
    const res = await post(worker(), { fields: { orderID: "A-2" } });
    expect(res.status).toBe(201);
    for (let i = 0; i < 200 && logged("drain_skipped").length === 0; i++) {
      await sleep(50);
    }
    expect(logged("drain_skipped")).toEqual([
      expect.objectContaining({ reason: "slots_full", maxParallelDrains: 1 }),
    ]);
    const [id] = res.body.ids as string[];
    expect(target.deliveries.map((x) => x.id)).not.toContain(id);
    expect(await d.zRange(slots, 0, -1)).toEqual(["cron-elsewhere"]);
  });
});

describe("POST /publish with Queues-shaped messages", () => {
  const worker = useWorker({ PUBLISH_TOKEN: PUBLISH, DRAIN_MODE: "cron" });
  afterEach(() => ks.cleanup());

  it("adds them as createQueue().send writes them", async () => {
    const res = await post(worker(), [
      { body: { orderId: "A-1" } },
      { body: "now", contentType: "text" },
    ]);
    expect(res.status).toBe(201);
    const stored = await entries();
    expect(res.body).toEqual({ stream, ids: stored.map(([id]) => id), duplicates: 0 });
    expect(stored.map(([, pairs]) => pairs)).toEqual([
      ["body", '{"orderId":"A-1"}', "content_type", "json"],
      ["body", "now", "content_type", "text"],
    ]);
  });

  it("refuses a delayed one with 400 when no queue consumer would move it in, adding nothing", async () => {
    const res = await post(worker(), [
      { body: "now", contentType: "text" },
      { body: "hello", contentType: "text", delaySeconds: 60 },
    ]);
    expect(res.status).toBe(400);
    expect((res.body as ErrorBody).error.code).toBe("DELAY_UNSUPPORTED");
    expect(await entries()).toEqual([]);
  });
});

describe("POST /publish of delayed messages to a queue consumer's stream", () => {
  const worker = useWorker(
    { PUBLISH_TOKEN: PUBLISH, DRAIN_MODE: "cron" },
    inject("queueWorkerScript"),
  );
  afterEach(() => ks.cleanup());

  it("adds the delayed ones to the delayed set, the others to the stream", async () => {
    const res = await post(worker(), [
      { body: { orderId: "A-1" } },
      { body: "hello", contentType: "text", delaySeconds: 60 },
    ]);
    expect(res.status).toBe(201);
    const stored = await entries();
    expect(res.body).toEqual({ stream, ids: [stored[0]?.[0], null], duplicates: 0 });
    const delayed = await d.zRange(streamKeys(stream, "g").delayed, 0, -1);
    expect(delayed.map((member) => JSON.parse(member).p)).toEqual([
      ["body", "hello", "content_type", "text"],
    ]);
  });
});
