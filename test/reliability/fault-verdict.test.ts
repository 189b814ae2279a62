/**
 * The fault run's verdict on literal inputs: each check it makes (lost, altered, accepted or
 * under-run dead letters, deletions) fires on a case made to break it and stays quiet
 * otherwise, so a passing fault run means what it says.
 */
import { describe, expect, it } from "vitest";
import { build, carried, forwardedFields, type Produced } from "../helpers/fault-messages";
import {
  excusedByDeletion,
  holdsExactly,
  judge,
  parseRawDeadLetter,
  type RawDeadLetter,
  type VerdictInput,
} from "../helpers/fault-verdict";
import type { TargetDelivery } from "../helpers/flaky-target";

const STREAM = "orders";
const b = (s: string | number[]) => (typeof s === "string" ? Buffer.from(s) : Buffer.from(s));

function message(id: string, index: number, kind: Produced["kind"] = "good"): Produced {
  return { id, index, kind, shape: "plain", flat: build(index, "plain", kind) };
}

/** The body the forwarder sends for `m`. */
function body(m: Produced, fields = forwardedFields(m.flat)): Buffer {
  return Buffer.from(
    JSON.stringify({ id: m.id, stream: STREAM, group: "g", deliveries: 1, fields }),
  );
}

function delivery(m: Produced, answer: TargetDelivery["answer"], attempt = 1): TargetDelivery {
  return { key: `${STREAM}:${m.id}`, attempt, body: body(m), answer };
}

/** A dead letter in the verbatim layout. */
function letter(m: Produced, reason: string): RawDeadLetter {
  const meta = ["original_id", m.id, "reason", reason, "failures", "3", "format", "pairs"];
  return parseRawDeadLetter("9-0", [...meta.map(b), ...m.flat]);
}

function input(over: Partial<VerdictInput>): VerdictInput {
  return {
    produced: [],
    stream: STREAM,
    deliveries: [],
    accepted: new Set(),
    deadLetters: [],
    maxDeliveries: 3,
    deletion: undefined,
    ...over,
  };
}

describe("dead letters read as raw bytes", () => {
  it("reads the metadata before `format` and the verbatim pairs after it", () => {
    const flat = [b("original_id"), b("1-0"), b("reason"), b("max_deliveries")];
    const pairs = [b("reason"), b([0xff, 0x00]), b("reason"), b("again")];
    const l = parseRawDeadLetter("5-0", [...flat, b("format"), b("pairs"), ...pairs]);
    expect(l).toMatchObject({ id: "5-0", originalId: "1-0", reason: "max_deliveries" });
    expect(l.original).toEqual(pairs);
    expect(holdsExactly(l, pairs)).toBe(true);
    expect(holdsExactly(l, pairs.slice(0, 2))).toBe(false);
  });

  it("reads a wide entry's JSON array back to the exact bytes, cjson's escapes included", () => {
    // As cjson.encode writes {"a\xff/", "\x01\"\\"}: raw bytes from 0x80, `\/`, `\u0001`.
    const json = Buffer.concat([b('["a'), b([0xff]), b('\\/","\\u0001\\"\\\\"]')]);
    const flat = [b("original_id"), b("1-0"), b("format"), b("json"), b("pairs"), json];
    const want = [Buffer.concat([b("a"), b([0xff]), b("/")]), b([0x01, 0x22, 0x5c])];
    expect(holdsExactly(parseRawDeadLetter("5-0", flat), want)).toBe(true);
  });

  it("holds nothing exactly when the layout has no `format` (payload as JSON)", () => {
    const flat = [b("original_id"), b("1-0"), b("payload"), b('{"kind":"good"}')];
    const l = parseRawDeadLetter("5-0", flat);
    expect(l.original).toBeNull();
    expect(holdsExactly(l, [b("kind"), b("good")])).toBe(false);
  });
});

