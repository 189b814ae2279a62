import { describe, expect, it } from "vitest";
import { parseDeadLetterRange, parseDeleteReply } from "../../src/lib/dead-letter/by-id";
import { parseRedriveReply } from "../../src/lib/dead-letter/replies";
import { ReplyShapeError } from "../../src/lib/errors";

/** A dead letter's flat fields in the current layout, then `amount` → `12`. */
const FLAT = [
  ...["original_id", "1795709122566-0", "original_stream", "orders", "group", "g"],
  ...["last_consumer", "c", "deliveries", "3", "failures", "2", "reason", "max_deliveries"],
  ...["error", "boom", "dead_at", "1795709122600", "format", "pairs", "amount", "12"],
];

describe("parseDeadLetterRange", () => {
  it("reads the one entry as a dead letter", () => {
    expect(parseDeadLetterRange([["9-0", FLAT]], "9-0")).toEqual({
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

  it("answers null for an empty reply", () => {
    expect(parseDeadLetterRange([], "9-0")).toBeNull();
  });

  it("rejects an entry that is not a dead letter", () => {
    expect(() => parseDeadLetterRange([["9-0", ["hello", "world"]]], "9-0")).toThrow(
      /dead letter 9-0: does not start with the dead-letter metadata/,
    );
  });

  it("rejects an entry of another id", () => {
    expect(() => parseDeadLetterRange([["8-0", FLAT]], "9-0")).toThrow(ReplyShapeError);
  });

  it("rejects more than one entry", () => {
    expect(() =>
      parseDeadLetterRange(
        [
          ["9-0", FLAT],
          ["9-0", FLAT],
        ],
        "9-0",
      ),
    ).toThrow(ReplyShapeError);
  });

  it("rejects a reply that is not an array", () => {
    expect(() => parseDeadLetterRange("9-0", "9-0")).toThrow(ReplyShapeError);
  });
});

describe("parseDeleteReply", () => {
  it("reads 1 as deleted and 0 as nothing deleted", () => {
    expect(parseDeleteReply(1)).toBe(true);
    expect(parseDeleteReply(0)).toBe(false);
  });

  it("rejects a count other than 0 or 1", () => {
    expect(() => parseDeleteReply(2)).toThrow(ReplyShapeError);
  });

  it("rejects a reply that is not an integer", () => {
    expect(() => parseDeleteReply(["1"])).toThrow(ReplyShapeError);
  });
});

describe("parseRedriveReply with ids", () => {
  it("reads an id the dead-letter stream does not hold as skipped not_found", () => {
    const raw = [
      "",
      [
        ["4-0", "skipped", "not_found", "", ""],
        ["5-0", "moved", "10-0", "1-0"],
      ],
    ];
    expect(parseRedriveReply(raw)).toEqual({
      next: null,
      moved: [{ dlqId: "5-0", originalId: "1-0", newId: "10-0" }],
      skipped: [{ id: "4-0", reason: "not_found" }],
    });
  });
});
