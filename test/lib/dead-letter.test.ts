import { beforeEach, describe, expect, it } from "vitest";
import { DEAD_LETTER_HEADER } from "../../src/lib/dead-letter/entry";
import {
  listDeadLetters,
  type MoveOptions,
  moveToDeadLetter,
  RequestBudget,
  redrive,
  streamKeys,
} from "../../src/lib/index";
import {
  pendingEntries,
  type Raw,
  rawEntry as rawEntryOf,
  streamIds,
} from "../helpers/dead-letter-fixture";
import { upstash, useKeyspace } from "../helpers/redis";

const ks = useKeyspace("dlq");
const { d } = ks;
const redis = upstash();
/** Strings of the metadata pairs every dead letter starts with. */
const HEADER_STRINGS = DEAD_LETTER_HEADER.length * 2;
let stream: string;
let dlq: string;

beforeEach(() => {
  stream = ks.key("orders");
  dlq = ks.key("orders:dlq");
});

const pending = (entries: Raw[][], key = stream) => pendingEntries(d, key, entries);

function move(ids: string[], options: Partial<MoveOptions> = {}) {
  return moveToDeadLetter({
    redis,
    stream,
    group: "g",
    consumer: "c",
    dlqStream: dlq,
    dlqMaxLen: 1000,
    entries: ids.map((id) => ({ id, reason: "permanent_error", error: "bad amount" })),
    now: 1795709122566,
    ...options,
  });
}

const rawEntry = (key: string, id: string) => rawEntryOf(d, key, id);
const dlqIds = () => streamIds(d, dlq);

const buffers = (flat: Raw[]) => flat.map((s) => Buffer.from(s));

