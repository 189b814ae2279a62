import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DEAD_LETTER_HEADER, MAX_VERBATIM_PAIRS } from "../../src/lib/dead-letter/entry";
import { listDeadLetters, type MoveOptions, moveToDeadLetter, redrive } from "../../src/lib/index";
import {
  pendingEntries,
  type Raw,
  rawEntry as rawEntryOf,
  streamIds,
} from "../helpers/dead-letter-fixture";
import { upstash, useKeyspace } from "../helpers/redis";

const ks = useKeyspace("dlq-limits");
const { d } = ks;
const redis = upstash();
const HEADER_STRINGS = DEAD_LETTER_HEADER.length * 2;
const MIB = 1024 * 1024;
let stream: string;
let dlq: string;

beforeEach(() => {
  stream = ks.key("orders");
  dlq = ks.key("orders:dlq");
});

afterEach(() => {
  vi.restoreAllMocks();
});

const pending = (entries: Raw[][]) => pendingEntries(d, stream, entries);

function move(ids: string[], options: Partial<MoveOptions> = {}) {
  return moveToDeadLetter({
    redis,
    stream,
    group: "g",
    consumer: "c",
    dlqStream: dlq,
    dlqMaxLen: 1000,
    entries: ids.map((id) => ({ id, reason: "max_deliveries", error: "boom" })),
    ...options,
  });
}

const rawEntry = (key: string, id: string) => rawEntryOf(d, key, id);
const dlqIds = () => streamIds(d, dlq);

/** Each string as hex: compares bytes, and quicker to compare than Buffers. */
const hex = (flat: Raw[]) => flat.map((s) => Buffer.from(s).toString("hex"));

/** `n` pairs `f<i>` → `v<i>`, the first with bytes that are not UTF-8. */
function widePairs(n: number): Raw[] {
  const flat: Raw[] = [Buffer.from([0xff, 0x00]), Buffer.from([0xc3, 0x28, 0x2f])];
  for (let i = 1; i < n; i++) {
    flat.push(`f${i}`, `v${i}`);
  }
  return flat;
}

/**
 * The original pairs of a wide dead letter, as bytes: its JSON escapes only ASCII (cjson
 * keeps bytes >= 0x80 as they are), so reading it as latin1 maps each byte to one char.
 */
function jsonPairsAsBytes(json: Buffer): Buffer[] {
  const flat = JSON.parse(json.toString("latin1")) as string[];
  return flat.map((s) => Buffer.from(s, "latin1"));
}

/** Sizes of the HTTP request bodies the client sends while `fn` runs. */
async function requestBodies(fn: () => Promise<unknown>): Promise<number[]> {
  const sizes: number[] = [];
  const send = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
    sizes.push(typeof init?.body === "string" ? Buffer.byteLength(init.body) : -1);
    return send(input, init);
  });
  await fn();
  vi.restoreAllMocks();
  return sizes;
}

describe("payload size", () => {
  it("moves 30 payloads of 1 MiB and 70 small ones in one request of a few KiB", async () => {
    const big = (i: number) => ["doc", `${i}:`.padEnd(MIB, "x")];
    const ids = await pending(
      Array.from({ length: 100 }, (_, i) => (i % 3 === 0 && i < 90 ? big(i) : ["n", String(i)])),
    );
    let moved: string[] = [];
    const sizes = await requestBodies(async () => {
      moved = (await move(ids)).moved;
    });
    expect(moved).toEqual(ids);
    expect(sizes.length).toBeGreaterThan(0);
    expect(Math.max(...sizes)).toBeLessThan(16 * 1024);
    const [first = ""] = await dlqIds();
    const copy = await rawEntry(dlq, first);
    expect(hex(copy.slice(HEADER_STRINGS))).toEqual(hex(big(0)));
  });
});

