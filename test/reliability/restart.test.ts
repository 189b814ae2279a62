/**
 * Faults a library call cannot stage by itself: Redis killed and restarted under the drains
 * and sweeps (on a redis-server this suite owns, durable with appendfsync always), and the
 * bundled Worker (Miniflare) torn down in the middle of a drain, after its target accepted
 * messages and before the XACK.
 */
import { randomBytes } from "node:crypto";
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bridge, startBridge } from "../../dev/bridge/server";
import { Ledger, produce, report, SOAK } from "../helpers/ledger";
import { type Direct, direct, keyspace, upstash, useDirect } from "../helpers/redis";
import { runUntilDrained } from "../helpers/runner";
import { sleep } from "../helpers/sleep";
import { startWorker } from "../helpers/worker";
import { type DurableRedis, startDurableRedis, startLedgerTarget } from "./owned";

const GROUP = "workers";
const MAX_DELIVERIES = 3;
const TIMEOUT = SOAK ? 600_000 : 90_000;
const N = SOAK ? { redis: 30_000, worker: 3000 } : { redis: 2000, worker: 400 };
const WORKER_MIN_IDLE_MS = 1000;

describe("Redis restart", () => {
  let redis: DurableRedis;
  let bridge: Bridge;
  let d: Direct;
  const token = randomBytes(16).toString("hex");

  beforeAll(async () => {
    redis = await startDurableRedis();
    bridge = await startBridge({
      redisUrl: redis.url,
      token,
      port: 0,
      profile: "upstash",
      log: () => {},
    });
    d = await direct(redis.url);
  });
  afterAll(async () => {
    await d?.quit().catch(() => {});
    await bridge?.close();
    await redis?.stop();
  });

  it(
    "loses nothing acked when Redis is killed twice mid-run; the Worker reports down, then up",
    async () => {
      const ks = keyspace(d, "restart");
      const stream = ks.key("orders");
      const dlq = ks.key("orders:dlq");
      const ledger = new Ledger("redis-restart", 4, {
        transientRate: 0.1,
        slowRate: 0.002,
        slowMs: 200,
      });
      const client = ledger.watch(upstash({ url: bridge.url, token }));
      const worker = await startWorker({
        UPSTASH_REDIS_REST_URL: bridge.url,
        UPSTASH_REDIS_REST_TOKEN: token,
        STREAM: stream,
        GROUP,
        ADMIN_TOKEN: "restart-admin",
      });
      const seen: { health: number[]; drain: number[] } = { health: [], drain: [] };
      try {
        await d.sendCommand(["XGROUP", "CREATE", stream, GROUP, "$", "MKSTREAM"]);
        await produce(d, stream, ledger, 0, N.redis);
        const chaos = (async () => {
          for (const mark of [25, 65]) {
            while (ledger.successes.size < (mark / 100) * N.redis * 0.9) {
              await sleep(5);
            }
            await redis.kill();
            ledger.count("redisKill");
            // While it is down the Worker answers, cleanly, that it is down.
            const health = await worker.dispatchFetch("http://w/health");
            seen.health.push(health.status);
            const drain = await worker.dispatchFetch("http://w/stats", {
              headers: { authorization: "Bearer restart-admin" },
            });
            seen.drain.push(drain.status);
            await sleep(300);
            await redis.start();
            ledger.count("redisRestart");
          }
        })();
        const stats = await runUntilDrained({
          d,
          redis: () => client,
          ledger,
          stream,
          group: GROUP,
          dlqStream: dlq,
          drains: 3,
          sweeps: 2,
          minIdleMs: 80,
          maxDeliveries: MAX_DELIVERIES,
          abortRate: 0.1,
          producing: () => ledger.faults.redisRestart !== 2,
          deadlineMs: TIMEOUT - 15_000,
          prngStart: 44,
        });
        await chaos;
        const health = await worker.dispatchFetch("http://w/health");
        expect(health.status).toBe(200);
        ledger.count("drainRequestErrors", stats.drainErrors);
        ledger.count("sweepRequestErrors", stats.sweepErrors);
        const { violations, summary } = await ledger.check(d, stream, GROUP, dlq, MAX_DELIVERIES, {
          ackLossPossible: true,
        });
        report(summary);
        expect(stats.timedOut).toBe(false);
        expect(violations).toEqual([]);
        expect(summary.lost).toBe(0);
        expect(seen.health).toEqual([503, 503]);
        expect(seen.drain).toEqual([502, 502]);
        // Every message is accounted for: the stream still holds all of them (nothing trimmed).
        expect(await d.xLen(stream)).toBe(N.redis);
      } finally {
        await worker.dispose();
        await ks.cleanup();
      }
    },
    TIMEOUT,
  );
});

