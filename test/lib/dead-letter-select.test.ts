import { beforeEach, describe, expect, it } from "vitest";
import {
  DeadLetterInputError,
  deleteDeadLetter,
  ReplyShapeError,
  RequestBudget,
  readDeadLetter,
  redrive,
} from "../../src/lib/index";
import { deadLettersOf, type Raw, rawEntry, streamIds } from "../helpers/dead-letter-fixture";
import { upstash, useKeyspace } from "../helpers/redis";

const ks = useKeyspace("dlq-select");
const { d } = ks;
const redis = upstash();
let stream: string;
let dlq: string;

beforeEach(() => {
  stream = ks.key("orders");
  dlq = ks.key("orders:dlq");
});

/** Dead letters of `entries` on this test's stream (see {@link deadLettersOf}). */
const deadLetters = (entries: Raw[][]) => deadLettersOf(d, redis, { stream, dlq }, entries);

const numbered = (n: number): Raw[][] => Array.from({ length: n }, (_, i) => ["n", String(i)]);
const lengths = async () => ({ stream: await d.xLen(stream), dlq: await d.xLen(dlq) });

describe("redrive by ids", () => {
  it("moves only the one id given: the DLQ shrinks by one, the stream grows by one", async () => {
    const { originals, dlqIds } = await deadLetters(numbered(3));
    const before = await lengths();
    const report = await redrive({ redis, stream, dlqStream: dlq, ids: [dlqIds[1] ?? ""] });
    expect(report).toEqual({
      dryRun: false,
      moved: [{ dlqId: dlqIds[1], originalId: originals[1], newId: expect.any(String) }],
      skipped: [],
      next: null,
      requests: expect.any(Number),
    });
    expect(await lengths()).toEqual({ stream: before.stream + 1, dlq: before.dlq - 1 });
    expect(await streamIds(d, dlq)).toEqual([dlqIds[0], dlqIds[2]]);
  });

  it("puts the one id back with the bytes of the original, then original_id", async () => {
    const original = [Buffer.from([0xff, 0xfe]), "a", "b", "1", "b", Buffer.from([0xc3, 0x28])];
    const { originals, dlqIds } = await deadLetters([["other", "x"], original]);
    const { moved } = await redrive({ redis, stream, dlqStream: dlq, ids: [dlqIds[1] ?? ""] });
    const back = await rawEntry(d, stream, moved[0]?.newId ?? "");
    const expected = [...original, "original_id", originals[1] ?? ""].map((s) => Buffer.from(s));
    expect(back).toEqual(expected);
  });

  it("moves a selection of 3 of 5 in the order given, and leaves the other 2", async () => {
    const { originals, dlqIds } = await deadLetters(numbered(5));
    const [d0 = "", d1 = "", d2 = "", d3 = "", d4 = ""] = dlqIds;
    const before = await streamIds(d, stream);
    const report = await redrive({ redis, stream, dlqStream: dlq, ids: [d4, d0, d2] });
    expect(report.moved.map((m) => m.dlqId)).toEqual([d4, d0, d2]);
    expect(report.moved.map((m) => m.originalId)).toEqual([
      originals[4],
      originals[0],
      originals[2],
    ]);
    const added = (await streamIds(d, stream)).slice(before.length);
    expect(added).toEqual(report.moved.map((m) => m.newId));
    expect(await streamIds(d, dlq)).toEqual([d1, d3]);
  });

  it("lists the ids on a dry run and changes nothing", async () => {
    const { originals, dlqIds } = await deadLetters(numbered(3));
    const [d0 = "", , d2 = ""] = dlqIds;
    const before = await lengths();
    const report = await redrive({ redis, stream, dlqStream: dlq, ids: [d2, d0], dryRun: true });
    expect(report.moved).toEqual([
      { dlqId: d2, originalId: originals[2], newId: null },
      { dlqId: d0, originalId: originals[0], newId: null },
    ]);
    expect(await lengths()).toEqual(before);
    expect(await streamIds(d, dlq)).toEqual(dlqIds);
  });

  it("skips an id the dead-letter stream lacks as not_found and moves the others", async () => {
    const { originals, dlqIds } = await deadLetters(numbered(2));
    const unknown = "1-1";
    const ids = [dlqIds[0] ?? "", unknown, dlqIds[1] ?? ""];
    const report = await redrive({ redis, stream, dlqStream: dlq, ids });
    expect(report.skipped).toEqual([{ id: unknown, reason: "not_found" }]);
    expect(report.moved.map((m) => m.originalId)).toEqual(originals);
    expect(await d.xLen(dlq)).toBe(0);
  });

  it("skips an id redriven already as not_found, adding nothing twice", async () => {
    const { dlqIds } = await deadLetters(numbered(1));
    const ids = [dlqIds[0] ?? ""];
    await redrive({ redis, stream, dlqStream: dlq, ids });
    const before = await d.xLen(stream);
    const again = await redrive({ redis, stream, dlqStream: dlq, ids });
    expect(again).toMatchObject({ moved: [], skipped: [{ id: ids[0], reason: "not_found" }] });
    expect(await d.xLen(stream)).toBe(before);
  });

  it("refuses ids together with start, sending nothing", async () => {
    const { dlqIds } = await deadLetters(numbered(1));
    const budget = new RequestBudget();
    const call = redrive({ redis, stream, dlqStream: dlq, ids: dlqIds, start: "0-1", budget });
    await expect(call).rejects.toThrow(DeadLetterInputError);
    await expect(call).rejects.toThrow(/^ids and start cannot be given together/);
    expect(budget.used).toBe(0);
    expect(await d.xLen(dlq)).toBe(1);
  });

  it("refuses more than 100 ids, naming the limit", async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `1795709122566-${i}`);
    const call = redrive({ redis, stream, dlqStream: dlq, ids });
    await expect(call).rejects.toThrow("ids must hold 1 to 100 dead-letter ids, got 101");
  });

  it("refuses a malformed id, naming it", async () => {
    const { dlqIds } = await deadLetters(numbered(1));
    const call = redrive({ redis, stream, dlqStream: dlq, ids: [dlqIds[0] ?? "", "17957"] });
    await expect(call).rejects.toThrow(
      'ids must be stream ids like "1700000000000-0", got "17957"',
    );
    expect(await d.xLen(dlq)).toBe(1);
  });
});

