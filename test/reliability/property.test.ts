/**
 * Property-based tests (fast-check): random interleavings of add / drain / sweep / handler
 * outcome / time advance end in the state the handler's outcomes dictate, on a clean bridge
 * and on one that drops requests before and after they ran; random field names and values,
 * repeated names, 600 KiB values and 2,500-field messages come back byte for byte in the
 * handler, in the dead letter and after a redrive.
 * Time advances by aging entries with `XCLAIM ... IDLE n JUSTID`, never by sleeping.
 */
import { randomBytes } from "node:crypto";
import type { Redis } from "@upstash/redis/cloudflare";
import fc from "fast-check";
import { RESP_TYPES } from "redis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Bridge, startBridge } from "../../dev/bridge/server";
import {
  drain,
  listDeadLetters,
  type MessageHandler,
  PermanentError,
  redrive,
  sweep,
} from "../../src/lib/index";
import { holdsExactly, parseRawDeadLetter } from "../helpers/fault-verdict";
import { drained, SOAK } from "../helpers/ledger";
import { type Direct, keyspace, upstash, useDirect } from "../helpers/redis";

const GROUP = "g";
const MIN_IDLE_MS = 1000;
const MAX_DELIVERIES = 3;
/** As the Worker creates it (src/handlers/client.ts): plain JSON replies, no base64. */
const redis = upstash({ base64: false });

const d = useDirect();

type Outcome = "ok" | "fail" | "perm";
type Backoff = "fixed" | "exponential";
type Op =
  | { op: "add"; plans: Outcome[][] }
  | { op: "drain"; consumer: number; batchSize: number; max: number; abort: boolean }
  | { op: "sweep"; backoff: Backoff; count: number; pageSize: number }
  | { op: "age"; ms: number }
  | { op: "together"; backoff: Backoff };

const outcome = fc.constantFrom<Outcome>("ok", "fail", "perm");
const backoff = fc.constantFrom<Backoff>("fixed", "exponential");

/** The operations, adding messages whose handler outcomes follow `plans`. */
function opsArb(plans: fc.Arbitrary<Outcome[]>): fc.Arbitrary<Op[]> {
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      op: fc.constant("add" as const),
      plans: fc.array(plans, { minLength: 1, maxLength: 5 }),
    }),
    fc.record({
      op: fc.constant("drain" as const),
      consumer: fc.integer({ min: 0, max: 2 }),
      batchSize: fc.integer({ min: 1, max: 4 }),
      max: fc.integer({ min: 1, max: 8 }),
      abort: fc.boolean(),
    }),
    fc.record({
      op: fc.constant("sweep" as const),
      backoff,
      count: fc.integer({ min: 1, max: 10 }),
      pageSize: fc.integer({ min: 1, max: 4 }),
    }),
    fc.record({ op: fc.constant("age" as const), ms: fc.integer({ min: 0, max: 20_000 }) }),
    fc.record({ op: fc.constant("together" as const), backoff }),
  );
  return fc.array(op, { minLength: 1, maxLength: 14 });
}

/** Call `c` (from 0) of a plan: its last outcome repeats forever. */
const outcomeAt = (plan: Outcome[], c: number): Outcome =>
  plan.length === 0 ? "ok" : (plan[Math.min(c, plan.length - 1)] ?? "ok");

/** What the plan says must become of a message: its handler calls and where it ends. */
function expected(plan: Outcome[]): {
  calls: number;
  end: "acked" | "permanent_error" | "max_deliveries";
} {
  for (let c = 0; c < MAX_DELIVERIES; c++) {
    const out = outcomeAt(plan, c);
    if (out === "ok") {
      return { calls: c + 1, end: "acked" };
    }
    if (out === "perm") {
      return { calls: c + 1, end: "permanent_error" };
    }
  }
  return { calls: MAX_DELIVERIES, end: "max_deliveries" };
}

/** What one interleaving did: per id its plan, handler calls, and whether one succeeded. */
type Played = { plans: Map<string, Outcome[]>; calls: Map<string, number>; ok: Set<string> };

