import { describe, expect, it } from "vitest";
import { HttpError } from "../../src/handlers/http-errors";
import { handlerFor, handlersOf, selectStream } from "../../src/handlers/streams";
import { parseStreamConfigs } from "../../src/lib/config/streams";
import { ConfigError } from "../../src/lib/errors";
import type { MessageHandler } from "../../src/lib/index";
import { refusal } from "../helpers/refusal";

const WORKER = { UPSTASH_REDIS_REST_URL: "http://127.0.0.1:8079", UPSTASH_REDIS_REST_TOKEN: "t" };
const one = parseStreamConfigs({ ...WORKER, STREAM: "orders", GROUP: "g" });
const three = parseStreamConfigs({
  ...WORKER,
  STREAMS: [
    { stream: "orders", group: "pay" },
    { stream: "orders", group: "audit", dlqStream: "orders:audit:dlq" },
    { stream: "emails", group: "mail", targetUrl: "https://hooks.example.com/mail" },
  ],
});
const answer = (call: () => unknown) => {
  const e = refusal(HttpError, call);
  return { status: e.status, code: e.code, message: e.message };
};
const pay: MessageHandler = () => {};
const fallback: MessageHandler = () => {};

describe("selectStream", () => {
  it("picks the one stream of STREAM/GROUP without ?stream=", () => {
    expect(selectStream(one, undefined)).toBe(0);
  });

  it("answers 400 UNKNOWN_GROUP for another group than the one of STREAM/GROUP", () => {
    expect(answer(() => selectStream(one, undefined, "other"))).toEqual({
      status: 400,
      code: "UNKNOWN_GROUP",
      message: 'group "other" is not configured on stream "orders": use one of "g"',
    });
  });

  it("picks the one stream when ?stream= names it", () => {
    expect(selectStream(one, "orders")).toBe(0);
  });

  it("answers 400 STREAM_REQUIRED listing the streams when several are configured", () => {
    expect(answer(() => selectStream(three, undefined))).toEqual({
      status: 400,
      code: "STREAM_REQUIRED",
      message: 'several streams are configured: add ?stream= with one of "orders", "emails"',
    });
  });

  it("answers 400 UNKNOWN_STREAM listing the streams for one that is not configured", () => {
    expect(answer(() => selectStream(three, "orderz"))).toEqual({
      status: 400,
      code: "UNKNOWN_STREAM",
      message: 'stream "orderz" is not configured: use one of "orders", "emails"',
    });
  });

  it("answers 400 UNKNOWN_STREAM for another stream than the one of STREAM/GROUP", () => {
    expect(answer(() => selectStream(one, "emails")).code).toBe("UNKNOWN_STREAM");
  });

  it("picks a stream configured once without ?group=", () => {
    expect(selectStream(three, "emails")).toBe(2);
  });

  it("answers 400 GROUP_REQUIRED listing the groups of a stream configured with several", () => {
    expect(answer(() => selectStream(three, "orders"))).toEqual({
      status: 400,
      code: "GROUP_REQUIRED",
      message:
        'stream "orders" is configured with several groups: add ?group= with one of "pay", "audit"',
    });
  });

  it("picks the entry of ?stream= and ?group=", () => {
    expect(selectStream(three, "orders", "audit")).toBe(1);
  });

  it("answers 400 UNKNOWN_GROUP for a group the stream is not configured with", () => {
    expect(answer(() => selectStream(three, "orders", "mail")).code).toBe("UNKNOWN_GROUP");
  });
});

describe("handlersOf", () => {
  it("gives each stream its own handler, else the default one", () => {
    const handlers = handlersOf(three, { handlers: { orders: pay }, handler: fallback });
    expect(handlers).toEqual([pay, pay, fallback]);
  });

  it("gives a stream with neither its target URL's webhook handler", () => {
    const [, , emails] = handlersOf(three, { handlers: { orders: pay } });
    expect(emails).toBeTypeOf("function");
    expect(emails).not.toBe(pay);
  });

  it("refuses a handler named for a stream that is not configured, listing the configured ones", () => {
    const e = refusal(ConfigError, () =>
      handlersOf(three, { handlers: { orders: pay, emials: pay } }),
    );
    expect(e.message).toBe(
      'handlers["emials"] of createWorker names no configured stream: the configured streams are "orders", "emails"',
    );
  });

  it("refuses a stream with no handler and no target URL, naming the stream and the entry", () => {
    const e = refusal(ConfigError, () => handlersOf(three, { handlers: { emails: pay } }));
    expect(e.variables).toEqual(["STREAMS[0].targetUrl"]);
    expect(e.message).toMatch(/^stream "orders" \(STREAMS\[0\]\) has no handler: /);
  });

  it("keeps the one-stream message of STREAM/GROUP", () => {
    const e = refusal(ConfigError, () => handlerFor(one, 0, {}));
    expect(e.message).toMatch(/^TARGET_URL is not set and no handler was given/);
  });
});
