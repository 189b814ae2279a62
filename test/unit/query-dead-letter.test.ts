import { describe, expect, it } from "vitest";
import { parseDeadLetterId, parseRedriveIds, QueryError } from "../../src/handlers/query";
import { refusal as refusalOf } from "../helpers/refusal";

const refusal = (call: () => unknown) => refusalOf(QueryError, call);

describe("parseRedriveIds", () => {
  it("answers undefined when absent", () => {
    expect(parseRedriveIds(undefined, {})).toBeUndefined();
  });

  it("refuses an empty value rather than redriving a range", () => {
    expect(refusal(() => parseRedriveIds("", {})).message).toBe(
      "ids must hold 1 to 100 dead-letter ids, got none",
    );
  });

  it("splits the ids at commas, in their order", () => {
    expect(parseRedriveIds("3-0,1-0,2-0", {})).toEqual(["3-0", "1-0", "2-0"]);
  });

  it("ignores an empty start and count", () => {
    expect(parseRedriveIds("1-0", { start: "", count: "" })).toEqual(["1-0"]);
  });

  it("refuses a bad id with 400 INVALID_QUERY naming ids and the id", () => {
    const e = refusal(() => parseRedriveIds("1-0,abc", {}));
    expect(e.code).toBe("INVALID_QUERY");
    expect(e.parameter).toBe("ids");
    expect(e.message).toBe('ids must be stream ids like "1700000000000-0", got "abc"');
  });

  it("refuses an empty id between commas", () => {
    expect(refusal(() => parseRedriveIds("1-0,,2-0", {})).message).toMatch(/got ""$/);
  });

  it("refuses more than 100 ids", () => {
    const raw = Array.from({ length: 101 }, (_, i) => `1-${i}`).join(",");
    expect(refusal(() => parseRedriveIds(raw, {})).message).toBe(
      "ids must hold 1 to 100 dead-letter ids, got 101",
    );
  });

  it("refuses ids beside start, naming start", () => {
    expect(refusal(() => parseRedriveIds("1-0", { start: "1-0" })).parameter).toBe("start");
  });

  it("refuses ids beside count, naming count", () => {
    expect(refusal(() => parseRedriveIds("1-0", { count: "5" })).parameter).toBe("count");
  });
});

describe("parseDeadLetterId", () => {
  it("accepts a complete stream id", () => {
    expect(parseDeadLetterId("1795709122566-0")).toBe("1795709122566-0");
  });

  it("refuses a part past 2^64 - 1 with 400 INVALID_QUERY naming id", () => {
    const e = refusal(() => parseDeadLetterId("18446744073709551616-0"));
    expect(e.parameter).toBe("id");
    expect(e.message).toBe(
      'id must be a stream id like "1700000000000-0", got "18446744073709551616-0"',
    );
  });
});