describe("moveToDeadLetter", () => {
  it("writes every field of the contract and acks the entry", async () => {
    const [id = ""] = await pending([["orderID", "A-1", "amount", "007", "note", '{"x":1}']]);
    expect((await move([id])).moved).toEqual([id]);
    const { entries } = await listDeadLetters({ redis, dlqStream: dlq });
    expect(entries).toEqual([
      {
        id: expect.any(String),
        originalId: id,
        originalStream: stream,
        group: "g",
        lastConsumer: "c",
        deliveries: 1,
        failures: 0,
        reason: "permanent_error",
        error: "bad amount",
        deadAt: 1795709122566,
        payload: { orderID: "A-1", amount: "007", note: '{"x":1}' },
        pairs: [
          ["orderID", "A-1"],
          ["amount", "007"],
          ["note", '{"x":1}'],
        ],
      },
    ]);
    expect(await d.sendCommand(["XPENDING", stream, "g"])).toEqual([0, null, null, null]);
  });

  it("stores the metadata first, in a fixed order, then the original pairs", async () => {
    const [id = ""] = await pending([["reason", "mine", "a", "1"]]);
    await move([id]);
    const [dlqId = ""] = await dlqIds();
    expect((await rawEntry(dlq, dlqId)).map(String)).toEqual([
      ...["original_id", id, "original_stream", stream, "group", "g", "last_consumer", "c"],
      ...["deliveries", "1", "failures", "0", "reason", "permanent_error"],
      ...["error", "bad amount", "dead_at", "1795709122566", "format", "pairs"],
      ...["reason", "mine", "a", "1"],
    ]);
  });

  it("copies invalid UTF-8, repeated field names and their order byte for byte", async () => {
    const original = [
      Buffer.from([0xff, 0xfe]),
      Buffer.from([0xc3]),
      "a",
      "1",
      "",
      "\u{feff}bom",
      "a",
      Buffer.from([0xed, 0xa0, 0x80]),
    ];
    const [id = ""] = await pending([original]);
    expect((await move([id])).moved).toEqual([id]);
    const [dlqId = ""] = await dlqIds();
    expect((await rawEntry(dlq, dlqId)).slice(HEADER_STRINGS)).toEqual(buffers(original));
  });

  it("records the failed handler runs counted for the entry and removes its count", async () => {
    const [id = "", other = ""] = await pending([
      ["n", "1"],
      ["n", "2"],
    ]);
    const { failures } = streamKeys(stream, "g");
    await d.sendCommand(["HSET", failures, id, "2", other, "5"]);
    await move([id]);
    const { entries } = await listDeadLetters({ redis, dlqStream: dlq });
    expect(entries[0]?.failures).toBe(2);
    expect(await d.sendCommand(["HGETALL", failures])).toEqual([other, "5"]);
  });

  it("skips an entry that is no longer pending for that consumer", async () => {
    const [id = ""] = await pending([["a", "1"]]);
    await d.sendCommand(["XACK", stream, "g", id]);
    expect(await move([id])).toMatchObject({ moved: [], notPending: [id] });
    expect(await d.xLen(dlq)).toBe(0);
  });

  it("dead-letters entries read without acks when no consumer is given", async () => {
    await d.sendCommand(["XGROUP", "CREATE", stream, "g", "$", "MKSTREAM"]);
    const id = String(await d.sendCommand(["XADD", stream, "*", "a", "1"]));
    await d.sendCommand(["XREADGROUP", "GROUP", "g", "c", "NOACK", "STREAMS", stream, ">"]);
    expect((await move([id], { consumer: "" })).moved).toEqual([id]);
    const { entries } = await listDeadLetters({ redis, dlqStream: dlq });
    expect(entries[0]).toMatchObject({ originalId: id, lastConsumer: "", deliveries: 1 });
  });

  it("acks an entry deleted while pending and reports it gone, without a dead letter", async () => {
    const [id = ""] = await pending([["a", "1"]]);
    await d.sendCommand(["XDEL", stream, id]);
    expect(await move([id])).toMatchObject({ moved: [], gone: [id] });
    expect(await d.sendCommand(["XPENDING", stream, "g"])).toEqual([0, null, null, null]);
    expect(await d.xLen(dlq)).toBe(0);
  });

  it("reports an entry Redis refuses as failed and still moves the others", async () => {
    const [a = "", b = ""] = await pending([
      ["n", "1"],
      ["n", "2"],
    ]);
    const result = await move([a, "not-an-id", b]);
    expect(result.moved).toEqual([a, b]);
    expect(result.failed).toEqual([{ id: "not-an-id", error: expect.stringMatching(/stream ID/) }]);
  });

  it("never dead-letters the same entry twice when two moves race", async () => {
    const ids = await pending(Array.from({ length: 20 }, (_, i) => ["n", String(i)]));
    const [a, b] = await Promise.all([move(ids), move(ids)]);
    expect([...(a?.moved ?? []), ...(b?.moved ?? [])].sort()).toEqual([...ids].sort());
    expect(await d.xLen(dlq)).toBe(20);
  });

  it("moves 500 entries in 5 requests", async () => {
    const ids = await pending(Array.from({ length: 500 }, (_, i) => ["n", String(i)]));
    const budget = new RequestBudget();
    const result = await move(ids, { dlqMaxLen: 100000, budget });
    expect(result.moved).toHaveLength(500);
    expect(await d.xLen(dlq)).toBe(500);
    expect(budget.used).toBe(5);
  });

  it("reports the entries of chunks the budget no longer fits as not sent", async () => {
    const ids = await pending(Array.from({ length: 150 }, (_, i) => ["n", String(i)]));
    const result = await move(ids, { budget: new RequestBudget(2) });
    expect(result.moved).toEqual(ids.slice(0, 100));
    expect(result.notSent).toEqual(ids.slice(100));
  });
});

