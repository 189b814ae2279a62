import { describe, expect, it } from "vitest";
import { parseDeadLetter, truncateError } from "../../src/lib/dead-letter/entry";
import { parseMoveReply, parseRedriveReply } from "../../src/lib/dead-letter/replies";
import { ReplyShapeError } from "../../src/lib/errors";
import type { FieldPair } from "../../src/lib/replies/index";

/** The metadata pairs of a dead letter in the current layout. */
function header(format: string, failures = "2"): FieldPair[] {
  return [
    ["original_id", "1795709122566-0"],
    ["original_stream", "orders"],
    ["group", "g"],
    ["last_consumer", "c"],
    ["deliveries", "3"],
    ["failures", failures],
    ["reason", "max_deliveries"],
    ["error", "boom"],
    ["dead_at", "1795709122600"],
    ["format", format],
  ];
}

describe("parseDeadLetter", () => {
  it("reads the metadata and the original pairs of the current layout", () => {
    const letter = parseDeadLetter("9-0", [...header("pairs"), ["amount", "12"]]);
    expect(letter).toEqual({
      id: "9-0",
      originalId: "1795709122566-0",
      originalStream: "orders",
      group: "g",
      lastConsumer: "c",
      deliveries: 3,
      failures: 2,
      reason: "max_deliveries",
      error: "boom",
      deadAt: 1795709122600,
      payload: { amount: "12" },
      pairs: [["amount", "12"]],
    });
  });

  it("keeps repeated field names and their order in pairs, the last value in payload", () => {
    const original: FieldPair[] = [
      ["b", "1"],
      ["a", "2"],
      ["b", "3"],
    ];
    const letter = parseDeadLetter("9-0", [...header("pairs"), ...original]);
    expect(letter.pairs).toEqual(original);
    expect(letter.payload).toEqual({ b: "3", a: "2" });
  });

  it("reads original fields named like metadata fields as payload", () => {
    const original: FieldPair[] = [
      ["reason", "mine"],
      ["original_id", "x"],
      ["format", "json"],
    ];
    const letter = parseDeadLetter("9-0", [...header("pairs"), ...original]);
    expect(letter.reason).toBe("max_deliveries");
    expect(letter.originalId).toBe("1795709122566-0");
    expect(letter.pairs).toEqual(original);
  });

  it("reads the pairs of a wide entry from its JSON array", () => {
    const pairs: FieldPair[] = [...header("json"), ["pairs", '["a","1","a","2"]']];
    expect(parseDeadLetter("9-0", pairs).pairs).toEqual([
      ["a", "1"],
      ["a", "2"],
    ]);
  });

  it("reads an entry of the older layout, with 0 failures", () => {
    const letter = parseDeadLetter("9-0", [
      ["original_id", "1-0"],
      ["original_stream", "orders"],
      ["group", "g"],
      ["last_consumer", "c"],
      ["deliveries", "1"],
      ["reason", "permanent_error"],
      ["error", "bad"],
      ["dead_at", "1795709122600"],
      ["payload", '{"amount":"12","note":"x"}'],
    ]);
    expect(letter).toMatchObject({ originalId: "1-0", deliveries: 1, failures: 0 });
    expect(letter.pairs).toEqual([
      ["amount", "12"],
      ["note", "x"],
    ]);
  });

  it("rejects an older-layout payload that is not a JSON object of strings", () => {
    const old = (payload: string): FieldPair[] => [
      ...header("x").slice(0, 5),
      ...header("x").slice(6, 9),
      ["payload", payload],
    ];
    expect(() => parseDeadLetter("9-0", old("[1]"))).toThrow(/not a JSON object/);
    expect(() => parseDeadLetter("9-0", old('{"a":1}'))).toThrow(/not a string/);
  });

  it("rejects an entry that does not start with the metadata", () => {
    expect(() => parseDeadLetter("9-0", [["amount", "12"]])).toThrow(ReplyShapeError);
  });

  it("rejects an unknown format", () => {
    expect(() => parseDeadLetter("9-0", [...header("yaml"), ["a", "1"]])).toThrow(/unknown format/);
  });

  it("rejects a wide entry whose JSON is not an even-length array of strings", () => {
    const wide = (json: string) => parseDeadLetter("9-0", [...header("json"), ["pairs", json]]);
    expect(() => wide('["a"]')).toThrow(ReplyShapeError);
    expect(() => wide('["a",1]')).toThrow(ReplyShapeError);
    expect(() => wide("{")).toThrow(/not JSON/);
  });

  it("rejects counts that are not integers", () => {
    expect(() => parseDeadLetter("9-0", [...header("pairs", "two"), ["a", "1"]])).toThrow(
      /failures/,
    );
  });
});

