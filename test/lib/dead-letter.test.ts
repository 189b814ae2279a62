import { beforeEach, describe, expect, it } from "vitest";
import { parseDeadLetter, truncateError } from "../../src/lib/dead-letter/entry";
import { listDeadLetters, moveToDeadLetter, RequestBudget, redrive } from "../../src/lib/index";
import { upstash, useKeyspace } from "../helpers/redis";

const ks = useKeyspace("dlq");
const { d } = ks;
let stream: string;
let dlq: string;
const redis = upstash();

beforeEach(() => {
  stream = ks.key("orders");
  dlq = ks.key("orders:dlq");
});

/** Adds entries and reads them into consumer c's PEL. */
async function pending(fields: Record<string, string>[]): Promise<string[]> {
  await d.sendCommand(["XGROUP", "CREATE", stream, "g", "$", "MKSTREAM"]);
  const ids: string[] = [];
  for (const f of fields) {
    ids.push(String(await d.sendCommand(["XADD", stream, "*", ...Object.entries(f).flat()])));
  }
  await d.sendCommand(["XREADGROUP", "GROUP", "g", "c", "STREAMS", stream, ">"]);
  return ids;
}

function move(entries: { id: string; fields: Record<string, string> }[], consumer = "c") {
  return moveToDeadLetter({
    redis,
    stream,
    group: "g",
    consumer,
    dlqStream: dlq,
    dlqMaxLen: 1000,
    entries: entries.map((e) => ({
      ...e,
      reason: "permanent_error" as const,
      error: "bad amount",
    })),
    now: 1795709122566,
  });
}

describe("moveToDeadLetter", () => {
  it("writes every field of the contract and acks the entry", async () => {
    const fields = { orderID: "A-1", amount: "007", note: '{"x":1}' };
    const [id = ""] = await pending([fields]);
    expect(await move([{ id, fields }])).toEqual([id]);
    const { entries } = await listDeadLetters({ redis, dlqStream: dlq });
    expect(entries).toEqual([
      {
        id: expect.any(String),
        originalId: id,
        originalStream: stream,
        group: "g",
        lastConsumer: "c",
        deliveries: 1,
        reason: "permanent_error",
        error: "bad amount",
        deadAt: 1795709122566,
        payload: fields,
      },
    ]);
    expect(await d.sendCommand(["XPENDING", stream, "g"])).toEqual([0, null, null, null]);
  });

  it("skips an entry that is no longer pending for that consumer", async () => {
    const [id = ""] = await pending([{ a: "1" }]);
    await d.sendCommand(["XACK", stream, "g", id]);
    expect(await move([{ id, fields: { a: "1" } }])).toEqual([]);
    expect(await d.xLen(dlq)).toBe(0);
  });

  it("never dead-letters the same entry twice when two moves race", async () => {
    const ids = await pending(Array.from({ length: 20 }, (_, i) => ({ n: String(i) })));
    const entries = ids.map((id, i) => ({ id, fields: { n: String(i) } }));
    const [a, b] = await Promise.all([move(entries), move(entries)]);
    expect([...(a ?? []), ...(b ?? [])].sort()).toEqual([...ids].sort());
    expect(await d.xLen(dlq)).toBe(20);
  });

  it("moves 500 entries in 5 requests", async () => {
    const ids = await pending(Array.from({ length: 500 }, (_, i) => ({ n: String(i) })));
    const budget = new RequestBudget();
    await moveToDeadLetter({
      redis,
      stream,
      group: "g",
      consumer: "c",
      dlqStream: dlq,
      dlqMaxLen: 100000,
      entries: ids.map((id) => ({ id, fields: { n: "x" }, reason: "max_deliveries", error: "e" })),
      budget,
    });
    expect(await d.xLen(dlq)).toBe(500);
    expect(budget.used).toBe(5);
  });
});

describe("redrive", () => {
  it("restores the exact fields on the source stream and empties the dead-letter stream", async () => {
    const fields = {
      "": "empty name",
      zero: "007",
      uni: "Zoë 🚀",
      json: '{"a":[1]}',
      long: "x".repeat(5000),
    };
    const [id = ""] = await pending([fields]);
    await move([{ id, fields }]);
    const report = await redrive({ redis, stream, dlqStream: dlq });
    expect(report.moved).toHaveLength(1);
    const newId = report.moved[0]?.newId ?? "";
    const [[, flat]] = (await d.sendCommand(["XRANGE", stream, newId, newId])) as [
      [string, string[]],
    ];
    expect(Object.fromEntries(pairs(flat))).toEqual(fields);
    expect(await d.xLen(dlq)).toBe(0);
  });

  it("changes nothing on a dry run", async () => {
    const [id = ""] = await pending([{ a: "1" }]);
    await move([{ id, fields: { a: "1" } }]);
    const before = await d.xLen(stream);
    const report = await redrive({ redis, stream, dlqStream: dlq, dryRun: true });
    expect(report).toMatchObject({ dryRun: true, moved: [{ originalId: id, newId: null }] });
    expect(await d.xLen(dlq)).toBe(1);
    expect(await d.xLen(stream)).toBe(before);
  });

  it("moves at most count entries, oldest first", async () => {
    const ids = await pending([{ n: "1" }, { n: "2" }, { n: "3" }]);
    await move(ids.map((id, i) => ({ id, fields: { n: String(i + 1) } })));
    const report = await redrive({ redis, stream, dlqStream: dlq, count: 2 });
    expect(report.moved.map((m) => m.originalId)).toEqual(ids.slice(0, 2));
    expect(await d.xLen(dlq)).toBe(1);
  });

  it("never duplicates an entry when two redrives race", async () => {
    const ids = await pending(Array.from({ length: 10 }, (_, i) => ({ n: String(i) })));
    await move(ids.map((id, i) => ({ id, fields: { n: String(i) } })));
    const before = await d.xLen(stream);
    await Promise.all([
      redrive({ redis, stream, dlqStream: dlq }),
      redrive({ redis, stream, dlqStream: dlq }),
    ]);
    expect((await d.xLen(stream)) - before).toBe(10);
  });
});

describe("listDeadLetters", () => {
  it("lists newest first and pages with next", async () => {
    const ids = await pending([{ n: "1" }, { n: "2" }, { n: "3" }]);
    await move(ids.map((id, i) => ({ id, fields: { n: String(i + 1) } })));
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
});

describe("format helpers", () => {
  it("cuts errors to 1 KiB without splitting a character", () => {
    const cut = truncateError("é".repeat(2000));
    expect(new TextEncoder().encode(cut).length).toBeLessThanOrEqual(1024);
    expect(cut.endsWith("é...")).toBe(true);
  });

  it("rejects a dead-letter entry whose payload is not a JSON object", () => {
    expect(() => parseDeadLetter("1-0", { payload: "[1]" })).toThrow(/not a JSON object/);
  });
});

function pairs(flat: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) {
    out.push([flat[i] ?? "", flat[i + 1] ?? ""]);
  }
  return out;
}
