import { describe, expect, it } from "vitest";
import { ReplyShapeError } from "../../src/lib/errors";
import {
  parseFailureCounts,
  parseMarks,
  parseStreamEntries,
  parseXAutoClaim,
  parseXClaim,
  parseXReadGroup,
} from "../../src/lib/replies/index";

describe("parseStreamEntries", () => {
  it("turns flat field lists into records", () => {
    expect(parseStreamEntries([["1795709122566-0", ["amount", "12", "currency", "EUR"]]])).toEqual([
      {
        id: "1795709122566-0",
        fields: { amount: "12", currency: "EUR" },
        pairs: [
          ["amount", "12"],
          ["currency", "EUR"],
        ],
      },
    ]);
  });

  it("keeps numeric-looking values as strings", () => {
    expect(parseStreamEntries([["1-0", ["n", "123", "ok", "true"]]])[0]?.fields).toEqual({
      n: "123",
      ok: "true",
    });
  });

  it("keeps the last value of a repeated field in fields, and every pair in pairs", () => {
    const [entry] = parseStreamEntries([["1-0", ["a", "1", "b", "x", "a", "2"]]]);
    expect(entry?.fields).toEqual({ a: "2", b: "x" });
    expect(entry?.pairs).toEqual([
      ["a", "1"],
      ["b", "x"],
      ["a", "2"],
    ]);
  });

  it("stores a field named __proto__ as an own property", () => {
    const fields = parseStreamEntries([["1-0", ["__proto__", "x"]]])[0]?.fields;
    expect(fields && Object.hasOwn(fields, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
  });

  it("reports a deleted entry with null fields", () => {
    expect(parseStreamEntries([["1-0", null]])).toEqual([{ id: "1-0", fields: null, pairs: [] }]);
  });

  it("rejects an odd number of field elements", () => {
    expect(() => parseStreamEntries([["1-0", ["a", "1", "b"]]])).toThrow(ReplyShapeError);
  });

  it("rejects a non-string field value", () => {
    expect(() => parseStreamEntries([["1-0", ["a", 1]]])).toThrow(ReplyShapeError);
  });

  it("rejects an entry that is not a pair", () => {
    expect(() => parseStreamEntries([["1-0"]])).toThrow(/expected \[id, fields\]/);
  });

  it("rejects a reply that is not an array", () => {
    expect(() => parseStreamEntries("OK")).toThrow(ReplyShapeError);
  });
});

describe("parseFailureCounts and parseMarks", () => {
  it("reads failed-run counts, 0 where none is recorded", () => {
    expect(parseFailureCounts(["2", null, "0"], 3)).toEqual([2, 0, 0]);
  });

  it("refuses a count that is not a whole number, or a reply of another length", () => {
    expect(() => parseFailureCounts(["x"], 1)).toThrow(ReplyShapeError);
    expect(() => parseFailureCounts(["1"], 2)).toThrow(ReplyShapeError);
  });

  it("reads any non-null value as a done mark", () => {
    expect(parseMarks(["1", null], 2)).toEqual([true, false]);
    expect(() => parseMarks([null], 2)).toThrow(ReplyShapeError);
  });
});

describe("parseXReadGroup", () => {
  it("returns no entries for a null reply", () => {
    expect(parseXReadGroup(null)).toEqual([]);
  });

  it("returns the entries of the first stream", () => {
    const raw = [["orders", [["1795709122566-0", ["amount", "12"]]]]];
    expect(parseXReadGroup(raw)).toEqual([
      { id: "1795709122566-0", fields: { amount: "12" }, pairs: [["amount", "12"]] },
    ]);
  });

  it("returns deleted entries of a history read with null fields", () => {
    expect(parseXReadGroup([["orders", [["1-0", null]]]])).toEqual([
      { id: "1-0", fields: null, pairs: [] },
    ]);
  });

  it("rejects the flattened shape some clients produce", () => {
    expect(() => parseXReadGroup(["orders", [["1-0", ["a", "1"]]]])).toThrow(ReplyShapeError);
  });

  it("rejects a stream element without entries", () => {
    expect(() => parseXReadGroup([["orders"]])).toThrow(ReplyShapeError);
  });
});

describe("parseXAutoClaim", () => {
  it("reads cursor, entries and deleted ids of Redis 7", () => {
    const raw = ["1795709122570-0", [["1795709122566-0", ["amount", "12"]]], ["1795709122567-0"]];
    expect(parseXAutoClaim(raw)).toEqual({
      cursor: "1795709122570-0",
      entries: [{ id: "1795709122566-0", fields: { amount: "12" }, pairs: [["amount", "12"]] }],
      deletedIds: ["1795709122567-0"],
    });
  });

  it("treats the two-element reply of Redis 6.2 as having no deleted ids", () => {
    expect(parseXAutoClaim(["0-0", []])).toEqual({ cursor: "0-0", entries: [], deletedIds: [] });
  });

  it("drops null entries", () => {
    expect(parseXAutoClaim(["0-0", [null], []]).entries).toEqual([]);
  });

  it("rejects a reply with four elements", () => {
    expect(() => parseXAutoClaim(["0-0", [], [], []])).toThrow(ReplyShapeError);
  });

  it("rejects a non-string deleted id", () => {
    expect(() => parseXAutoClaim(["0-0", [], [7]])).toThrow(ReplyShapeError);
  });
});

describe("parseXClaim", () => {
  it("returns the claimed entries", () => {
    expect(parseXClaim([["1-0", ["a", "1"]]])).toEqual([
      { id: "1-0", fields: { a: "1" }, pairs: [["a", "1"]] },
    ]);
  });

  it("leaves out the null entries older Redis returns for deleted ids", () => {
    expect(parseXClaim([null, ["2-0", ["a", "1"]]])).toEqual([
      { id: "2-0", fields: { a: "1" }, pairs: [["a", "1"]] },
    ]);
  });

  it("rejects a JUSTID reply", () => {
    expect(() => parseXClaim(["1-0"])).toThrow(ReplyShapeError);
  });
});