describe("readDeadLetter", () => {
  it("returns the payload and the metadata of one dead letter", async () => {
    const { originals, dlqIds } = await deadLetters([
      ["orderID", "A-1"],
      ["orderID", "A-2", "amount", "007", "amount", "008"],
    ]);
    const letter = await readDeadLetter({ redis, dlqStream: dlq, id: dlqIds[1] ?? "" });
    expect(letter).toEqual({
      id: dlqIds[1],
      originalId: originals[1],
      originalStream: stream,
      group: "g",
      lastConsumer: "c",
      deliveries: 1,
      failures: 0,
      reason: "permanent_error",
      error: "bad amount",
      deadAt: 1795709122566,
      payload: { orderID: "A-2", amount: "008" },
      pairs: [
        ["orderID", "A-2"],
        ["amount", "007"],
        ["amount", "008"],
      ],
    });
  });

  it("returns null for an id the dead-letter stream does not hold", async () => {
    await deadLetters(numbered(1));
    expect(await readDeadLetter({ redis, dlqStream: dlq, id: "1-1" })).toBeNull();
  });

  it("returns null when the dead-letter stream does not exist", async () => {
    expect(await readDeadLetter({ redis, dlqStream: dlq, id: "1-1" })).toBeNull();
  });

  it("throws ReplyShapeError for an entry that is not a dead letter", async () => {
    const junk = String(await d.sendCommand(["XADD", dlq, "*", "hello", "world"]));
    const call = readDeadLetter({ redis, dlqStream: dlq, id: junk });
    await expect(call).rejects.toThrow(ReplyShapeError);
    await expect(call).rejects.toThrow(/does not start with the dead-letter metadata/);
  });

  it("refuses a malformed id, naming it", async () => {
    const call = readDeadLetter({ redis, dlqStream: dlq, id: "latest" });
    await expect(call).rejects.toThrow(
      'id must be a stream id like "1700000000000-0", got "latest"',
    );
  });
});

describe("deleteDeadLetter", () => {
  it("deletes one dead letter and leaves the others", async () => {
    const { dlqIds } = await deadLetters(numbered(3));
    const result = await deleteDeadLetter({ redis, dlqStream: dlq, id: dlqIds[1] ?? "" });
    expect(result).toEqual({ deleted: true });
    expect(await streamIds(d, dlq)).toEqual([dlqIds[0], dlqIds[2]]);
  });

  it("answers deleted false for an id the dead-letter stream does not hold", async () => {
    const { dlqIds } = await deadLetters(numbered(1));
    expect(await deleteDeadLetter({ redis, dlqStream: dlq, id: "1-1" })).toEqual({
      deleted: false,
    });
    expect(await streamIds(d, dlq)).toEqual(dlqIds);
  });

  it("deletes an entry that is not a dead letter", async () => {
    const junk = String(await d.sendCommand(["XADD", dlq, "*", "hello", "world"]));
    expect(await deleteDeadLetter({ redis, dlqStream: dlq, id: junk })).toEqual({ deleted: true });
    expect(await d.xLen(dlq)).toBe(0);
  });
});