describe("parseMoveReply", () => {
  it("sorts each entry into the list of its outcome", () => {
    const raw = [
      ["1-0", "moved"],
      ["2-0", "not_pending"],
      ["3-0", "gone"],
      ["4-0", "full"],
      ["5-0", "failed", "WRONGTYPE Operation against a key holding the wrong kind of value"],
      ["6-0", "moved"],
    ];
    expect(parseMoveReply(raw)).toEqual({
      moved: ["1-0", "6-0"],
      notPending: ["2-0"],
      gone: ["3-0"],
      full: ["4-0"],
      failed: [
        { id: "5-0", error: "WRONGTYPE Operation against a key holding the wrong kind of value" },
      ],
      notSent: [],
    });
  });

  it("adds to the result of the chunks before", () => {
    const first = parseMoveReply([["1-0", "moved"]]);
    expect(parseMoveReply([["2-0", "moved"]], first).moved).toEqual(["1-0", "2-0"]);
  });

  it("rejects an unknown outcome", () => {
    expect(() => parseMoveReply([["1-0", "lost"]])).toThrow(ReplyShapeError);
  });

  it("rejects an outcome named like an object property", () => {
    expect(() => parseMoveReply([["1-0", "toString"]])).toThrow(ReplyShapeError);
  });

  it("rejects a failure without its error", () => {
    expect(() => parseMoveReply([["1-0", "failed"]])).toThrow(ReplyShapeError);
  });

  it("rejects a reply that is not an array", () => {
    expect(() => parseMoveReply("OK")).toThrow(ReplyShapeError);
  });
});

describe("parseRedriveReply", () => {
  it("reads moves, skips and the next id", () => {
    const raw = [
      "7-0",
      [
        ["4-0", "moved", "10-0", "1-0"],
        ["5-0", "skipped", "too_many_fields", "2-0", ""],
        ["6-0", "skipped", "failed", "3-0", "WRONGTYPE Operation"],
      ],
    ];
    expect(parseRedriveReply(raw)).toEqual({
      next: "7-0",
      moved: [{ dlqId: "4-0", originalId: "1-0", newId: "10-0" }],
      skipped: [
        { id: "5-0", reason: "too_many_fields" },
        { id: "6-0", reason: "failed", error: "WRONGTYPE Operation" },
      ],
    });
  });

  it("reads a dry run's empty new id as null and an empty next as the end", () => {
    expect(parseRedriveReply(["", [["4-0", "moved", "", "1-0"]]])).toEqual({
      next: null,
      moved: [{ dlqId: "4-0", originalId: "1-0", newId: null }],
      skipped: [],
    });
  });

  it("rejects an unknown skip reason", () => {
    expect(() => parseRedriveReply(["", [["4-0", "skipped", "tired", "1-0", ""]]])).toThrow(
      ReplyShapeError,
    );
  });

  it("rejects an outcome with too few items", () => {
    expect(() => parseRedriveReply(["", [["4-0", "moved"]]])).toThrow(ReplyShapeError);
  });

  it("rejects a reply without the next id", () => {
    expect(() => parseRedriveReply([[["4-0", "moved", "", "1-0"]]])).toThrow(ReplyShapeError);
  });
});

describe("truncateError", () => {
  it("cuts errors to 1 KiB without splitting a character", () => {
    const cut = truncateError("é".repeat(2000));
    expect(new TextEncoder().encode(cut).length).toBeLessThanOrEqual(1024);
    expect(cut.endsWith("é...")).toBe(true);
  });
});