describe("redrive", () => {
  it("restores the original pairs, then original_id, and empties the dead-letter stream", async () => {
    const original = ["", "empty name", "zero", "007", "uni", "Zoë 🚀", "long", "x".repeat(5000)];
    const [id = ""] = await pending([original]);
    await move([id]);
    const report = await redrive({ redis, stream, dlqStream: dlq });
    expect(report).toMatchObject({ moved: [{ originalId: id }], skipped: [], next: null });
    const newId = report.moved[0]?.newId ?? "";
    expect((await rawEntry(stream, newId)).map(String)).toEqual([...original, "original_id", id]);
    expect(await d.xLen(dlq)).toBe(0);
  });

  it("restores invalid UTF-8, repeated field names and their order byte for byte", async () => {
    const original = [Buffer.from([0xff]), Buffer.from([0xc3, 0x28]), "a", "1", "a", "2"];
    const [id = ""] = await pending([original]);
    await move([id]);
    const { moved } = await redrive({ redis, stream, dlqStream: dlq });
    const back = await rawEntry(stream, moved[0]?.newId ?? "");
    expect(back).toEqual(buffers([...original, "original_id", id]));
  });

  it("keeps the first original_id when a message dies and is redriven again", async () => {
    const [first = ""] = await pending([["a", "1"]]);
    await move([first]);
    const again = (await redrive({ redis, stream, dlqStream: dlq })).moved[0]?.newId ?? "";
    await d.sendCommand(["XREADGROUP", "GROUP", "g", "c", "STREAMS", stream, ">"]);
    await move([again]);
    const { moved } = await redrive({ redis, stream, dlqStream: dlq });
    expect(moved[0]?.originalId).toBe(again);
    const back = await rawEntry(stream, moved[0]?.newId ?? "");
    expect(back.map(String)).toEqual(["a", "1", "original_id", first]);
  });

  it("changes nothing on a dry run", async () => {
    const [id = ""] = await pending([["a", "1"]]);
    await move([id]);
    const before = await d.xLen(stream);
    const report = await redrive({ redis, stream, dlqStream: dlq, dryRun: true });
    expect(report).toMatchObject({ dryRun: true, moved: [{ originalId: id, newId: null }] });
    expect(await d.xLen(dlq)).toBe(1);
    expect(await d.xLen(stream)).toBe(before);
  });

  it("looks at most count entries, oldest first, and says where to go on", async () => {
    const ids = await pending([
      ["n", "1"],
      ["n", "2"],
      ["n", "3"],
    ]);
    await move(ids);
    const third = (await dlqIds())[2];
    const report = await redrive({ redis, stream, dlqStream: dlq, count: 2 });
    expect(report.moved.map((m) => m.originalId)).toEqual(ids.slice(0, 2));
    expect(report.next).toBe(third);
    expect(await d.xLen(dlq)).toBe(1);
  });

  it("never duplicates an entry when two redrives race", async () => {
    const ids = await pending(Array.from({ length: 10 }, (_, i) => ["n", String(i)]));
    await move(ids);
    const before = await d.xLen(stream);
    await Promise.all([
      redrive({ redis, stream, dlqStream: dlq }),
      redrive({ redis, stream, dlqStream: dlq }),
    ]);
    expect((await d.xLen(stream)) - before).toBe(10);
  });

  it("skips a dead letter from another stream and moves the next one", async () => {
    const otherStream = ks.key("refunds");
    const [foreign = ""] = await pending([["r", "1"]], otherStream);
    await move([foreign], { stream: otherStream });
    const [own = ""] = await pending([["a", "1"]]);
    await move([own]);
    const [foreignDlqId] = await dlqIds();
    const report = await redrive({ redis, stream, dlqStream: dlq });
    expect(report.skipped).toEqual([{ id: foreignDlqId, reason: "other_stream" }]);
    expect(report.moved.map((m) => m.originalId)).toEqual([own]);
    expect(await dlqIds()).toEqual([foreignDlqId]);
  });

  it("skips a malformed dead letter and moves the next one", async () => {
    const junk = String(await d.sendCommand(["XADD", dlq, "*", "hello", "world"]));
    const [id = ""] = await pending([["a", "1"]]);
    await move([id]);
    const report = await redrive({ redis, stream, dlqStream: dlq });
    expect(report.skipped).toEqual([{ id: junk, reason: "malformed" }]);
    expect(report.moved.map((m) => m.originalId)).toEqual([id]);
  });

  it("goes on past a page of skipped entries from the next id it reports", async () => {
    await d.sendCommand(["XADD", dlq, "*", "junk", "1"]);
    await d.sendCommand(["XADD", dlq, "*", "junk", "2"]);
    const [id = ""] = await pending([["a", "1"]]);
    await move([id]);
    const first = await redrive({ redis, stream, dlqStream: dlq, count: 2 });
    expect(first.moved).toEqual([]);
    const second = await redrive({ redis, stream, dlqStream: dlq, start: first.next ?? "" });
    expect(second.moved.map((m) => m.originalId)).toEqual([id]);
  });

  it("reports a dead letter Redis refuses as failed and leaves it in place", async () => {
    const [id = ""] = await pending([["a", "1"]]);
    await move([id]);
    const [dlqId] = await dlqIds();
    await d.sendCommand(["DEL", stream]);
    await d.sendCommand(["SET", stream, "not a stream"]);
    const report = await redrive({ redis, stream, dlqStream: dlq });
    expect(report.skipped).toEqual([
      { id: dlqId, reason: "failed", error: expect.stringMatching(/WRONGTYPE/) },
    ]);
    expect(await d.xLen(dlq)).toBe(1);
  });

  it("puts back a dead letter of the older layout, its names sorted", async () => {
    const dlqId = String(await d.sendCommand([...legacyXAdd(), '{"b":"2","a":"Zoë"}']));
    const report = await redrive({ redis, stream, dlqStream: dlq });
    expect(report.moved).toEqual([
      { dlqId, originalId: "1795709122500-0", newId: expect.any(String) },
    ]);
    const back = await rawEntry(stream, report.moved[0]?.newId ?? "");
    expect(back.map(String)).toEqual(["a", "Zoë", "b", "2", "original_id", "1795709122500-0"]);
  });
});

