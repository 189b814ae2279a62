import type { Miniflare } from "miniflare";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readHistory } from "../../src/lib/history/read";
import { streamKeys } from "../../src/lib/redis/keys";
import { fill, pendingCount } from "../helpers/drain-fixture";
import { linesOf } from "../helpers/log-lines";
import { upstash, useKeyspace } from "../helpers/redis";
import { startTarget, type Target } from "../helpers/target";
import { startWorker, TICK_VARS } from "../helpers/worker";

const CONSUME = "* * * * *";

const ks = useKeyspace("history-worker");
const { d } = ks;
const redis = upstash();
let stream: string;
let target: Target;
let mf: Miniflare | undefined;
let logs: string[] = [];
let errors: string[] = [];

beforeAll(async () => {
  target = await startTarget();
});
afterAll(async () => {
  await target.close();
});
beforeEach(() => {
  stream = ks.key("orders");
  target.deliveries.length = 0;
});
afterEach(async () => {
  await mf?.dispose();
  mf = undefined;
});

/** Fires the drain cron on a Worker with `vars`, once. */
async function drainTick(vars: Record<string, string> = {}): Promise<void> {
  logs = [];
  errors = [];
  const bindings = { STREAM: stream, GROUP: "g", TARGET_URL: target.url, ...TICK_VARS, ...vars };
  mf = await startWorker(bindings, logs, { errors });
  const worker = await mf.getWorker();
  const result = await worker.scheduled({ cron: CONSUME, scheduledTime: new Date() });
  expect(result.outcome).toBe("ok");
}

const history = () => readHistory({ redis, stream, group: "g" });

describe("history of a cron drain", () => {
  it("leaves one snapshot of the group after the drain", async () => {
    await fill(d, stream, 5);
    await drainTick();
    const { snapshots } = await history();
    expect(snapshots).toEqual([
      expect.objectContaining({ length: 5, backlog: 0, pending: 0, read: 5, acked: 5, jobs: 1 }),
    ]);
  });

  it("keeps the drain's report as the last drain", async () => {
    await fill(d, stream, 3);
    await drainTick();
    const [drain] = linesOf(logs, "drain");
    const { lastDrain, lastSweep } = await history();
    expect({ lastDrain, lastSweep }).toEqual({
      lastDrain: expect.objectContaining({
        job: "drain",
        consumer: drain?.consumer,
        read: 3,
        acked: 3,
        requests: drain?.requests,
        error: null,
      }),
      lastSweep: null,
    });
  });

  it("keeps only the report of a drain that found nothing: no snapshot, one HSET", async () => {
    await d.sendCommand(["XGROUP", "CREATE", stream, "g", "$", "MKSTREAM"]);
    await drainTick();
    const { snapshots, lastDrain } = await history();
    expect(snapshots).toEqual([]);
    expect(lastDrain).toEqual(expect.objectContaining({ job: "drain", read: 0, error: null }));
  });

  it("records nothing with HISTORY_MINUTES=0", async () => {
    await fill(d, stream, 2);
    await drainTick({ HISTORY_MINUTES: "0" });
    const k = streamKeys(stream, "g");
    expect(await d.exists([k.history, k.lastJobs])).toBe(0);
  });

  it("logs a failed record as history_failed at error level", async () => {
    await fill(d, stream, 2);
    await d.set(streamKeys(stream, "g").history, "not a list");
    await drainTick();
    expect(linesOf(errors, "history_failed")).toEqual([
      expect.objectContaining({ stream, group: "g", error: expect.stringMatching(/WRONGTYPE/) }),
    ]);
  });

  it("keeps the drain's acks when the record fails", async () => {
    await fill(d, stream, 2);
    await d.set(streamKeys(stream, "g").history, "not a list");
    await drainTick();
    expect(target.deliveries).toHaveLength(2);
    expect(await pendingCount(d, stream)).toBe(0);
  });
});
