import { describe, expect, it } from "vitest";
import { ReplyShapeError } from "../../src/lib/errors";
import { failureValue, readFailureValue } from "../../src/lib/handling/failure-record";
import { parseFailureHash, parseFailureRecords } from "../../src/lib/replies/index";
import { refusal } from "../helpers/refusal";

describe("failure records", () => {
  it("writes a count alone when no retry delay was asked", () => {
    expect(failureValue(2)).toBe("2");
  });

  it("writes the due time after the count when a retry delay was asked", () => {
    expect(failureValue(1, 1795739000000)).toBe("1@1795739000000");
  });

  it("reads back both forms", () => {
    expect(readFailureValue("3")).toEqual({ count: 3, dueAt: null });
    expect(readFailureValue("1@1795739000000")).toEqual({ count: 1, dueAt: 1795739000000 });
  });

  it.each(["", "-1", "1.5", "x", "1@", "@5", "1@2@3"])("reads %j as no record", (value) => {
    expect(readFailureValue(value)).toBeNull();
  });
});

describe("parseFailureRecords", () => {
  it("reads HMGET's values, a missing record as no failure", () => {
    expect(parseFailureRecords(["2", null, "1@1795739060000"], 3)).toEqual([
      { count: 2, dueAt: null },
      { count: 0, dueAt: null },
      { count: 1, dueAt: 1795739060000 },
    ]);
  });

  it("refuses a value that is no record, naming its place", () => {
    const e = refusal(ReplyShapeError, () => parseFailureRecords(["2", "soon"], 2));
    expect(e.message).toMatch(/^HMGET value 1: expected a count, or a count@due-time/);
  });
});

describe("parseFailureHash", () => {
  it("reads HGETALL's flat pairs by id", () => {
    const records = parseFailureHash(["1-0", "2", "2-0", "1@1795739060000"]);
    expect([...records]).toEqual([
      ["1-0", { count: 2, dueAt: null }],
      ["2-0", { count: 1, dueAt: 1795739060000 }],
    ]);
  });

  it("refuses an odd number of items", () => {
    expect(() => parseFailureHash(["1-0"])).toThrow(ReplyShapeError);
  });
});