/**
 * Plays `ops` on a fresh stream (group created at `$`) through `client`, then lets time pass
 * and the jobs run, with `beforeSettle` first (a faulty bridge turns its faults off), until
 * the group is drained; `check` then judges it. Cleans up its keys.
 */
async function play(
  client: Redis,
  ops: Op[],
  beforeSettle: () => void,
  check: (played: Played, dlq: string) => Promise<void>,
): Promise<void> {
  const ks = keyspace(d, "prop");
  const stream = ks.key("s");
  const dlq = ks.key("s:dlq");
  const played: Played = { plans: new Map(), calls: new Map(), ok: new Set() };
  const handler: MessageHandler = (m) => {
    const c = played.calls.get(m.id) ?? 0;
    played.calls.set(m.id, c + 1);
    const out = outcomeAt(played.plans.get(m.id) ?? [], c);
    if (out === "fail") {
      throw new Error(`fail ${m.id}`);
    }
    if (out === "perm") {
      throw new PermanentError(`perm ${m.id}`);
    }
    played.ok.add(m.id);
  };
  const drainAs = (consumer: string, batchSize = 10, max = 1000, abort?: AbortController) =>
    drain({
      redis: client,
      stream,
      group: GROUP,
      consumer,
      batchSize,
      maxMessages: max,
      minIdleMs: MIN_IDLE_MS,
      dlqStream: dlq,
      signal: abort?.signal,
      handler: async (m, ctx) => {
        abort?.abort();
        await handler(m, ctx);
      },
    });
  let sweeps = 0;
  const sweepOnce = (b: Backoff, count = 1000, pageSize = 100) =>
    sweep({
      redis: client,
      stream,
      group: GROUP,
      consumer: `sweep-${++sweeps}`,
      handler,
      minIdleMs: MIN_IDLE_MS,
      maxDeliveries: MAX_DELIVERIES,
      count,
      pageSize,
      timeBudgetMs: 10_000,
      dlqStream: dlq,
      consumerRetentionMs: 60_000,
      retryBackoff: b,
      maxBackoffMs: 8 * MIN_IDLE_MS,
    });
  try {
    await d.sendCommand(["XGROUP", "CREATE", stream, GROUP, "$", "MKSTREAM"]);
    for (const op of ops) {
      if (op.op === "add") {
        for (const plan of op.plans) {
          const id = String(await d.sendCommand(["XADD", stream, "*", "plan", plan.join(",")]));
          played.plans.set(id, plan);
        }
      } else if (op.op === "drain") {
        const abort = op.abort ? new AbortController() : undefined;
        await drainAs(`drain-${op.consumer}`, op.batchSize, op.max, abort);
      } else if (op.op === "sweep") {
        await sweepOnce(op.backoff, op.count, op.pageSize);
      } else if (op.op === "age") {
        await age(d, stream, op.ms);
      } else {
        await Promise.all([drainAs("drain-x"), sweepOnce(op.backoff), sweepOnce("fixed")]);
      }
    }
    beforeSettle();
    for (let round = 0; round < 12 && !(await drained(d, stream, GROUP)); round++) {
      await drainAs("drain-final");
      await age(d, stream, 10 * MIN_IDLE_MS);
      await sweepOnce(round % 2 === 0 ? "exponential" : "fixed");
    }
    expect(await drained(d, stream, GROUP)).toBe(true);
    await check(played, dlq);
  } finally {
    await ks.cleanup();
  }
}

/** Makes every pending entry `ms` idler, without counting a delivery. */
async function age(direct: Direct, stream: string, ms: number): Promise<void> {
  const rows = (await direct.sendCommand(["XPENDING", stream, GROUP, "-", "+", "10000"])) as [
    string,
    string,
    number,
    number,
  ][];
  const multi = direct.multi();
  for (const [id, owner, idle] of rows) {
    multi.addCommand([
      ...["XCLAIM", stream, GROUP, owner, "0", id],
      ...["IDLE", String(Number(idle) + ms), "JUSTID"],
    ]);
  }
  if (rows.length > 0) {
    await multi.execAsPipeline();
  }
}

