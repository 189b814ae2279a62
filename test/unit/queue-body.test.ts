import { describe, expect, it } from "vitest";
import { QueueSendError } from "../../src/lib/errors";
import { decodeBody, encodeBody, type QueueContentType } from "../../src/lib/queues/body";

/** The error `encodeBody` throws, as a plain object. */
function refusal(body: unknown, contentType?: unknown) {
  try {
    encodeBody(body, contentType as QueueContentType);
  } catch (e) {
    expect(e).toBeInstanceOf(QueueSendError);
    const { message, code, cause } = e as QueueSendError;
    return { message, code, cause };
  }
  throw new Error("accepted");
}

describe("encodeBody", () => {
  it("writes a JSON body as its JSON text, content type json by default", () => {
    expect(encodeBody({ orderId: "A-1", amount: 12.5 })).toEqual([
      ["body", '{"orderId":"A-1","amount":12.5}'],
      ["content_type", "json"],
    ]);
  });

  it("writes a JSON string with its quotes", () => {
    expect(encodeBody("hello", "json")[0]).toEqual(["body", '"hello"']);
  });

  it("writes null as JSON", () => {
    expect(encodeBody(null)[0]).toEqual(["body", "null"]);
  });

  it("writes a text body as the string itself", () => {
    expect(encodeBody("hello", "text")).toEqual([
      ["body", "hello"],
      ["content_type", "text"],
    ]);
  });

  it("leaves out what JSON leaves out inside an object", () => {
    expect(encodeBody({ a: 1, skip: undefined, f: () => 1 })[0]).toEqual(["body", '{"a":1}']);
  });

  it("refuses undefined: there is nothing to send", () => {
    expect(refusal(undefined).message).toBe("the body is undefined: there is nothing to send");
  });

  it.each([
    ["a function", () => 1, "a function has no JSON form"],
    ["a symbol", Symbol("s"), "a symbol has no JSON form"],
  ])("refuses %s under json", (_, body, text) => {
    expect(refusal(body)).toMatchObject({
      code: "QUEUE_SEND_INVALID",
      message: `the body cannot be JSON: ${text}`,
    });
  });

  it("refuses a BigInt, keeping the engine's error as the cause", () => {
    const out = refusal({ amount: 10n });
    expect(out.message).toContain("it holds a BigInt");
    expect(out.cause).toBeInstanceOf(TypeError);
  });

  it("refuses a cycle", () => {
    const body: Record<string, unknown> = { id: "secret-value" };
    body.self = body;
    const out = refusal(body);
    expect(out.message).toContain("it refers to itself (a cycle)");
    expect(out.message).not.toContain("secret-value");
  });

  it("refuses a toJSON that throws, keeping what it threw as the cause", () => {
    const boom = new Error("boom");
    const out = refusal({
      toJSON() {
        throw boom;
      },
    });
    expect(out.message).toBe("the body cannot be JSON: turning it into JSON threw (see the cause)");
    expect(out.cause).toBe(boom);
  });

  it("refuses a text body that is not a string", () => {
    expect(refusal({ a: 1 }, "text").message).toBe(
      'contentType "text" needs a string body, got an object',
    );
  });

  it.each(["bytes", "v8"])("says content type %s is not supported", (type) => {
    expect(refusal("x", type).message).toBe(
      `contentType "${type}" is not supported: a stream field holds text, so send "json" or "text"`,
    );
  });

  it("names an unknown content type", () => {
    expect(refusal("x", "xml").message).toBe('contentType must be "json" or "text", got "xml"');
  });
});

describe("decodeBody", () => {
  it("parses a json body", () => {
    expect(decodeBody({ body: '{"a":[1,2]}', content_type: "json" })).toEqual({ a: [1, 2] });
  });

  it("gives a text body as the string, even when it looks like JSON", () => {
    expect(decodeBody({ body: "[1]", content_type: "text" })).toBe("[1]");
  });

  it("parses a body without a content type as JSON", () => {
    expect(decodeBody({ body: "42" })).toBe(42);
  });

  it("gives a body that is not JSON as the string it is", () => {
    expect(decodeBody({ body: "plain words", content_type: "json" })).toBe("plain words");
  });

  it("gives the fields themselves when there is no body field", () => {
    const fields = { orderId: "A-1", amount: "007" };
    expect(decodeBody(fields)).toBe(fields);
  });

  it("reads the body from another field when told", () => {
    expect(decodeBody({ payload: '{"a":1}' }, "payload")).toEqual({ a: 1 });
  });

  it("does not take a field of the prototype for the body", () => {
    const fields = { a: "1" };
    expect(decodeBody(fields, "toString")).toBe(fields);
  });

  it.each([
    [{ n: 1 }, "json"],
    ["line one\nline two", "text"],
    [[true, null, "x"], "json"],
  ] as const)("gives back what encodeBody wrote: %j as %s", (body, type) => {
    const fields = Object.fromEntries(encodeBody(body, type));
    expect(decodeBody(fields)).toEqual(body);
  });
});
