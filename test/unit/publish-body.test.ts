import { describe, expect, it } from "vitest";
import { PublishInputError } from "../../src/lib/errors";
import { idsInBodyOrder, MAX_PUBLISH_BATCH, parsePublishBody } from "../../src/lib/publish/body";

/** The error `parsePublishBody` throws, as a plain object. */
function refusal(body: unknown, headerKey?: string) {
  try {
    parsePublishBody(body, headerKey);
  } catch (e) {
    expect(e).toBeInstanceOf(PublishInputError);
    const { message, index, field } = e as PublishInputError;
    return { message, index, field };
  }
  throw new Error("accepted");
}

describe("parsePublishBody", () => {
  it("reads one object as one message", () => {
    expect(parsePublishBody({ fields: { a: "1" } }, undefined).messages).toEqual([
      { fields: [["a", "1"]] },
    ]);
  });

  it("reads an array as messages in order, with their keys", () => {
    const body = [{ fields: { a: "1" }, idempotencyKey: "k1" }, { fields: { b: "2" } }];
    expect(parsePublishBody(body, undefined).messages).toEqual([
      { fields: [["a", "1"]], idempotencyKey: "k1" },
      { fields: [["b", "2"]] },
    ]);
  });

  it("turns numbers and booleans into their text", () => {
    const body = { fields: { n: 12.5, big: 1e21, ok: false } };
    expect(parsePublishBody(body, undefined).messages[0]?.fields).toEqual([
      ["n", "12.5"],
      ["big", "1e+21"],
      ["ok", "false"],
    ]);
  });

  it("takes fields as a list of pairs, keeping their order and repeated names", () => {
    const body = {
      fields: [
        ["b", "1"],
        ["7", 2],
        ["b", "3"],
      ],
    };
    expect(parsePublishBody(body, undefined).messages[0]?.fields).toEqual([
      ["b", "1"],
      ["7", "2"],
      ["b", "3"],
    ]);
  });

  it("gives a single message the Idempotency-Key header as its key", () => {
    expect(parsePublishBody({ fields: { a: "1" } }, "order-1").messages).toEqual([
      { fields: [["a", "1"]], idempotencyKey: "order-1" },
    ]);
  });

  it("takes the same key in the header and the body", () => {
    const body = { fields: { a: "1" }, idempotencyKey: "k" };
    expect(parsePublishBody(body, "k").messages[0]?.idempotencyKey).toBe("k");
  });

  it("measures each message's JSON in bytes of UTF-8", () => {
    const body = [{ fields: { a: "é" } }, { fields: { a: "1" } }];
    expect(parsePublishBody(body, undefined).bytes).toEqual([
      JSON.stringify(body[0]).length + 1,
      JSON.stringify(body[1]).length,
    ]);
  });

  it("names the message and the field of a value it cannot store", () => {
    expect(refusal([{ fields: { a: "1" } }, { fields: { a: "1", meta: { x: 1 } } }])).toEqual({
      message: 'message 1: field "meta" must be a string, number or boolean, got an object',
      index: 1,
      field: "meta",
    });
  });

  it("names the field of a null value in a list of pairs", () => {
    expect(refusal({ fields: [["a", null]] })).toMatchObject({ index: 0, field: "a" });
  });

  it.each([
    ["a string", "x", "the body must be a JSON object"],
    [
      "null",
      null,
      'the body must be a JSON object { "fields": ... } or an array of them, got null',
    ],
    ["an empty array", [], `the body must hold 1 to ${MAX_PUBLISH_BATCH} messages, got 0`],
    [
      "an array element that is not an object",
      [{ fields: { a: "1" } }, 3],
      "message 1 must be an object",
    ],
    ["an unknown property", { fields: { a: "1" }, key: "k" }, 'message 0: unknown property "key"'],
    [
      "fields missing",
      { idempotencyKey: "k" },
      "message 0: fields must be an object or a list of [name, value] pairs, got nothing",
    ],
    [
      "a list element that is not a pair",
      { fields: [["a"]] },
      "message 0: fields[0] must be a [name, value] pair",
    ],
    ["an empty idempotency key", { fields: { a: "1" }, idempotencyKey: "" }, "got an empty string"],
  ])("refuses %s", (_, body, text) => {
    expect(refusal(body).message).toContain(text);
  });

  it("refuses more than the batch limit", () => {
    const body = Array.from({ length: MAX_PUBLISH_BATCH + 1 }, () => ({ fields: { a: "1" } }));
    expect(refusal(body).message).toBe(
      `the body must hold 1 to ${MAX_PUBLISH_BATCH} messages, got ${MAX_PUBLISH_BATCH + 1}`,
    );
  });

  it("refuses the Idempotency-Key header with an array", () => {
    expect(refusal([{ fields: { a: "1" } }], "k").message).toContain(
      "the Idempotency-Key header is for a body of one message",
    );
  });

  it("refuses an empty Idempotency-Key header", () => {
    expect(refusal({ fields: { a: "1" } }, "").message).toBe("the Idempotency-Key header is empty");
  });

  it("refuses a header key that differs from the body's", () => {
    expect(refusal({ fields: { a: "1" }, idempotencyKey: "a" }, "b").message).toContain("differ");
  });
});