/** The dead letters by original id, after checking none was dead-lettered twice. */
async function deadLetters(client: Redis, dlq: string) {
  const { entries } = await listDeadLetters({ redis: client, dlqStream: dlq, count: 1000 });
  const dead = new Map(entries.map((e) => [e.originalId, e]));
  expect(dead.size).toBe(entries.length);
  return dead;
}

describe("random interleavings keep the invariant", () => {
  it("every message ends as its handler outcomes dictate, the PEL empty", async () => {
    const plans = fc.array(outcome, { maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(opsArb(plans), (ops) =>
        play(
          redis,
          ops,
          () => {},
          async ({ plans, calls, ok }, dlq) => {
            const dead = await deadLetters(redis, dlq);
            for (const [id, plan] of plans) {
              const want = expected(plan);
              expect({ id, calls: calls.get(id) ?? 0 }).toEqual({ id, calls: want.calls });
              const letter = dead.get(id);
              if (want.end === "acked") {
                expect(ok.has(id)).toBe(true);
                expect(letter).toBeUndefined();
              } else {
                expect(ok.has(id)).toBe(false);
                expect(letter?.reason).toBe(want.end);
                expect(letter?.pairs).toEqual([["plan", plan.join(",")]]);
              }
            }
          },
        ),
      ),
      { numRuns: SOAK ? 300 : 25 },
    );
  }, 120_000);
});

describe("random interleavings through a bridge that loses requests keep the invariant", () => {
  let bridge: Bridge;
  let faulty: Redis;
  /** While the ops run: requests answered 500 before they run, and after. */
  const FAULTS = { faultRate: 0.05, faultAfterRate: 0.05 };

  beforeAll(async () => {
    const token = randomBytes(16).toString("hex");
    const redisUrl = inject("redisUrl");
    bridge = await startBridge({ redisUrl, token, port: 0, log: () => {}, profile: "upstash" });
    faulty = upstash({ url: bridge.url, token });
  });
  afterAll(async () => {
    await bridge?.close();
  });

  /**
   * A few failures, then success or PermanentError forever; or failures forever. With faults
   * a run may repeat, so a plan decides the end, not the number of calls.
   */
  const plans = fc.oneof(
    fc
      .tuple(
        fc.integer({ min: 0, max: MAX_DELIVERIES - 1 }),
        fc.constantFrom<Outcome>("ok", "perm"),
      )
      .map(([fails, end]): Outcome[] => [...Array<Outcome>(fails).fill("fail"), end]),
    fc.constant<Outcome[]>(["fail"]),
  );

  it("every message ends as its outcomes dictate, dead letters after MAX_DELIVERIES runs", async () => {
    await fc.assert(
      fc.asyncProperty(opsArb(plans), (ops) => {
        Object.assign(bridge.knobs, FAULTS);
        return play(
          faulty,
          ops,
          () => Object.assign(bridge.knobs, { faultRate: 0, faultAfterRate: 0 }),
          async ({ plans, calls, ok }, dlq) => {
            const dead = await deadLetters(faulty, dlq);
            for (const [id, plan] of plans) {
              const end = expected(plan).end;
              const letter = dead.get(id);
              const runs = calls.get(id) ?? 0;
              expect({ id, end: letter?.reason ?? (ok.has(id) ? "acked" : "neither") }).toEqual({
                id,
                end,
              });
              if (end === "max_deliveries") {
                expect({ id, runs: Math.min(runs, MAX_DELIVERIES) }).toEqual({
                  id,
                  runs: MAX_DELIVERIES,
                });
              }
              if (letter) {
                expect(letter.pairs).toEqual([["plan", plan.join(",")]]);
              }
            }
          },
        );
      }),
      { numRuns: SOAK ? 200 : 15 },
    );
    // The runs did meet faults of both kinds.
    expect(Math.min(bridge.stats().faults, bridge.stats().faultsAfter)).toBeGreaterThan(0);
  }, 180_000);
});

/** Field names and values users actually send, plus arbitrary Unicode. */
const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom(
    ...["", " ", "007", "0", "-0", "1e3", "0x1F", "true", "false", "null", "NaN", " 42 "],
    ...['{"a":1}', "[1,2]", '"quoted"', "\\u0000", "\u0000", "OK", "T0s=", "__proto__"],
    ...["constructor", "toString", "a\r\nb", "🚀✓日本語", "\uFEFFbom", "e\u0301"],
  ),
  fc.json(),
  fc.integer({ min: 0 }).map((n) => `000${n}`),
  fc.constantFrom(1000, 100_000).map((n) => "é".repeat(n)),
);
/** A value past half a MiB, and a message with 2,500 fields (still copied verbatim). */
const LARGE: [string, string][] = [
  ["kind", "large"],
  ["blob", "é日🚀abc".repeat((600 * 1024) / 12)],
];
const WIDE: [string, string][] = Array.from({ length: 2500 }, (_, j) => [
  j % 500 === 3 ? String(j) : `f${j}`,
  `${j}`,
]);
/** Pairs as added: names may repeat (a repeated name keeps its last value in `fields`). */
const pairsArb = fc.array(fc.tuple(text, text), { minLength: 1, maxLength: 6 });

