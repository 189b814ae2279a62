/**
 * The pure parts of the bridge's profiles: reading an XREADGROUP for the PEL cap, the command
 * the `upstash` profile sends instead, the XINFO GROUPS reply it hands back, the 413 text,
 * and the commands refused on a shared connection.
 */
import { describe, expect, it } from "vitest";
import { guardReadGroup, PEL_GUARD, parseReadGroup } from "../../dev/bridge/pel-limit";
import {
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_PEL_LIMIT,
  emulation,
  tooLargeMessage,
  withoutGroupFields,
} from "../../dev/bridge/profile";
import { type RawReply, toCommand } from "../../dev/bridge/protocol";

const b = (s: string) => Buffer.from(s);

describe("parseReadGroup", () => {
  it("reads group, consumer, COUNT and the stream/id pairs", () => {
    expect(
      parseReadGroup([
        "XREADGROUP",
        "GROUP",
        "g",
        "c",
        "COUNT",
        "20",
        "STREAMS",
        "a",
        "b",
        ">",
        "0",
      ]),
    ).toEqual({
      group: "g",
      consumer: "c",
      count: 20,
      noAck: false,
      streams: [
        { key: "a", id: ">" },
        { key: "b", id: "0" },
      ],
    });
  });

  it("takes options in any order and in any case, the last COUNT winning", () => {
    expect(
      parseReadGroup([
        "xreadgroup",
        "count",
        "5",
        "noack",
        "group",
        "g",
        "c",
        "COUNT",
        "7",
        "streams",
        "s",
        ">",
      ]),
    ).toMatchObject({ group: "g", consumer: "c", count: 7, noAck: true });
  });

  it.each([
    ["no COUNT", []],
    ["COUNT 0", ["COUNT", "0"]],
    ["a negative COUNT", ["COUNT", "-3"]],
  ])("reads %s as no COUNT, as Redis does", (_label, count) => {
    const args = ["XREADGROUP", "GROUP", "g", "c", ...count, "STREAMS", "s", ">"];
    expect(parseReadGroup(args)?.count).toBeNull();
  });

  it("accepts stream keys that look like options", () => {
    const args = ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "COUNT", "STREAMS", ">", ">"];
    expect(parseReadGroup(args)?.streams).toEqual([
      { key: "COUNT", id: ">" },
      { key: "STREAMS", id: ">" },
    ]);
  });

  it.each([
    ["no GROUP", ["XREADGROUP", "STREAMS", "s", ">"]],
    ["an odd number of keys and ids", ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", "b", ">"]],
    ["no STREAMS", ["XREADGROUP", "GROUP", "g", "c", "COUNT", "1"]],
    [
      "a COUNT that is not an integer",
      ["XREADGROUP", "GROUP", "g", "c", "COUNT", "1.5", "STREAMS", "s", ">"],
    ],
    ["a COUNT with a space", ["XREADGROUP", "GROUP", "g", "c", "COUNT", " 1", "STREAMS", "s", ">"]],
    ["an unknown option", ["XREADGROUP", "GROUP", "g", "c", "LIMIT", "STREAMS", "s", ">"]],
  ])("gives up on %s, which Redis refuses with its own error", (_label, args) => {
    expect(parseReadGroup(args)).toBeNull();
  });
});

