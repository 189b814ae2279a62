import { describe, expect, it } from "vitest";
import { ReplyShapeError } from "../../src/lib/errors";
import {
  parseFlatMap,
  parseXInfoConsumers,
  parseXInfoGroups,
  parseXInfoStream,
} from "../../src/lib/replies/index";

describe("parseFlatMap", () => {
  it("pairs keys with raw values", () => {
    expect(parseFlatMap(["name", "g", "consumers", 1])).toEqual({ name: "g", consumers: 1 });
  });

  it("rejects an odd number of elements", () => {
    expect(() => parseFlatMap(["name"])).toThrow(ReplyShapeError);
  });

  it("rejects a non-string key", () => {
    expect(() => parseFlatMap([1, "a"])).toThrow(ReplyShapeError);
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

describe("parseXInfoStream", () => {
  const raw = [
    ...["length", 2, "radix-tree-keys", 1, "radix-tree-nodes", 2],
    ...["last-generated-id", "1795709122567-0", "max-deleted-entry-id", "0-0"],
    ...["entries-added", 2, "recorded-first-entry-id", "1795709122566-0", "groups", 1],
    ...["first-entry", ["1795709122566-0", ["amount", "12"]]],
    ...["last-entry", ["1795709122567-0", ["amount", "7"]]],
  ];

  it("reads length, first and last entry ids, last generated id and group count", () => {
    expect(parseXInfoStream(raw)).toEqual({
      length: 2,
      firstEntryId: "1795709122566-0",
      lastEntryId: "1795709122567-0",
      lastGeneratedId: "1795709122567-0",
      groups: 1,
    });
  });

  it("reads the entries of an empty stream as null", () => {
    const empty = [
      ...["length", 0, "last-generated-id", "0-0", "groups", 0],
      ...["first-entry", null, "last-entry", null],
    ];
    expect(parseXInfoStream(empty)).toMatchObject({ firstEntryId: null, lastEntryId: null });
  });

  it("rejects a first-entry that is not an entry", () => {
    const bad = ["length", 1, "last-generated-id", "1-0", "groups", 0, "first-entry", "1-0"];
    expect(() => parseXInfoStream(bad)).toThrow(ReplyShapeError);
  });
});
