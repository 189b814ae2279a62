import { describe, expect, it } from "vitest";
import { ReplyShapeError } from "../../src/lib/errors";
import { parseXPendingExtended } from "../../src/lib/replies/index";
import { parseXPendingSummary } from "../helpers/pending-summary";

describe("parseXPendingExtended", () => {
  it("reads id, consumer, idle time and deliveries", () => {
    expect(parseXPendingExtended([["1795709122566-0", "c1", 61234, 2]])).toEqual([
      { id: "1795709122566-0", consumer: "c1", idleMs: 61234, deliveries: 2 },
    ]);
  });

  it("accepts counters given as numeric strings", () => {
    expect(parseXPendingExtended([["1-0", "c1", "61234", "2"]])[0]).toMatchObject({
      idleMs: 61234,
      deliveries: 2,
    });
  });

  it("keeps a numeric consumer name a string", () => {
    expect(parseXPendingExtended([["1-0", "123", 1, 1]])[0]?.consumer).toBe("123");
  });

  it("returns nothing for an empty PEL", () => {
    expect(parseXPendingExtended([])).toEqual([]);
  });

  it("rejects a row with three cells", () => {
    expect(() => parseXPendingExtended([["1-0", "c1", 5]])).toThrow(ReplyShapeError);
  });

  it("rejects a non-numeric idle time", () => {
    expect(() => parseXPendingExtended([["1-0", "c1", "soon", 1]])).toThrow(/idle/);
  });

  it("rejects a fractional delivery count", () => {
    expect(() => parseXPendingExtended([["1-0", "c1", 5, 1.5]])).toThrow(ReplyShapeError);
  });
});

describe("parseXPendingSummary", () => {
  it("reads count, id range and per-consumer counts", () => {
    expect(parseXPendingSummary([1, "1795709122566-0", "1795709122566-0", [["c", "1"]]])).toEqual({
      count: 1,
      minId: "1795709122566-0",
      maxId: "1795709122566-0",
      consumers: [{ name: "c", pending: 1 }],
    });
  });

  it("reads the empty summary", () => {
    expect(parseXPendingSummary([0, null, null, null])).toEqual({
      count: 0,
      minId: null,
      maxId: null,
      consumers: [],
    });
  });

  it("rejects a summary with three elements", () => {
    expect(() => parseXPendingSummary([0, null, null])).toThrow(ReplyShapeError);
  });

  it("rejects a consumer row without a count", () => {
    expect(() => parseXPendingSummary([1, "1-0", "1-0", [["c"]]])).toThrow(ReplyShapeError);
  });
});
