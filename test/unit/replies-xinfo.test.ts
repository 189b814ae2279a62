import { describe, expect, it } from "vitest";
import { ReplyShapeError } from "../../src/lib/errors";
import { parseXInfoConsumers, parseXInfoGroups } from "../../src/lib/replies/index";

describe("XINFO rows", () => {
  const row = ["name", "g", "consumers", 1, "pending", 0, "last-delivered-id", "0-0"];

  it("pairs keys with their values", () => {
    expect(parseXInfoGroups([row])[0]).toMatchObject({ name: "g", consumers: 1 });
  });

  it("rejects a row with an odd number of elements", () => {
    expect(() => parseXInfoGroups([[...row, "lag"]])).toThrow(ReplyShapeError);
  });

  it("rejects a row with a non-string key", () => {
    expect(() => parseXInfoGroups([[...row, 1, "a"]])).toThrow(ReplyShapeError);
  });
});

describe("parseXInfoGroups", () => {
  it("reads the groups of Redis 7", () => {
    const raw = [
      [
        ...["name", "g", "consumers", 1, "pending", 1],
        ...["last-delivered-id", "1795709122566-0", "entries-read", 1, "lag", 0],
      ],
    ];
    expect(parseXInfoGroups(raw)).toEqual([
      {
        name: "g",
        consumers: 1,
        pending: 1,
        lastDeliveredId: "1795709122566-0",
        entriesRead: 1,
        lag: 0,
      },
    ]);
  });

  it("reads a lag Redis cannot compute as null", () => {
    const group: unknown[] = [
      "name",
      "g",
      "consumers",
      0,
      "pending",
      0,
      "last-delivered-id",
      "0-0",
    ];
    const raw = [[...group, "entries-read", null, "lag", null]];
    expect(parseXInfoGroups(raw)[0]).toMatchObject({ entriesRead: null, lag: null });
  });

  it("reads the groups of Redis 6 without entries-read and lag", () => {
    const raw = [["name", "g", "consumers", 0, "pending", 0, "last-delivered-id", "0-0"]];
    expect(parseXInfoGroups(raw)[0]).toMatchObject({ entriesRead: null, lag: null });
  });

  it("keeps a numeric group name a string", () => {
    const raw = [["name", "123", "consumers", 0, "pending", 0, "last-delivered-id", "0-0"]];
    expect(parseXInfoGroups(raw)[0]?.name).toBe("123");
  });

  it("rejects a group without pending", () => {
    expect(() => parseXInfoGroups([["name", "g", "consumers", 0]])).toThrow(/"pending" field/);
  });
});

describe("parseXInfoConsumers", () => {
  it("reads the consumers of Redis 7.2", () => {
    const raw = [
      ["name", "cron-1795709122566-a1b2c3", "pending", 1, "idle", 8042, "inactive", 8042],
    ];
    expect(parseXInfoConsumers(raw)).toEqual([
      { name: "cron-1795709122566-a1b2c3", pending: 1, idleMs: 8042, inactiveMs: 8042 },
    ]);
  });

  it("keeps -1 for a consumer that never read successfully", () => {
    const raw = [["name", "c", "pending", 0, "idle", 10, "inactive", -1]];
    expect(parseXInfoConsumers(raw)[0]?.inactiveMs).toBe(-1);
  });

  it("reads a missing inactive field of Redis before 7.2 as null", () => {
    expect(
      parseXInfoConsumers([["name", "c", "pending", 0, "idle", 10]])[0]?.inactiveMs,
    ).toBeNull();
  });

  it("returns nothing for a group without consumers", () => {
    expect(parseXInfoConsumers([])).toEqual([]);
  });

  it("rejects a non-numeric pending count", () => {
    expect(() => parseXInfoConsumers([["name", "c", "pending", "x", "idle", 1]])).toThrow(
      ReplyShapeError,
    );
  });
});
