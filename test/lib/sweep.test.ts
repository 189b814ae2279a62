import { describe, expect, it } from "vitest";
import { listDeadLetters, PermanentError, type SweepRedis } from "../../src/lib/index";
import { sleep } from "../helpers/sleep";
import { DRAIN, GROUP, MIN_IDLE_MS, recorder, useFixture } from "../helpers/sweep-fixture";

const f = useFixture("sweep");
const BACKOFFS = ["exponential", "fixed"] as const;

describe.each(BACKOFFS)("sweep with %s backoff", (retryBackoff) => {
  it("retries a message that failed once and acks it", async () => {
    const [id = ""] = await f.pending([{ orderID: "A-1", amount: "007" }]);
    await f.age([id], MIN_IDLE_MS + 500);
    const { seen, handler } = recorder();
    const report = await f.run({ handler, retryBackoff });
    expect(seen).toEqual([
      {
        id,
        originalId: id,
        stream: f.stream,
        group: GROUP,
        consumer: "cron-2-sweep",
        fields: { orderID: "A-1", amount: "007" },
        pairs: [
          ["orderID", "A-1"],
          ["amount", "007"],
        ],
        deliveries: 2,
      },
    ]);
    expect(report).toMatchObject({ scanned: 1, claimed: 1, retried: 1, acked: 1, failed: 0 });
    expect(await f.pel()).toEqual([]);
  });

  it("leaves a message that fails again pending with its grown counter", async () => {
    const [id = ""] = await f.pending([{ a: "1" }]);
    await f.age([id], MIN_IDLE_MS + 500);
    const report = await f.run({ handler: recorder(() => true).handler, retryBackoff });
    expect(report).toMatchObject({ claimed: 1, retried: 1, acked: 0, failed: 1 });
    expect(await f.pel()).toEqual([[id, "cron-2-sweep", expect.any(Number), 2]]);
  });

  it("acks and counts an entry trimmed while pending without running the handler", async () => {
    const [gone = "", kept = ""] = await f.pending([{ n: "1" }, { n: "2" }]);
    // Aged first: XCLAIM (the aging tool) would itself drop a deleted entry from the PEL.
    await f.age([gone, kept], MIN_IDLE_MS + 500);
    await f.d.sendCommand(["XDEL", f.stream, gone]);
    const { seen, handler } = recorder();
    const report = await f.run({ handler, retryBackoff });
    expect(seen.map((m) => m.id)).toEqual([kept]);
    expect(report).toMatchObject({ deletedEntries: 1, acked: 1 });
    expect(await f.pel()).toEqual([]);
  });

  it("runs a message MAX_DELIVERIES times, then dead-letters it with every field", async () => {
    const fields = { orderID: "A-1", note: '{"x":1}' };
    const [id = ""] = await f.pending([fields]);
    const { seen, handler } = recorder(() => true);
    const reports = [];
    for (let run = 0; run < 4; run++) {
      await f.age([id], 60_000);
      reports.push(await f.run({ handler, retryBackoff }));
    }
    // Delivery 1 was the drain's failed run; the sweep ran deliveries 2 and 3 and never a 4th.
    expect(seen.map((m) => m.deliveries)).toEqual([2, 3]);
    expect(reports.map((r) => r.deadLettered)).toEqual([0, 0, 1, 0]);
    const { entries } = await listDeadLetters({ redis: f.redis, dlqStream: f.dlq });
    expect(entries).toEqual([
      {
        id: expect.any(String),
        originalId: id,
        originalStream: f.stream,
        group: GROUP,
        lastConsumer: "cron-2-sweep",
        deliveries: 4,
        failures: 3,
        reason: "max_deliveries",
        error: "exceeded MAX_DELIVERIES=3: 3 handler runs failed",
        deadAt: expect.any(Number),
        payload: fields,
        pairs: Object.entries(fields),
      },
    ]);
    expect(Math.abs((entries[0]?.deadAt ?? 0) - Date.now())).toBeLessThan(60_000);
    expect(await f.pel()).toEqual([]);
  });

  it("dead-letters at once when the handler throws PermanentError", async () => {
    const [id = ""] = await f.pending([{ a: "1" }]);
    await f.age([id], MIN_IDLE_MS + 500);
    const handler = () => {
      throw new PermanentError("amount is negative");
    };
    const report = await f.run({ handler, retryBackoff });
    expect(report).toMatchObject({ retried: 1, deadLettered: 1, acked: 0, failed: 0 });
    const { entries } = await listDeadLetters({ redis: f.redis, dlqStream: f.dlq });
    expect(entries[0]).toMatchObject({
      originalId: id,
      reason: "permanent_error",
      error: "amount is negative",
      deliveries: 2,
    });
    expect(await f.pel()).toEqual([]);
  });

  it("dead-letters at once a PermanentError thrown by another bundled copy of the package", async () => {
    const [id = ""] = await f.pending([{ a: "1" }]);
    await f.age([id], MIN_IDLE_MS + 500);
    // Another copy's class: not `instanceof` this one's, recognised by its stable code.
    class PermanentError extends Error {
      readonly code = "PERMANENT";
    }
    const handler = () => {
      throw new PermanentError("amount is negative");
    };
    const report = await f.run({ handler, retryBackoff });
    expect(report).toMatchObject({ retried: 1, deadLettered: 1, failed: 0 });
    const { entries } = await listDeadLetters({ redis: f.redis, dlqStream: f.dlq });
    expect(entries[0]).toMatchObject({ originalId: id, reason: "permanent_error" });
    expect(await f.pel()).toEqual([]);
  });

  it("leaves entries idle less than MIN_IDLE_MS alone", async () => {
    const [id = ""] = await f.pending([{ a: "1" }]);
    await f.age([id], MIN_IDLE_MS - 500);
    const report = await f.run({ retryBackoff });
    expect(report).toMatchObject({ scanned: 0, claimed: 0 });
    expect(await f.pel()).toEqual([[id, DRAIN, expect.any(Number), 1]]);
  });
});