describe("guardReadGroup", () => {
  it("wraps a read of new entries in the guard script, with the streams read with > as keys", () => {
    const read = ["XREADGROUP", "GROUP", "g", "c", "COUNT", "20", "STREAMS", "a", "b", ">", "0"];
    expect(guardReadGroup(read, 1000)).toEqual([
      "EVAL",
      PEL_GUARD,
      "1",
      "a",
      "g",
      "c",
      "20",
      "1000",
      ...read,
    ]);
  });

  it("passes an empty COUNT to the script when the read has none", () => {
    const read = ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"];
    expect(guardReadGroup(read, 5).slice(2, 8)).toEqual(["1", "s", "g", "c", "", "5"]);
  });

  it.each([
    ["a NOACK read", ["XREADGROUP", "GROUP", "g", "c", "NOACK", "STREAMS", "s", ">"]],
    [
      "a re-read of the consumer's own pending entries",
      ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"],
    ],
    ["a malformed read", ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s"]],
    ["another command", ["XREAD", "COUNT", "1", "STREAMS", "s", ">"]],
  ])("sends %s as it is", (_label, command) => {
    expect(guardReadGroup(command, 1000)).toBe(command);
  });
});

describe("withoutGroupFields", () => {
  it("drops entries-read and lag from every group of an XINFO GROUPS reply", () => {
    const reply: RawReply = [
      [
        b("name"),
        b("g1"),
        b("consumers"),
        1,
        b("pending"),
        2,
        b("last-delivered-id"),
        b("2-0"),
        b("entries-read"),
        2,
        b("lag"),
        0,
      ],
      [
        b("name"),
        b("g2"),
        b("consumers"),
        0,
        b("pending"),
        0,
        b("last-delivered-id"),
        b("0-0"),
        b("entries-read"),
        null,
        b("lag"),
        null,
      ],
    ];
    expect(withoutGroupFields(reply)).toEqual([
      [b("name"), b("g1"), b("consumers"), 1, b("pending"), 2, b("last-delivered-id"), b("2-0")],
      [b("name"), b("g2"), b("consumers"), 0, b("pending"), 0, b("last-delivered-id"), b("0-0")],
    ]);
  });

  it("keeps a Redis 6.2 reply, an empty one and an error as they are", () => {
    const old: RawReply = [
      [b("name"), b("g"), b("consumers"), 0, b("pending"), 0, b("last-delivered-id"), b("0-0")],
    ];
    expect(withoutGroupFields(old)).toEqual(old);
    expect(withoutGroupFields([])).toEqual([]);
    const error = new Error("ERR no such key");
    expect(withoutGroupFields(error)).toBe(error);
  });

  it("is applied under the upstash profile to XINFO GROUPS only", () => {
    const reply: RawReply = [[b("name"), b("g"), b("lag"), 0]];
    const upstash = emulation("upstash", 1000);
    expect(upstash.incoming(["xinfo", "groups", "s"], reply)).toEqual([[b("name"), b("g")]]);
    expect(upstash.incoming(["XINFO", "CONSUMERS", "s", "g"], reply)).toBe(reply);
    expect(emulation("redis", 1000).incoming(["XINFO", "GROUPS", "s"], reply)).toBe(reply);
  });
});

describe("profile defaults and the 413 message", () => {
  it("caps requests at 10 MiB under upstash and 16 MiB under redis, and a PEL at 1000", () => {
    expect(DEFAULT_MAX_REQUEST_BYTES).toEqual({ upstash: 10_485_760, redis: 16_777_216 });
    expect(DEFAULT_PEL_LIMIT).toBe(1000);
  });

  it("words the 413 as Upstash does under upstash, naming the limit and the size", () => {
    expect(tooLargeMessage("upstash", 12_009_587, 10_485_760)).toBe(
      "ERR max request size exceeded. Limit: 10485760 bytes, Actual: 12009587 bytes",
    );
    expect(tooLargeMessage("redis", 300, 200)).toBe("body of 300 bytes is larger than 200 bytes");
  });

  it("leaves every command alone under the redis profile", () => {
    const read = ["XREADGROUP", "GROUP", "g", "c", "COUNT", "2000", "STREAMS", "s", ">"];
    expect(emulation("redis", 1).outgoing(read)).toBe(read);
  });
});

describe("commands refused on a shared connection", () => {
  it.each([
    [["CLIENT", "REPLY", "OFF"], "CLIENT REPLY"],
    [["client", "reply", "skip"], "CLIENT REPLY"],
    [["CLIENT", "NO-EVICT", "on"], "CLIENT NO-EVICT"],
    [["CLIENT", "PAUSE", "1000"], "CLIENT PAUSE"],
    [["CLIENT", "SETNAME", "x"], "CLIENT SETNAME"],
    [["SYNC"], "SYNC"],
    [["PSYNC", "?", "-1"], "PSYNC"],
    [["REPLICAOF", "127.0.0.1", "1"], "REPLICAOF"],
    [["HELLO", "3"], "HELLO"],
    [["QUIT"], "QUIT"],
    [["BZPOPMIN", "k", "0.1"], "BZPOPMIN"],
  ])("refuses %j naming %s", (command, name) => {
    expect(() => toCommand(command)).toThrow(`command: ${name} is not supported by this bridge`);
  });

  it.each([[["CLIENT", "ID"]], [["CLIENT", "GETNAME"]], [["client", "info"]]])(
    "lets %j, which only reads, through",
    (command) => {
      expect(toCommand(command)).toEqual(command);
    },
  );
});
