import { describe, expect, it } from "vitest";
import {
  parseBudgetMs,
  parseCount,
  parseDryRun,
  parseMax,
  parseResetId,
  parseStart,
  QueryError,
  singleParam,
} from "../../src/handlers/query";
import { refusal as refusalOf } from "../helpers/refusal";

const refusal = (call: () => unknown) => refusalOf(QueryError, call);

describe("parseCount", () => {
  it("uses the fallback when absent or empty", () => {
    expect(parseCount(undefined, 50)).toBe(50);
    expect(parseCount("", 50)).toBe(50);
  });

  it("accepts 1 and 1000", () => {
    expect(parseCount("1", 50)).toBe(1);
    expect(parseCount("1000", 50)).toBe(1000);
  });

  it.each(["0", "1001", "-1", "abc", "1e3", "+5", " 5", "5.0", "99999999999999999999"])(
    "refuses %j naming the parameter, the range and the value",
    (raw) => {
      const e = refusal(() => parseCount(raw, 50));
      expect(e.parameter).toBe("count");
      expect(e.code).toBe("INVALID_QUERY");
      expect(e.message).toBe(
        `count must be an integer between 1 and 1000, got ${JSON.stringify(raw)}`,
      );
    },
  );

  it("cuts a very long value in the message", () => {
    const e = refusal(() => parseCount("9".repeat(500), 50));
    expect(e.message.length).toBeLessThan(120);
  });
});

describe("parseStart", () => {
  it("accepts a stream id and absence", () => {
    expect(parseStart("1795709122566-0")).toBe("1795709122566-0");
    expect(parseStart(undefined)).toBeUndefined();
  });

  it.each(["abc", "1795709122566", "+", "-", "1-2-3"])("refuses %j", (raw) => {
    const e = refusal(() => parseStart(raw));
    expect(e.parameter).toBe("start");
    expect(e.message).toMatch(/^start must be a stream id like "1700000000000-0", got /);
  });
});

describe("parseDryRun", () => {
  it.each([
    ["true", true],
    ["TRUE", true],
    ["1", true],
    ["false", false],
    ["0", false],
    [undefined, false],
    ["", false],
  ] as const)("reads %j as %s", (raw, expected) => {
    expect(parseDryRun(raw)).toBe(expected);
  });

  it.each(["yes", "2", "on"])("refuses %j", (raw) => {
    expect(refusal(() => parseDryRun(raw)).message).toBe(
      `dryRun must be true, false, 1 or 0, got ${JSON.stringify(raw)}`,
    );
  });
});

describe("parseResetId", () => {
  it.each(["0", "$", "0-0", "1795709122566-3"])("accepts %j", (raw) => {
    expect(parseResetId(raw)).toBe(raw);
  });

  it("requires the parameter", () => {
    const e = refusal(() => parseResetId(undefined));
    expect(e.parameter).toBe("id");
    expect(e.message).toMatch(/^id is required/);
  });

  it.each(["latest", ">", "1795709122566", "-1"])("refuses %j", (raw) => {
    expect(refusal(() => parseResetId(raw)).message).toMatch(
      /^id must be "0", "\$" or a stream id/,
    );
  });
});

describe("parseMax", () => {
  it("defaults to the cap and accepts up to it", () => {
    expect(parseMax(undefined, 1000)).toBe(1000);
    expect(parseMax("1000", 1000)).toBe(1000);
  });

  it("refuses more than the cap", () => {
    expect(refusal(() => parseMax("1001", 1000)).message).toBe(
      'max must be an integer between 1 and 1000, got "1001"',
    );
  });
});

describe("parseBudgetMs", () => {
  it("defaults to the fallback and accepts TIME_BUDGET_MS's range, 100 to 900000", () => {
    expect(parseBudgetMs(undefined, 25000)).toBe(25000);
    expect(parseBudgetMs("100", 25000)).toBe(100);
    expect(parseBudgetMs("900000", 25000)).toBe(900000);
  });

  it("refuses 99 and 900001", () => {
    expect(refusal(() => parseBudgetMs("99", 25000)).message).toBe(
      'budgetMs must be an integer between 100 and 900000, got "99"',
    );
    expect(refusal(() => parseBudgetMs("900001", 25000)).message).toBe(
      'budgetMs must be an integer between 100 and 900000, got "900001"',
    );
  });
});

describe("singleParam", () => {
  it("reads the one value, or undefined when the parameter is absent", () => {
    expect(singleParam("count", ["5"])).toBe("5");
    expect(singleParam("count", undefined)).toBeUndefined();
  });

  it("refuses a repeated parameter, naming it, rather than picking a value", () => {
    const e = refusal(() => singleParam("count", ["5", "500"]));
    expect(e.parameter).toBe("count");
    expect(e.message).toBe("count must be given once, got it 2 times");
  });
});

describe("parseResetId past 64 bits", () => {
  it.each(["18446744073709551616-0", "0-18446744073709551616"])("refuses %j", (raw) => {
    expect(refusal(() => parseResetId(raw)).parameter).toBe("id");
  });
});
