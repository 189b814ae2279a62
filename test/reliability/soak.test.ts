/**
 * Soak: N messages through several concurrent drains and sweeps while faults are injected;
 * at the end every message is acked after a success or dead-lettered with the right reason,
 * after MAX_DELIVERIES handler calls exactly unless `permanent_error`. Among them, 600 KiB
 * values and 2,000-field messages (`heavy`); the bridge loses requests before and after they
 * ran. N = 2,000+ per default run, 100,000+ in total with SOAK=1 (`npm run soak`).
 */
import { randomBytes } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { type Bridge, startBridge } from "../../dev/bridge/server";
import { compareIds, heavy, Ledger, produce, report, SOAK } from "../helpers/ledger";
import { keyspace, upstash, useDirect } from "../helpers/redis";
import { runUntilDrained } from "../helpers/runner";
import { sleep } from "../helpers/sleep";

const GROUP = "workers";
const MAX_DELIVERIES = 3;
/**
 * Small so the sweep reclaims quickly, but with room for the lease (renewed every
 * MIN_IDLE_MS/2) on a loaded 2-core machine: at 80 ms a starved event loop once let a
 * sweep claim, and at the last delivery dead-letter, a message whose handler was running;
 * at 150 ms, with other test processes on the machine, a renewal 150 ms late let a sweep run
 * a slow handler's message beside it (one failed run more than MAX_DELIVERIES).
 */
const MIN_IDLE_MS = 300;
/** Messages per scenario: CI 2,000+ in total per scenario; soak 100,000+ over the file. */
const N = SOAK
  ? { handler: 80_000, bridge: 80_000, trim: 40_000 }
  : { handler: 4000, bridge: 3000, trim: 2000 };
const TIMEOUT = SOAK ? 900_000 : 120_000;

const d = useDirect();

/** Produces `n` messages in chunks while the drains already run, like a live producer. */
function producer(stream: string, ledger: Ledger, n: number, chunk = 1000) {
  let busy = true;
  const done = (async () => {
    for (let from = 0; from < n; from += chunk) {
      await produce(d, stream, ledger, from, Math.min(chunk, n - from), heavy);
      await sleep(5);
    }
    busy = false;
  })();
  return { producing: () => busy, done };
}

/** A fresh keyspace for one scenario: its stream, with the group created at `$`, and DLQ. */
function scenario(label: string) {
  const ks = keyspace(d, label);
  const stream = ks.key("orders");
  const dlq = ks.key("orders:dlq");
  const createGroup = () => d.sendCommand(["XGROUP", "CREATE", stream, GROUP, "$", "MKSTREAM"]);
  /** What every scenario runs with; each adds its client, ledger, load and faults. */
  const run = {
    d,
    stream,
    group: GROUP,
    dlqStream: dlq,
    drains: 3,
    sweeps: 2,
    minIdleMs: MIN_IDLE_MS,
    maxDeliveries: MAX_DELIVERIES,
    deadlineMs: TIMEOUT - 20_000,
  };
  /** The end-of-run invariant, checked against Redis itself. */
  const check = (ledger: Ledger, ackLossPossible: boolean) =>
    ledger.check(d, stream, GROUP, dlq, MAX_DELIVERIES, { ackLossPossible });
  return { ks, stream, createGroup, run, check };
}