describe("sweep backoff", () => {
  it("does not claim an entry with 2 deliveries before MIN_IDLE_MS·2 of idle (exponential)", async () => {
    const [id = ""] = await f.pending([{ a: "1" }]);
    await f.age([id], MIN_IDLE_MS * 2 - 300, 2);
    expect(await f.run()).toMatchObject({ scanned: 1, claimed: 0 });
    await f.age([id], MIN_IDLE_MS * 2 + 300);
    expect(await f.run()).toMatchObject({ scanned: 1, claimed: 1 });
  });

  it("claims the same entry after MIN_IDLE_MS with fixed backoff", async () => {
    const [id = ""] = await f.pending([{ a: "1" }]);
    await f.age([id], MIN_IDLE_MS + 300, 2);
    expect(await f.run({ retryBackoff: "fixed" })).toMatchObject({ claimed: 1 });
  });

  it("caps the exponential wait at maxBackoffMs", async () => {
    const [id = ""] = await f.pending([{ a: "1" }]);
    // Uncapped, 6 deliveries would wait MIN_IDLE_MS·32.
    await f.age([id], MIN_IDLE_MS * 3 + 300, 6);
    const report = await f.run({ maxBackoffMs: MIN_IDLE_MS * 3, maxDeliveries: 10 });
    expect(report).toMatchObject({ claimed: 1 });
  });
});

describe("sweep claim counters", () => {
  it("counts a claim another sweep made between its listing and its own claim", async () => {
    // This sweep stalls past MIN_IDLE_MS after XPENDING; meanwhile another sweep claimed the
    // entry (delivery 2) and stalled too, its run unrecorded. The own claim is delivery 3,
    // not listed + 1 = 2, and only the drain's failed run counts towards MAX_DELIVERIES.
    const [id = ""] = await f.pending([{ a: "1" }]);
    await f.age([id], MIN_IDLE_MS + 300, 1);
    const interleaved: SweepRedis = Object.create(f.redis);
    interleaved.exec = (async (command: [string, ...(string | number)[]]) => {
      const reply = await f.redis.exec(command);
      if (command[0] === "XPENDING" && command.includes("IDLE")) {
        await f.d.sendCommand(["XCLAIM", f.stream, GROUP, "other", "0", id]);
        await f.d.sendCommand([
          "XCLAIM",
          f.stream,
          GROUP,
          "other",
          "0",
          id,
          "IDLE",
          "5000",
          "JUSTID",
        ]);
      }
      return reply;
    }) as SweepRedis["exec"];
    const { seen, handler } = recorder();
    const report = await f.run({ redis: interleaved, handler, maxDeliveries: 2 });
    expect(seen.map((m) => [m.id, m.deliveries])).toEqual([[id, 3]]);
    expect(report).toMatchObject({ claimed: 1, retried: 1, acked: 1, deadLettered: 0 });
  });
});

describe.each(BACKOFFS)("sweep cursor with %s backoff", (retryBackoff) => {
  it("covers a PEL larger than count over several runs, each entry once per cycle", async () => {
    const ids = await f.pending(Array.from({ length: 25 }, (_, i) => ({ n: String(i) })));
    const { seen, handler } = recorder(() => true);
    const runs = [];
    for (let run = 0; run < 3; run++) {
      // Everything is ripe again each run: only the cursor keeps a run from rescanning.
      await f.age(ids, 60_000, 1);
      const before = seen.length;
      const report = await f.run({ handler, retryBackoff, count: 10, maxDeliveries: 100 });
      runs.push({ report, ids: seen.slice(before).map((m) => m.id) });
    }
    expect(runs.map((r) => r.ids)).toEqual([ids.slice(0, 10), ids.slice(10, 20), ids.slice(20)]);
    expect(runs.map((r) => r.report.stoppedBy)).toEqual(["count", "count", "cycle"]);
    expect(runs[2]?.report.cursor).toBe("0-0");
    expect(await f.d.get(`${f.stream}:${GROUP}:sweep-cursor`)).toBe("0-0");
  });
});

