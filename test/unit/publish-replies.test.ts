import { describe, expect, it } from "vitest";
import { RedisCommandError, ReplyShapeError } from "../../src/lib/errors";
import { parsePublishOnceReply, parseXAddReplies } from "../../src/lib/publish/replies";

describe("parsePublishOnceReply", () => {
  it("reads one id per message and counts the duplicates", () => {
    const raw = [
      ["1795709122566-0", 0],
      ["1795709122300-0", 1],
      ["1795709122566-1", 0],
    ];
    expect(parsePublishOnceReply(raw, 3)).toEqual({
      ids: ["1795709122566-0", "1795709122300-0", "1795709122566-1"],
      duplicates: 1,
    });
  });

  it("takes a flag sent as a string of digits", () => {
    expect(parsePublishOnceReply([["1-0", "1"]], 1)).toEqual({ ids: ["1-0"], duplicates: 1 });
  });

  it.each([
    ["fewer outcomes than messages", [["1-0", 0]], 2],
    ["an outcome that is not a pair", ["1-0"], 1],
    ["an id that is not a string", [[1, 0]], 1],
    ["a flag other than 0 or 1", [["1-0", 2]], 1],
    ["no array at all", "OK", 1],
  ])("refuses %s", (_, raw, expected) => {
    expect(() => parsePublishOnceReply(raw, expected)).toThrow(ReplyShapeError);
  });
});

describe("parseXAddReplies", () => {
  it("reads the id of each XADD, none a duplicate", () => {
    const raw = [{ result: "1795709122566-0" }, { result: "1795709122566-1" }];
    expect(parseXAddReplies(raw)).toEqual({
      ids: ["1795709122566-0", "1795709122566-1"],
      duplicates: 0,
    });
  });

  it("throws the failure of an XADD as a RedisCommandError naming XADD", () => {
    const raw = [
      { result: "1-0" },
      { result: null, error: "WRONGTYPE Operation against a key holding the wrong kind of value" },
    ];
    expect(() => parseXAddReplies(raw)).toThrow(RedisCommandError);
    expect(() => parseXAddReplies(raw)).toThrow(/^XADD failed: WRONGTYPE/);
  });

  it("refuses an id that is not a string", () => {
    expect(() => parseXAddReplies([{ result: 5 }])).toThrow(ReplyShapeError);
  });
});