describe("soak", () => {
  it(
    "handler faults: transient, poison, PermanentError, slow handlers, aborted invocations",
    async () => {
      const { ks, stream, createGroup, run, check } = scenario("soak-handler");
      const ledger = new Ledger("handler-faults", 1, {
        transientRate: 0.15,
        slowRate: 0.01,
        slowMs: 3 * MIN_IDLE_MS,
      });
      const redis = ledger.watch(upstash());
      try {
        await createGroup();
        const p = producer(stream, ledger, N.handler);
        const stats = await runUntilDrained({
          ...run,
          redis: () => redis,
          ledger,
          abortRate: 0.2,
          producing: p.producing,
          prngStart: 11,
        });
        await p.done;
        const { violations, summary } = await check(ledger, false);
        report({ ...summary, faults: { ...summary.faults } });
        expect(stats.timedOut).toBe(false);
        expect(violations).toEqual([]);
        expect(summary.lost).toBe(0);
        expect(summary.dlq.permanent_error).toBe(N.handler / 50);
      } finally {
        await ks.cleanup();
      }
    },
    TIMEOUT,
  );

  it(
    "bridge faults: 500s before and after commands ran, latency, a bridge restart, blackouts, retries",
    async () => {
      const { ks, stream, createGroup, run, check } = scenario("soak-bridge");
      const ledger = new Ledger("bridge-faults", 2, {
        transientRate: 0.1,
        slowRate: 0.001,
        slowMs: 3 * MIN_IDLE_MS,
      });
      const token = randomBytes(16).toString("hex");
      const base = {
        redisUrl: inject("redisUrl"),
        token,
        log: () => {},
        profile: "upstash" as const,
      };
      // Half the injected 500s come after the request ran: its reply is lost, not its effect.
      const rates = { latencyMs: 2, faultRate: 0.03, faultAfterRate: 0.03 };
      let bridge: Bridge = await startBridge({ ...base, port: 0, ...rates });
      const url = bridge.url;
      const plain = ledger.watch(upstash({ url, token }));
      // The Worker's client retries a request whose fetch throws (createStreamsRedis).
      const retrying = ledger.watch(upstash({ url, token, retry: true }));
      let calls = 0;
      let faults = 0;
      let faultsAfter = 0;
      let stopFaults = false;
      try {
        await createGroup();
        const p = producer(stream, ledger, N.bridge);
        // Faults fire as the run progresses (share of messages handled successfully), not on
        // a clock: blackouts (every request answered 500 for 150 ms, so handlers that just
        // succeeded cannot be acked: a drain cut between the handler's success and the XACK;
        // every other one after the request ran, so reads, acks and moves happen unseen)
        // and, halfway, a restart (the bridge closes with requests in flight, another one
        // takes its port).
        const marks = SOAK ? [5, 15, 25, 35, 45, 50, 55, 65, 75, 85, 95] : [10, 30, 50, 70, 90];
        const chaos = (async () => {
          for (const mark of marks) {
            while (!stopFaults && ledger.successes.size < (mark / 100) * N.bridge * 0.9) {
              await sleep(10);
            }
            if (stopFaults) {
              return;
            }
            if (mark === 50) {
              faults += bridge.stats().faults;
              faultsAfter += bridge.stats().faultsAfter;
              await bridge.close();
              await sleep(100);
              bridge = await startBridge({ ...base, port: bridge.port, ...rates });
              ledger.count("bridgeRestart");
              continue;
            }
            const knob = (ledger.faults.blackout ?? 0) % 2 === 0 ? "faultRate" : "faultAfterRate";
            bridge.knobs[knob] = 1;
            bridge.knobs.latencyMs = 10;
            ledger.count("blackout");
            await sleep(150);
            bridge.knobs[knob] = rates[knob];
            bridge.knobs.latencyMs = rates.latencyMs;
          }
        })();
        const stats = await runUntilDrained({
          ...run,
          redis: () => (calls++ % 2 === 0 ? plain : retrying),
          ledger,
          abortRate: 0.1,
          producing: p.producing,
          prngStart: 22,
        });
        stopFaults = true;
        await chaos;
        await p.done;
        ledger.count("bridge500", faults + bridge.stats().faults);
        ledger.count("bridge500AfterRun", faultsAfter + bridge.stats().faultsAfter);
        ledger.count("drainRequestErrors", stats.drainErrors);
        ledger.count("sweepRequestErrors", stats.sweepErrors);
        const { violations, summary } = await check(ledger, true);
        report({ ...summary, faults: { ...summary.faults, latencyMs: 2 } });
        expect(stats.timedOut).toBe(false);
        expect(violations).toEqual([]);
        expect(summary.lost).toBe(0);
        expect(summary.faults.bridgeRestart).toBe(1);
        expect(summary.faults.bridge500AfterRun).toBeGreaterThan(0);
      } finally {
        stopFaults = true;
        await bridge.close();
        await ks.cleanup();
      }
    },
    TIMEOUT,
  );

  it(
    "XTRIM MINID while entries are pending: trimmed ones are acked unhandled, the rest settle",
    async () => {
      const { ks, stream, createGroup, run, check } = scenario("soak-trim");
      const ledger = new Ledger("trim-while-pending", 3, {
        transientRate: 0.3,
        slowRate: 0,
        slowMs: 0,
      });
      const redis = ledger.watch(upstash());
      try {
        await createGroup();
        await produce(d, stream, ledger, 0, N.trim);
        let trimmedDone = false;
        // Once a good share is delivered and some of it pending, trim the oldest third.
        const trimmer = (async () => {
          const ids = [...ledger.kinds.keys()];
          const bound = ids[Math.floor(ids.length / 3)] ?? "0-0";
          for (;;) {
            const [pending] = (await d.sendCommand(["XPENDING", stream, GROUP])) as [number];
            const groups = (await d.sendCommand(["XINFO", "GROUPS", stream])) as unknown[][];
            const g = groups[0] ?? [];
            const delivered = String(g[g.indexOf("last-delivered-id") + 1]);
            if (pending > 0 && compareIds(delivered, bound) >= 0) {
              break;
            }
            await sleep(5);
          }
          // What is below the bound and not yet handled successfully is gone for good.
          const rows = (await d.sendCommand([
            "XPENDING",
            stream,
            GROUP,
            "-",
            `(${bound}`,
            "1000000",
          ])) as string[][];
          const pendingBelow = rows.map((r) => r[0] ?? "");
          const n = Number(await d.sendCommand(["XTRIM", stream, "MINID", bound]));
          for (const id of ids.slice(0, Math.floor(ids.length / 3))) {
            ledger.trimmed.add(id);
          }
          ledger.count("xtrimMinid");
          ledger.count("trimmedEntries", n);
          ledger.count("trimmedWhilePending", pendingBelow.length);
          trimmedDone = true;
        })();
        const stats = await runUntilDrained({
          ...run,
          redis: () => redis,
          ledger,
          drains: 2,
          abortRate: 0.1,
          producing: () => !trimmedDone,
          prngStart: 33,
          batchSize: 20,
        });
        await trimmer;
        const { violations, summary } = await check(ledger, false);
        report(summary);
        expect(stats.timedOut).toBe(false);
        expect(violations).toEqual([]);
        expect(summary.faults.trimmedWhilePending).toBeGreaterThan(0);
      } finally {
        await ks.cleanup();
      }
    },
    TIMEOUT,
  );
});