describe("parsePublishBody with Queues-shaped messages", () => {
  it("encodes a body as the fields body and content_type, json by default", () => {
    expect(parsePublishBody({ body: { orderId: "A-1" } }, undefined)).toMatchObject({
      messages: [
        {
          fields: [
            ["body", '{"orderId":"A-1"}'],
            ["content_type", "json"],
          ],
        },
      ],
      delayed: [],
    });
  });

  it("keeps a text body as the string", () => {
    const body = { body: "hello", contentType: "text" };
    expect(parsePublishBody(body, undefined).messages[0]?.fields).toEqual([
      ["body", "hello"],
      ["content_type", "text"],
    ]);
  });

  it("lists a delayed message apart, with its place in the body", () => {
    const out = parsePublishBody(
      [{ fields: { a: "1" } }, { body: [1], delaySeconds: 30 }, { body: 2, delaySeconds: 0 }],
      undefined,
    );
    expect(out.messages.map((m) => m.fields)).toEqual([
      [["a", "1"]],
      [
        ["body", "2"],
        ["content_type", "json"],
      ],
    ]);
    expect(out.delayed).toEqual([
      {
        index: 1,
        delaySeconds: 30,
        pairs: [
          ["body", "[1]"],
          ["content_type", "json"],
        ],
      },
    ]);
  });

  it("gives an immediate Queues-shaped message its idempotency key", () => {
    expect(parsePublishBody({ body: 1 }, "k1").messages).toEqual([
      {
        fields: [
          ["body", "1"],
          ["content_type", "json"],
        ],
        idempotencyKey: "k1",
      },
    ]);
  });

  it.each([
    [
      "fields and body together",
      [{ fields: { a: "1" } }, { fields: { a: "1" }, body: 1 }],
      'message 1 has both "fields" and "body": send one of them',
    ],
    [
      "a text body that is not a string",
      { body: 5, contentType: "text" },
      'message 0: contentType "text" needs a string body, got a number',
    ],
    [
      "the bytes content type",
      { body: "x", contentType: "bytes" },
      'message 0: contentType "bytes" is not supported',
    ],
    [
      "a delay over 24 hours",
      { body: 1, delaySeconds: 86_401 },
      "message 0: delaySeconds must be an integer between 0 and 86400 (24 hours), got 86401",
    ],
    [
      "a delay that is not an integer",
      { body: 1, delaySeconds: "5" },
      "message 0: delaySeconds must be an integer between 0 and 86400 (24 hours), got a string",
    ],
    [
      "an idempotency key on a delayed message",
      { body: 1, delaySeconds: 5, idempotencyKey: "k" },
      "message 0: idempotencyKey cannot go with delaySeconds",
    ],
    [
      "an unknown property beside body",
      { body: 1, delay: 5 },
      'message 0: unknown property "delay"',
    ],
    [
      "delaySeconds beside fields",
      { fields: { a: "1" }, delaySeconds: 5 },
      'message 0: unknown property "delaySeconds"',
    ],
  ])("refuses %s, naming the message", (_, body, text) => {
    const out = refusal(body);
    expect(out.message).toContain(text);
    expect(out.index).toBe(Array.isArray(body) ? 1 : 0);
  });
});

describe("idsInBodyOrder", () => {
  it("puts null in the place of each delayed message", () => {
    const body = parsePublishBody(
      [
        { body: 1, delaySeconds: 5 },
        { fields: { a: "1" } },
        { body: 2, delaySeconds: 5 },
        { body: 3 },
      ],
      undefined,
    );
    expect(idsInBodyOrder(["1-0", "2-0"], body)).toEqual([null, "1-0", null, "2-0"]);
  });
});
