import { describe, expect, it } from "vitest";
import { ReplyShapeError } from "../../src/lib/errors";
import { compareStreamIds, isStreamId } from "../../src/lib/replies/index";
import { isStreamIdArgument } from "../../src/lib/replies/stream-id";

describe("compareStreamIds", () => {
  it("orders by milliseconds numerically, not as text", () => {
    expect(compareStreamIds("10-0", "9-0")).toBeGreaterThan(0);
  });

  it("orders by sequence within one millisecond", () => {
    expect(compareStreamIds("5-2", "5-10")).toBeLessThan(0);
  });

  it("finds equal ids equal", () => {
    expect(compareStreamIds("1795709122566-0", "1795709122566-0")).toBe(0);
  });

  it("treats a bare millisecond as sequence 0", () => {
    expect(compareStreamIds("5", "5-0")).toBe(0);
  });

  it("tells apart ids beyond 2^53", () => {
    expect(compareStreamIds("9007199254740993-0", "9007199254740992-0")).toBe(1);
    expect(compareStreamIds("1-18446744073709551615", "1-18446744073709551614")).toBe(1);
  });

  it("sorts a list of ids", () => {
    expect(["10-0", "2-1", "2-0"].sort(compareStreamIds)).toEqual(["2-0", "2-1", "10-0"]);
  });

  it("rejects something that is not an id", () => {
    expect(() => compareStreamIds("$", "0-0")).toThrow(ReplyShapeError);
  });
});

describe("isStreamId", () => {
  it.each(["0-0", "1795709122566-0", "18446744073709551615-18446744073709551615"])(
    "accepts %s",
    (id) => {
      expect(isStreamId(id)).toBe(true);
    },
  );

  it.each(["", "5", "$", ">", "1-", "-1", "1-2-3", "18446744073709551616-0", " 1-0"])(
    "rejects %j",
    (id) => {
      expect(isStreamId(id)).toBe(false);
    },
  );

  it("rejects a non-string", () => {
    expect(isStreamId(5)).toBe(false);
  });
});

describe("isStreamIdArgument", () => {
  it.each(["0", "5", "5-3", "18446744073709551615", "18446744073709551615-18446744073709551615"])(
    "accepts %j: a bare millisecond or a full id within 64 bits",
    (id) => {
      expect(isStreamIdArgument(id)).toBe(true);
    },
  );

  it.each([
    "18446744073709551616",
    "18446744073709551616-0",
    "0-18446744073709551616",
    "$",
    "-1",
    "1-",
    "a",
  ])("refuses %j", (id) => {
    expect(isStreamIdArgument(id)).toBe(false);
  });
});