describe("field bytes survive every hop", () => {
  it("handler, dead letter and redrive see exactly the pairs that were added", async () => {
    const bytes = d.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
    const raw = async (key: string, id: string) =>
      ((await bytes.sendCommand(["XRANGE", key, id, id])) as unknown as [Buffer, Buffer[]][])[0];
    await fc.assert(
      fc.asyncProperty(pairsArb, async (pairs) => {
        const ks = keyspace(d, "bytes");
        const stream = ks.key("s");
        const dlq = ks.key("s:dlq");
        const fields = Object.fromEntries(pairs);
        const want = pairs.flatMap(([k, v]) => [Buffer.from(k), Buffer.from(v)]);
        const seen: { fields: Record<string, string>; pairs: [string, string][] }[] = [];
        const drainWith = (fail: boolean) =>
          drain({
            redis,
            stream,
            group: GROUP,
            consumer: "c",
            dlqStream: dlq,
            handler: (m) => {
              seen.push({ fields: m.fields, pairs: m.pairs });
              if (fail) {
                throw new PermanentError("to the DLQ");
              }
            },
          });
        try {
          await d.sendCommand(["XGROUP", "CREATE", stream, GROUP, "$", "MKSTREAM"]);
          const id = String(await d.sendCommand(["XADD", stream, "*", ...pairs.flat()]));
          expect((await drainWith(true)).deadLettered).toBe(1);
          const { entries } = await listDeadLetters({ redis, dlqStream: dlq });
          expect(entries[0]?.pairs).toEqual(pairs);
          expect(entries[0]?.payload).toEqual(fields);
          // Ground truth: the dead letter as raw bytes.
          const letter = await raw(dlq, entries[0]?.id ?? "");
          expect(
            holdsExactly(parseRawDeadLetter(letter?.[0].toString() ?? "", letter?.[1] ?? []), want),
          ).toBe(true);
          const moved = await redrive({ redis, stream, dlqStream: dlq });
          expect(moved.moved).toHaveLength(1);
          await drainWith(false);
          expect(seen).toEqual([
            { fields, pairs },
            { fields, pairs: [...pairs, ["original_id", id]] },
          ]);
          // The redriven entry: the same bytes, then the redrive's `original_id` pair.
          const back = await raw(stream, moved.moved[0]?.newId ?? "");
          expect(back?.[1]).toEqual([...want, Buffer.from("original_id"), Buffer.from(id)]);
        } finally {
          await ks.cleanup();
        }
      }),
      // The large and the wide message first, every run, then random ones.
      { numRuns: SOAK ? 300 : 40, examples: [[LARGE], [WIDE]] },
    );
  }, 120_000);
});