describe("consumer hygiene", () => {
  it("deletes idle consumers without pending entries and keeps busy, fresh and own ones", async () => {
    const [stuck = ""] = await f.pending([{ a: "1" }, { a: "2" }]);
    await f.d.sendCommand(["XGROUP", "CREATECONSUMER", f.stream, GROUP, "cron-0-idle"]);
    await sleep(120);
    await f.d.sendCommand(["XGROUP", "CREATECONSUMER", f.stream, GROUP, "cron-3-fresh"]);
    await f.age([stuck], MIN_IDLE_MS + 500);
    // The sweep's own consumer ends up holding the entry whose retry failed.
    const handler = recorder(() => true).handler;
    const report = await f.run({ consumerRetentionMs: 100, handler });
    expect(report.deletedConsumers).toBe(1);
    const rows = (await f.d.sendCommand(["XINFO", "CONSUMERS", f.stream, GROUP])) as string[][];
    expect(rows.map((r) => r[1]).sort()).toEqual([DRAIN, "cron-2-sweep", "cron-3-fresh"]);
  });
});

describe("sweep with TRIM", () => {
  it("trims acked entries after the sweep and reports how many", async () => {
    const ids = await f.pending([{ n: "1" }, { n: "2" }, { n: "3" }]);
    await f.d.sendCommand(["XACK", f.stream, GROUP, ids[0] ?? "", ids[1] ?? ""]);
    const report = await f.run({ trim: { kind: "acked" } });
    expect(report.trimmed).toBe(2);
    expect(await f.d.xLen(f.stream)).toBe(1);
  });
});

describe("sweep events and failures", () => {
  it("tells what it claimed, retried, saw fail and dead-lettered, one event each", async () => {
    const [ok = "", bad = "", poison = "", spent = ""] = await f.pending([
      { v: "ok" },
      { v: "bad" },
      { v: "poison" },
      { v: "spent" },
    ]);
    await f.age([ok, bad, poison], MIN_IDLE_MS + 500);
    await f.age([spent], 60_000, 3);
    await f.failures([spent], 3);
    const events: { event: string }[] = [];
    const handler = (m: { fields: Record<string, string> }) => {
      if (m.fields.v === "bad") {
        throw new Error("try later");
      }
      if (m.fields.v === "poison") {
        throw new PermanentError("never");
      }
    };
    await f.run({ handler, retryBackoff: "fixed", onEvent: (e) => events.push(e) });
    const sorted = (ids: string[]) => [...ids].sort();
    expect(events.map((e) => e.event)).toEqual([
      "claimed",
      "retried",
      "handler_failed",
      "dead_lettered",
    ]);
    expect(events[0]).toMatchObject({ ids: sorted([ok, bad, poison, spent]) });
    expect(events[1]).toMatchObject({ ids: sorted([ok, bad, poison]) });
    expect(events[2]).toEqual({ event: "handler_failed", id: bad, error: "try later" });
    expect(sorted((events[3] as unknown as { ids: string[] }).ids)).toEqual(
      sorted([spent, poison]),
    );
  });

  it("reports a Redis failure in error and stoppedBy instead of throwing", async () => {
    await f.d.del(f.stream);
    await f.d.set(f.stream, "not a stream");
    const events: { event: string }[] = [];
    const report = await f.run({ onEvent: (e) => events.push(e) });
    expect(report.stoppedBy).toBe("error");
    expect(report.error).toMatchObject({ code: "REDIS_ERROR" });
    expect(report.error?.message).toMatch(/WRONGTYPE/);
    expect(events).toEqual([{ event: "redis_error", error: report.error?.message }]);
  });

  it("keeps what earlier pages did when a later page fails", async () => {
    const ids = await f.pending(Array.from({ length: 20 }, (_, i) => ({ n: String(i) })));
    await f.age(ids, MIN_IDLE_MS + 500);
    let handled = 0;
    const handler = async () => {
      handled++;
      if (handled === 10) {
        // The first page is done with its handlers; its ack still lands, the next claim fails.
        await f.d.rename(f.stream, `${f.stream}:moved`);
      }
    };
    const report = await f.run({ handler, pageSize: 10, retryBackoff: "fixed" });
    expect(report).toMatchObject({ stoppedBy: "error", claimed: 10 });
  });
});