describe("wide entries", () => {
  it(`copies ${MAX_VERBATIM_PAIRS} pairs verbatim and stores one more as a JSON array`, async () => {
    const [fits = "", wide = ""] = await pending([
      widePairs(MAX_VERBATIM_PAIRS),
      widePairs(MAX_VERBATIM_PAIRS + 1),
    ]);
    expect((await move([fits, wide])).moved).toEqual([fits, wide]);
    const [fitsCopy = [], wideCopy = []] = await Promise.all(
      (await dlqIds()).map((id) => rawEntry(dlq, id)),
    );
    expect(String(fitsCopy[HEADER_STRINGS - 1])).toBe("pairs");
    expect(hex(fitsCopy.slice(HEADER_STRINGS))).toEqual(hex(widePairs(MAX_VERBATIM_PAIRS)));
    expect(wideCopy).toHaveLength(HEADER_STRINGS + 2);
    expect(wideCopy.slice(HEADER_STRINGS - 1, HEADER_STRINGS + 1).map(String)).toEqual([
      "json",
      "pairs",
    ]);
  });

  it("stores a 100,000-field entry as one JSON array, byte for byte", async () => {
    const original = widePairs(100_000);
    const [id = ""] = await pending([original]);
    expect((await move([id])).moved).toEqual([id]);
    const [dlqId = ""] = await dlqIds();
    const copy = await rawEntry(dlq, dlqId);
    expect(copy).toHaveLength(HEADER_STRINGS + 2);
    expect(hex(jsonPairsAsBytes(copy[HEADER_STRINGS + 1] ?? Buffer.alloc(0)))).toEqual(
      hex(original),
    );
  });

  it("lists a 100,000-field dead letter with every pair", async () => {
    const [id = ""] = await pending([widePairs(100_000)]);
    await move([id]);
    const { entries, unreadable } = await listDeadLetters({ redis, dlqStream: dlq });
    expect(unreadable).toEqual([]);
    expect(entries[0]?.pairs).toHaveLength(100_000);
    expect(entries[0]?.pairs[99_999]).toEqual(["f99999", "v99999"]);
  });

  it("skips a 100,000-field dead letter on redrive and moves the one after it", async () => {
    const [wide = "", small = ""] = await pending([widePairs(100_000), ["a", "1"]]);
    await move([wide, small]);
    const [wideDlqId] = await dlqIds();
    const report = await redrive({ redis, stream, dlqStream: dlq });
    expect(report.skipped).toEqual([{ id: wideDlqId, reason: "too_many_fields" }]);
    expect(report.moved.map((m) => m.originalId)).toEqual([small]);
    expect(await dlqIds()).toEqual([wideDlqId]);
  });

  it(`redrives a dead letter of ${MAX_VERBATIM_PAIRS} pairs with its original_id`, async () => {
    const original = widePairs(MAX_VERBATIM_PAIRS);
    const [id = ""] = await pending([original]);
    await move([id]);
    const { moved } = await redrive({ redis, stream, dlqStream: dlq });
    const back = await rawEntry(stream, moved[0]?.newId ?? "");
    expect(hex(back)).toEqual(hex([...original, "original_id", id]));
  });
});

describe("capacity", () => {
  it("leaves entries pending and reports them full once the stream holds dlqMaxLen", async () => {
    const ids = await pending(Array.from({ length: 5 }, (_, i) => ["n", String(i)]));
    const result = await move(ids, { dlqMaxLen: 2 });
    expect(result).toMatchObject({ moved: ids.slice(0, 2), full: ids.slice(2) });
    expect(await d.xLen(dlq)).toBe(2);
    const [count] = (await d.sendCommand(["XPENDING", stream, "g"])) as [number];
    expect(count).toBe(3);
  });

  it("moves the entries it left pending once the dead-letter stream has room", async () => {
    const ids = await pending(Array.from({ length: 3 }, (_, i) => ["n", String(i)]));
    await move(ids, { dlqMaxLen: 1 });
    await d.sendCommand(["XTRIM", dlq, "MAXLEN", "0"]);
    expect((await move(ids, { dlqMaxLen: 10 })).moved).toEqual(ids.slice(1));
  });
});
