/**
 * Property-based tests (fast-check): random interleavings of add / drain / sweep / handler
 * outcome / time advance end in the state the handler's outcomes dictate; random field names
 * and values come back byte for byte in the handler, in the DLQ payload and after redrive.
 * Time advances by aging entries with `XCLAIM ... IDLE n JUSTID`, never by sleeping.
 */
import fc from "fast-check";
import { RESP_TYPES } from "redis";
import { describe, expect, it } from "vitest";
import {
  drain,
  listDeadLetters,
  type MessageHandler,
  PermanentError,
  redrive,
  sweep,
} from "../../src/lib/index";
import { drained, SOAK } from "../helpers/ledger";
import { keyspace, upstash, useDirect } from "../helpers/redis";

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
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant("add" as const),
    plans: fc.array(fc.array(outcome, { maxLength: 4 }), { minLength: 1, maxLength: 5 }),
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

/** What the plan says must become of a message: its handler calls and where it ends. */
function expected(plan: Outcome[]): {
  calls: number;
  end: "acked" | "permanent_error" | "max_deliveries";
} {
  for (let c = 0; c < MAX_DELIVERIES; c++) {
    const out = plan.length === 0 ? "ok" : plan[Math.min(c, plan.length - 1)];
    if (out === "ok") {
      return { calls: c + 1, end: "acked" };
    }
    if (out === "perm") {
      return { calls: c + 1, end: "permanent_error" };
    }
  }
  return { calls: MAX_DELIVERIES, end: "max_deliveries" };
}

describe("random interleavings keep the invariant", () => {
  it("every message ends as its handler outcomes dictate, the PEL empty", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 14 }), async (ops) => {
        const ks = keyspace(d, "prop");
        const stream = ks.key("s");
        const dlq = ks.key("s:dlq");
        const plans = new Map<string, Outcome[]>();
        const calls = new Map<string, number>();
        const succeeded = new Set<string>();
        const handler: MessageHandler = (m) => {
          const c = calls.get(m.id) ?? 0;
          calls.set(m.id, c + 1);
          const plan = plans.get(m.id) ?? [];
          const out = plan.length === 0 ? "ok" : plan[Math.min(c, plan.length - 1)];
          if (out === "fail") {
            throw new Error(`fail ${m.id}`);
          }
          if (out === "perm") {
            throw new PermanentError(`perm ${m.id}`);
          }
          succeeded.add(m.id);
        };
        const drainAs = (consumer: string, batchSize = 10, max = 1000, abort?: AbortController) =>
          drain({
            redis,
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
            redis,
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
        const age = async (ms: number) => {
          const rows = (await d.sendCommand(["XPENDING", stream, GROUP, "-", "+", "10000"])) as [
            string,
            string,
            number,
            number,
          ][];
          const multi = d.multi();
          for (const [id, owner, idle] of rows) {
            multi.addCommand([
              ...["XCLAIM", stream, GROUP, owner, "0", id],
              ...["IDLE", String(Number(idle) + ms), "JUSTID"],
            ]);
          }
          if (rows.length > 0) {
            await multi.execAsPipeline();
          }
        };
        try {
          await d.sendCommand(["XGROUP", "CREATE", stream, GROUP, "$", "MKSTREAM"]);
          for (const op of ops) {
            if (op.op === "add") {
              for (const plan of op.plans) {
                const id = String(
                  await d.sendCommand(["XADD", stream, "*", "plan", plan.join(",")]),
                );
                plans.set(id, plan);
              }
            } else if (op.op === "drain") {
              const abort = op.abort ? new AbortController() : undefined;
              await drainAs(`drain-${op.consumer}`, op.batchSize, op.max, abort);
            } else if (op.op === "sweep") {
              await sweepOnce(op.backoff, op.count, op.pageSize);
            } else if (op.op === "age") {
              await age(op.ms);
            } else {
              await Promise.all([drainAs("drain-x"), sweepOnce(op.backoff), sweepOnce("fixed")]);
            }
          }
          // Settle: let time pass and the jobs run until the group is drained.
          for (let round = 0; round < 12 && !(await drained(d, stream, GROUP)); round++) {
            await drainAs("drain-final");
            await age(10 * MIN_IDLE_MS);
            await sweepOnce(round % 2 === 0 ? "exponential" : "fixed");
          }
          expect(await drained(d, stream, GROUP)).toBe(true);
          const { entries } = await listDeadLetters({ redis, dlqStream: dlq, count: 1000 });
          const dead = new Map(entries.map((e) => [e.originalId, e]));
          expect(dead.size).toBe(entries.length); // never dead-lettered twice
          for (const [id, plan] of plans) {
            const want = expected(plan);
            expect({ id, calls: calls.get(id) ?? 0 }).toEqual({ id, calls: want.calls });
            const letter = dead.get(id);
            if (want.end === "acked") {
              expect(succeeded.has(id)).toBe(true);
              expect(letter).toBeUndefined();
            } else {
              expect(succeeded.has(id)).toBe(false);
              expect(letter?.reason).toBe(want.end);
              expect(letter?.payload).toEqual({ plan: plan.join(",") });
            }
          }
        } finally {
          await ks.cleanup();
        }
      }),
      { numRuns: SOAK ? 300 : 25 },
    );
  }, 120_000);
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
const fieldsArb = fc
  .uniqueArray(fc.tuple(text, text), { selector: ([name]) => name, minLength: 1, maxLength: 6 })
  .map((pairs) => pairs);

describe("field bytes survive every hop", () => {
  it("handler, DLQ payload and redrive see exactly the bytes that were added", async () => {
    await fc.assert(
      fc.asyncProperty(fieldsArb, async (pairs) => {
        const ks = keyspace(d, "bytes");
        const stream = ks.key("s");
        const dlq = ks.key("s:dlq");
        const fields = Object.fromEntries(pairs);
        const seen: Record<string, string>[] = [];
        const drainWith = (fail: boolean) =>
          drain({
            redis,
            stream,
            group: GROUP,
            consumer: "c",
            dlqStream: dlq,
            handler: (m) => {
              seen.push(m.fields);
              if (fail) {
                throw new PermanentError("to the DLQ");
              }
            },
          });
        try {
          await d.sendCommand(["XGROUP", "CREATE", stream, GROUP, "$", "MKSTREAM"]);
          await d.sendCommand(["XADD", stream, "*", ...pairs.flat()]);
          expect((await drainWith(true)).deadLettered).toBe(1);
          const { entries } = await listDeadLetters({ redis, dlqStream: dlq });
          expect(entries[0]?.payload).toEqual(fields);
          const moved = await redrive({ redis, stream, dlqStream: dlq });
          expect(moved.moved).toHaveLength(1);
          await drainWith(false);
          expect(seen).toEqual([fields, fields]);
          // Ground truth: what Redis holds for the redriven entry, as raw bytes.
          const bytes = d.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
          const newId = moved.moved[0]?.newId ?? "";
          const raw = (await bytes.sendCommand(["XRANGE", stream, newId, newId])) as unknown as [
            Buffer,
            Buffer[],
          ][];
          const back = raw[0]?.[1] ?? [];
          const want = pairs.flatMap(([k, v]) => [Buffer.from(k), Buffer.from(v)]);
          const asMap = (list: Buffer[]) =>
            new Map(
              list.flatMap((b, i) =>
                i % 2 === 0 ? [[b.toString("hex"), list[i + 1]?.toString("hex")]] : [],
              ),
            );
          expect(asMap(back)).toEqual(asMap(want));
        } finally {
          await ks.cleanup();
        }
      }),
      { numRuns: SOAK ? 300 : 40 },
    );
  }, 120_000);
});