/** XADD of a dead letter as the older layout wrote it; the payload JSON goes last. */
function legacyXAdd(): string[] {
  return [
    ...["XADD", dlq, "*", "original_id", "1795709122500-0", "original_stream", stream],
    ...["group", "g", "last_consumer", "c", "deliveries", "3", "reason", "max_deliveries"],
    ...["error", "boom", "dead_at", "1795709122566", "payload"],
  ];
}

describe("listDeadLetters", () => {
  it("lists newest first and pages with next", async () => {
    const ids = await pending([
      ["n", "1"],
      ["n", "2"],
      ["n", "3"],
    ]);
    await move(ids);
    const first = await listDeadLetters({ redis, dlqStream: dlq, count: 2 });
    expect(first.entries.map((e) => e.originalId)).toEqual([ids[2], ids[1]]);
    const second = await listDeadLetters({
      redis,
      dlqStream: dlq,
      count: 2,
      start: first.next ?? "",
    });
    expect(second.entries.map((e) => e.originalId)).toEqual([ids[0]]);
    expect(second.next).toBeNull();
  });

  it("lists an entry it cannot read as unreadable, beside the others", async () => {
    const [id = ""] = await pending([["a", "1"]]);
    await move([id]);
    const junk = String(await d.sendCommand(["XADD", dlq, "*", "hello", "world"]));
    const page = await listDeadLetters({ redis, dlqStream: dlq });
    expect(page.entries.map((e) => e.originalId)).toEqual([id]);
    expect(page.unreadable).toEqual([{ id: junk, error: expect.stringMatching(/metadata/) }]);
  });

  it("lists a dead letter of the older layout", async () => {
    await d.sendCommand([...legacyXAdd(), '{"amount":"12"}']);
    const { entries } = await listDeadLetters({ redis, dlqStream: dlq });
    expect(entries[0]).toMatchObject({
      originalId: "1795709122500-0",
      deliveries: 3,
      failures: 0,
      payload: { amount: "12" },
      pairs: [["amount", "12"]],
    });
  });
});