describe("the verdict", () => {
  const ok = message("1-0", 0);
  const poison = message("2-0", 7, "poison");
  const permanent = message("3-0", 31, "permanent");

  it("counts a message neither accepted nor dead-lettered as lost", () => {
    const v = judge(input({ produced: [ok, poison], deadLetters: [letter(poison, "x")] }));
    expect(v.lost).toBe(1);
    expect(v.samples.lost?.[0]).toMatch(/^1-0: plain\/good: runs 0/);
  });

  it("finds a delivered body whose fields differ, or that is not UTF-8, altered", () => {
    const changed = { ...delivery(ok, "accepted"), body: body(ok, { kind: "good", i: "1" }) };
    const invalid = { ...delivery(ok, "duplicate", 2), body: Buffer.from([0x7b, 0xff, 0x7d]) };
    const accepted = new Set([`${STREAM}:${ok.id}`]);
    const clean = judge(
      input({ produced: [ok], deliveries: [delivery(ok, "accepted")], accepted }),
    );
    expect(clean.altered).toEqual({ messages: 0, target: 0, deadLetters: 0 });
    for (const bad of [changed, invalid]) {
      expect(judge(input({ produced: [ok], deliveries: [bad], accepted })).altered.target).toBe(1);
    }
  });

  it("holds a repeated-name message's `pairs` to every produced pair, invalid UTF-8 as U+FFFD", () => {
    const odd: Produced = {
      id: "4-0",
      index: 4,
      kind: "good",
      shape: "odd",
      flat: build(4, "odd", "good"),
    };
    const fields = forwardedFields(odd.flat);
    const send = (pairs: [string, string][]) => ({
      ...delivery(odd, "accepted"),
      body: Buffer.from(JSON.stringify({ id: odd.id, stream: STREAM, fields, pairs })),
    });
    const all = carried(odd.flat);
    expect(all.filter(([k]) => k === "dup").map(([, v]) => v)).toEqual([
      "first",
      "second",
      "\uFFFD\uFFFD\uFFFD",
    ]);
    const accepted = new Set([`${STREAM}:${odd.id}`]);
    const judged = (pairs: [string, string][]) =>
      judge(input({ produced: [odd], deliveries: [send(pairs)], accepted })).altered.target;
    expect(judged(all)).toBe(0);
    expect(judged(all.filter(([, v]) => v !== "first"))).toBe(1);
  });

  it("finds a dead letter whose pairs differ from the produced bytes altered", () => {
    const copy = letter(poison, "max_deliveries");
    const flipped = {
      ...copy,
      original: copy.original?.map((x, i) => (i === 3 ? b("9") : x)) ?? null,
    };
    const v = judge(input({ produced: [poison], deadLetters: [flipped] }));
    expect(v.altered).toEqual({ messages: 1, target: 0, deadLetters: 1 });
  });

  it("counts dead letters the target accepted, and those with fewer runs than MAX_DELIVERIES", () => {
    const runs = [1, 2].map((n) => delivery(poison, "failed", n));
    const v = judge(
      input({
        produced: [ok, poison, permanent],
        deliveries: [delivery(ok, "accepted_failed"), ...runs, delivery(permanent, "refused")],
        accepted: new Set([`${STREAM}:${ok.id}`]),
        deadLetters: [
          letter(ok, "max_deliveries"),
          letter(poison, "max_deliveries"),
          letter(permanent, "permanent_error"),
        ],
      }),
    );
    expect(v.deadLettersAccepted).toBe(1);
    // ok had 1 run, poison 2; permanent_error needs only one.
    expect(v.deadLettersUnderRuns).toBe(2);
    expect(v.duplicates).toBe(1);
  });

  it("excuses a deleted message only if it was unread or pending when the stream went", () => {
    const deletion = { upTo: "5-0", lastDelivered: "3-0", pending: new Set(["2-0"]) };
    expect(excusedByDeletion("4-0", deletion)).toBe(true); // unread
    expect(excusedByDeletion("2-0", deletion)).toBe(true); // pending
    expect(excusedByDeletion("1-0", deletion)).toBe(false); // read past, not pending: lost
    expect(excusedByDeletion("6-0", deletion)).toBe(false); // written after the deletion
    expect(excusedByDeletion("1-0", { ...deletion, lastDelivered: null })).toBe(true);
  });
});