describe("Worker killed mid-drain", () => {
  const d = useDirect();

  it(
    "a Worker torn down after its target accepted messages, before the XACK, loses nothing",
    async () => {
      const ks = keyspace(d, "killed");
      const stream = ks.key("orders");
      const dlq = `${stream}:dlq`;
      const ledger = new Ledger("worker-killed", 5, { transientRate: 0.1, slowRate: 0, slowMs: 0 });
      const target = await startLedgerTarget(ledger);
      const vars = {
        STREAM: stream,
        GROUP,
        ADMIN_TOKEN: "killed-admin",
        TARGET_URL: target.url,
        // The least the env accepts: a deployed lease needs a round trip's room.
        MIN_IDLE_MS: String(WORKER_MIN_IDLE_MS),
        MAX_DELIVERIES: String(MAX_DELIVERIES),
        RETRY_BACKOFF: "fixed",
        BATCH_SIZE: "25",
        CONSUMER_RETENTION_MS: "0",
      };
      const call = (mf: Miniflare, path: string) =>
        mf.dispatchFetch(`http://w${path}`, {
          method: "POST",
          headers: { authorization: "Bearer killed-admin" },
        });
      let mf: Miniflare | undefined;
      try {
        await d.sendCommand(["XGROUP", "CREATE", stream, GROUP, "$", "MKSTREAM"]);
        await produce(d, stream, ledger, 0, N.worker);
        const kills = SOAK ? 8 : 3;
        for (let k = 0; k < kills; k++) {
          mf = await startWorker(vars);
          const before = target.deliveries();
          const running = call(mf, "/drain").catch(() => null);
          while (target.deliveries() < before + 30) {
            await sleep(2);
          }
          // The isolate dies: handlers already answered 200, their XACKs never leave.
          await mf.dispose();
          mf = undefined;
          await running;
          ledger.count("workerKilled");
        }
        mf = await startWorker(vars);
        const deadline = Date.now() + TIMEOUT - 20_000;
        for (;;) {
          const res = await call(mf, "/drain");
          expect(res.status).toBe(200);
          await res.arrayBuffer();
          await sleep(WORKER_MIN_IDLE_MS / 4);
          const swept = await call(mf, "/sweep");
          expect(swept.status).toBe(200);
          await swept.arrayBuffer();
          const [pending] = (await d.sendCommand(["XPENDING", stream, GROUP])) as [number];
          const groups = (await d.sendCommand(["XINFO", "GROUPS", stream])) as unknown[][];
          const lag = Number((groups[0] ?? [])[(groups[0] ?? []).indexOf("lag") + 1]);
          if (pending === 0 && lag === 0) {
            break;
          }
          expect(Date.now()).toBeLessThan(deadline);
        }
        const { violations, summary } = await ledger.check(d, stream, GROUP, dlq, MAX_DELIVERIES, {
          ackLossPossible: true,
        });
        report(summary);
        expect(violations).toEqual([]);
        expect(summary.lost).toBe(0);
        // The killed drains' successes came back as duplicates, not as losses.
        expect(summary.duplicates).toBeGreaterThan(0);
      } finally {
        await mf?.dispose();
        await target.close();
        await ks.cleanup();
      }
    },
    TIMEOUT,
  );
});
