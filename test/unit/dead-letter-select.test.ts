import { describe, expect, it } from "vitest";
import {
  checkDeadLetterId,
  checkRedriveIds,
  DeadLetterInputError,
} from "../../src/lib/dead-letter/select";
import { refusal as refusalOf } from "../helpers/refusal";

const refusal = (call: () => unknown) => refusalOf(DeadLetterInputError, call);
const idsOf = (n: number) => Array.from({ length: n }, (_, i) => `1795709122566-${i}`);

describe("checkDeadLetterId", () => {
  it("accepts a complete stream id up to 2^64 - 1 in each part", () => {
    expect(checkDeadLetterId("18446744073709551615-18446744073709551615")).toBe(
      "18446744073709551615-18446744073709551615",
    );
  });

  it.each(["1795709122566", "abc", "1-", "-1", "1-0-0", "18446744073709551616-0", ""])(
    "refuses %j, naming it",
    (id) => {
      const e = refusal(() => checkDeadLetterId(id));
      expect(e.code).toBe("DLQ_INVALID");
      expect(e.argument).toBe("id");
      expect(e.message).toBe(
        `id must be a stream id like "1700000000000-0", got ${JSON.stringify(id)}`,
      );
    },
  );
});

describe("checkRedriveIds", () => {
  it("answers undefined when no ids are given", () => {
    expect(checkRedriveIds({ start: "1-0", count: 5 })).toBeUndefined();
  });

  it("keeps the ids in the order given", () => {
    expect(checkRedriveIds({ ids: ["3-0", "1-0", "2-0"] })).toEqual(["3-0", "1-0", "2-0"]);
  });

  it("accepts 100 ids", () => {
    expect(checkRedriveIds({ ids: idsOf(100) })).toHaveLength(100);
  });

  it("refuses 101 ids, naming the limit", () => {
    const e = refusal(() => checkRedriveIds({ ids: idsOf(101) }));
    expect(e.argument).toBe("ids");
    expect(e.message).toBe("ids must hold 1 to 100 dead-letter ids, got 101");
  });

  it("refuses an empty list rather than redriving a range", () => {
    const e = refusal(() => checkRedriveIds({ ids: [] }));
    expect(e.message).toBe("ids must hold 1 to 100 dead-letter ids, got none");
  });

  it("refuses a malformed id, naming it", () => {
    const e = refusal(() => checkRedriveIds({ ids: ["1-0", "yesterday", "2-0"] }));
    expect(e.message).toBe('ids must be stream ids like "1700000000000-0", got "yesterday"');
  });

  it("refuses an id given twice, naming it", () => {
    const e = refusal(() => checkRedriveIds({ ids: ["1-0", "2-0", "1-0"] }));
    expect(e.message).toBe('ids must name each dead letter once, got "1-0" twice');
  });

  it("refuses ids with start", () => {
    const e = refusal(() => checkRedriveIds({ ids: ["1-0"], start: "1-0" }));
    expect(e.argument).toBe("start");
    expect(e.message).toMatch(/^ids and start cannot be given together/);
  });

  it("refuses ids with count", () => {
    const e = refusal(() => checkRedriveIds({ ids: ["1-0"], count: 1 }));
    expect(e.argument).toBe("count");
    expect(e.message).toMatch(/^ids and count cannot be given together/);
  });

  it("cuts a very long id in the message", () => {
    const e = refusal(() => checkRedriveIds({ ids: ["9".repeat(500)] }));
    expect(e.message.length).toBeLessThan(120);
  });
});
