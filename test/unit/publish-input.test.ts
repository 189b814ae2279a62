import { describe, expect, it } from "vitest";
import { PublishInputError } from "../../src/lib/errors";
import { keepsOrderAsObject, MAX_PUBLISH_PAIRS, toPublishable } from "../../src/lib/publish/input";

/** The error `toPublishable` throws for `message`, as a plain object. */
function refusal(message: unknown, index = 0) {
  try {
    toPublishable(message, index);
  } catch (e) {
    expect(e).toBeInstanceOf(PublishInputError);
    const { code, message: text, index: at, field } = e as PublishInputError;
    return { code, message: text, index: at, field };
  }
  throw new Error("accepted");
}

describe("toPublishable", () => {
  it("takes an object's fields in the order it lists them", () => {
    expect(toPublishable({ fields: { z: "1", a: "2" } }, 0)).toEqual({
      pairs: [
        ["z", "1"],
        ["a", "2"],
      ],
      key: undefined,
    });
  });

  it("takes a list of pairs as it is, repeated names included", () => {
    const pairs = [
      ["b", "1"],
      ["b", "2"],
    ];
    expect(toPublishable({ fields: pairs, idempotencyKey: "k" }, 0)).toEqual({ pairs, key: "k" });
  });

  it("names the message and the field of a value that is not a string", () => {
    expect(refusal({ fields: { ok: "1", amount: 7 } }, 3)).toEqual({
      code: "PUBLISH_INVALID",
      message: 'message 3: field "amount" must be a string, got a number',
      index: 3,
      field: "amount",
    });
  });

  it("names the field of a list pair whose value is not a string", () => {
    expect(refusal({ fields: [["tags", ["a"]]] })).toMatchObject({
      message: 'message 0: field "tags" must be a string, got an array',
      field: "tags",
    });
  });

  it("names the position of a list element that is not a pair", () => {
    expect(refusal({ fields: [["a", "1"], "b"] }, 1)).toMatchObject({
      message: "message 1: fields[1] must be a [name, value] pair of strings, got a string",
      index: 1,
      field: undefined,
    });
  });

  it.each([
    ["a message that is not an object", "x", "message 0 must be an object, got a string"],
    [
      "fields that are neither an object nor a list",
      { fields: null },
      "message 0: fields must be an object or a list of [name, value] pairs, got null",
    ],
    [
      "no fields",
      { fields: {} },
      `message 0: fields must hold 1 to ${MAX_PUBLISH_PAIRS} pairs, got 0`,
    ],
    [
      "an empty idempotency key",
      { fields: { a: "1" }, idempotencyKey: "" },
      "message 0: idempotencyKey must be a non-empty string, got an empty string",
    ],
    [
      "an idempotency key that is not a string",
      { fields: { a: "1" }, idempotencyKey: 5 },
      "message 0: idempotencyKey must be a non-empty string, got a number",
    ],
  ])("refuses %s", (_, message, text) => {
    expect(refusal(message).message).toBe(text);
  });

  it("refuses more pairs than one script XADD takes", () => {
    const pairs = Array.from({ length: MAX_PUBLISH_PAIRS + 1 }, (_, i) => [`f${i}`, "v"]);
    expect(refusal({ fields: pairs }).message).toBe(
      `message 0: fields must hold 1 to ${MAX_PUBLISH_PAIRS} pairs, got ${MAX_PUBLISH_PAIRS + 1}`,
    );
  });

  it("never quotes a value in its message", () => {
    expect(refusal({ fields: { card: { number: "4111111111111111" } } }).message).not.toContain(
      "4111",
    );
  });
});

describe("keepsOrderAsObject", () => {
  it("holds for distinct names an object lists in their order", () => {
    expect(
      keepsOrderAsObject([
        ["z", "1"],
        ["a", "2"],
        ["007", "3"],
      ]),
    ).toBe(true);
  });

  it("fails for a repeated name", () => {
    expect(
      keepsOrderAsObject([
        ["b", "1"],
        ["b", "2"],
      ]),
    ).toBe(false);
  });

  it("fails for a number-like name after another, which an object lists first", () => {
    expect(
      keepsOrderAsObject([
        ["a", "1"],
        ["7", "2"],
      ]),
    ).toBe(false);
  });
});
