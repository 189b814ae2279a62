/**
 * @module The fault run: the bundled Worker (Miniflare) drains a live stream into a flaky
 * webhook target through its own faulty bridge (Upstash profile, requests dropped before and
 * after they ran) while crons fire, some at once, the group is destroyed, the stream deleted,
 * and 1 MiB, 5,000-field and invalid-UTF-8 messages ride along; then the faults stop, the
 * ticks go on until the PEL is empty, and every message is held against the target and the
 * dead-letter stream (see fault-verdict.ts).
 */
import { randomBytes } from "node:crypto";
import type { Miniflare } from "miniflare";
import { inject } from "vitest";
import { type Bridge, startBridge } from "../../dev/bridge/server";
import { build, type MessageMix, type Produced, plan } from "./fault-messages";
import { type Deletion, judge, readDeadLetters, type Verdict } from "./fault-verdict";
import { type FlakyTarget, NO_TARGET_FAULTS, startFlakyTarget } from "./flaky-target";
import { drained, prng } from "./ledger";
import { type Direct, direct, keyspace } from "./redis";
import { sleep } from "./sleep";
import { startWorker } from "./worker";

const GROUP = "workers";
const DRAIN_CRON = "* * * * *";
const SWEEP_CRON = "*/5 * * * *";
export const MAX_DELIVERIES = 3;
/** The least the Worker's env accepts; the lease renews at half of it. */
const MIN_IDLE_MS = 1000;
const TARGET_TIMEOUT_MS = 500;
/** Faults of the faulty phase, besides bursts where every request fails for BURST_MS. */
const BRIDGE_FAULTS = { faultRate: 0.04, faultAfterRate: 0.04 };
const BURST_MS = 100;
const TARGET_FAULTS = { failBefore: 0.04, failAfter: 0.04, tooSlow: 0.01, slow: 0.03 };
/** Messages per XADD pipeline, and how far the producer may run ahead of the target. */
const CHUNK = 20;
const AHEAD = 120;

export type FaultRunOptions = {
  scenario: string;
  mix: MessageMix;
  /** The Worker's IDEMPOTENCY_TTL_S: 0 turns the guard off. */
  idempotencyTtlS: number;
  prngStart: number;
  /** Cap of the faulty phase and, separately, of the settling. */
  phaseMs: number;
};

/** The figures of one run: one JSON line, and a row of the reliability table. */
export type FaultRunFigures = Omit<Verdict, "samples"> & {
  scenario: string;
  messages: number;
  mix: MessageMix;
  idempotencyTtlS: number;
  maxDeliveries: number;
  faults: {
    bridgeBefore: number;
    bridgeAfter: number;
    target: Record<string, number>;
    groupDestroyed: number;
    streamDeleted: number;
    /** Bursts of BURST_MS where every request failed, before or (every other one) after running. */
    bursts: number;
  } & TickCounts;
  /**
   * Recreations the group went through, read from Redis: back after the destroy, and
   * recreated (its hash's `recreated_at`) after the stream's deletion.
   */
  groupRecreated: number;
  /**
   * `group_recreated` lines the Worker logged. Can be fewer: when the reply of the request
   * that recreated the group is lost (the bridge drops replies after running), the drain
   * cannot know it recreated it, and the next drain finds it there.
   */
  groupRecreatedLogged: number;
  /** `cron_skipped` lines: invocations that refused to run (a sample is in `samples.skipped`). */
  cronSkipped: number;
  /** The group read everything and its PEL was empty, twice in a row, before the deadline. */
  settled: boolean;
  /** XPENDING count at the end (-1: no group). */
  pending: number;
  deliveries: number;
  durationMs: number;
};

/** Runs one scenario on its own keys, bridge, target and Worker; always cleans up. */
export async function faultRun(
  d: Direct,
  o: FaultRunOptions,
): Promise<{ figures: FaultRunFigures; samples: Verdict["samples"] }> {
  const started = Date.now();
  const ks = keyspace(d, `fault-${o.scenario}`);
  const stream = ks.key("orders");
  const token = randomBytes(16).toString("hex");
  const logs: string[] = [];
  let bridge: Bridge | undefined;
  let target: FlakyTarget | undefined;
  let mf: Miniflare | undefined;
  const clients: Direct[] = [];
  try {
    bridge = await startBridge({
      redisUrl: inject("redisUrl"),
      token,
      port: 0,
      log: () => {},
      profile: "upstash",
      latencyMs: 1,
      ...BRIDGE_FAULTS,
    });
    target = await startFlakyTarget({
      faults: TARGET_FAULTS,
      maxDeliveries: MAX_DELIVERIES,
      tooSlowMs: 2 * TARGET_TIMEOUT_MS,
      prngStart: o.prngStart,
    });
    mf = await startWorker(workerVars(bridge.url, token, stream, target.url, o), logs);
    await d.sendCommand(["XGROUP", "CREATE", stream, GROUP, "$", "MKSTREAM"]);
    const [producer, chaos] = [await direct(), await direct()];
    clients.push(producer, chaos);
    const ticks = startTicks(mf, prng(o.prngStart + 1));
    const bursts = startBursts(bridge);
    const made = await produce({ producer, chaos, stream, target, o });
    const burstCount = await bursts.stop();
    target.faults = NO_TARGET_FAULTS;
    await ticks.stop();
    const settled = await settle(ticks.fire, d, stream, Date.now() + o.phaseMs);
    const verdict = judge({
      produced: made.produced,
      stream,
      deliveries: target.deliveries,
      accepted: target.accepted,
      deadLetters: await readDeadLetters(d, `${stream}:dlq`),
      maxDeliveries: MAX_DELIVERIES,
      deletion: made.deletion,
    });
    const { samples, ...rest } = verdict;
    const skipped = logs.filter((line) => line.includes('"event":"cron_skipped"'));
    samples.skipped = skipped.slice(0, 2);
    // What the run saw of the two recreations, to tell a late drain from an uncounted line.
    samples.recreation = [
      `recreated ${made.recreatedAfterMs ?? "not"} ms after the destroy`,
      ...logs.filter((line) => line.includes("group_recreated")).slice(0, 3),
    ];
    const stats = bridge.stats();
    const figures: FaultRunFigures = {
      scenario: o.scenario,
      messages: made.produced.length,
      mix: o.mix,
      idempotencyTtlS: o.idempotencyTtlS,
      maxDeliveries: MAX_DELIVERIES,
      faults: {
        bridgeBefore: stats.faults,
        bridgeAfter: stats.faultsAfter,
        target: target.tally(),
        groupDestroyed: made.destroyed ? 1 : 0,
        streamDeleted: made.deletion === undefined ? 0 : 1,
        bursts: burstCount,
        ...ticks.counts,
      },
      groupRecreated: await recreations(d, stream, made),
      groupRecreatedLogged: logs.filter((line) => line.includes('"event":"group_recreated"'))
        .length,
      cronSkipped: skipped.length,
      settled,
      pending: await pendingCount(d, stream),
      ...rest,
      deliveries: target.deliveries.length,
      durationMs: Date.now() - started,
    };
    return { figures, samples };
  } finally {
    await mf?.dispose();
    await target?.close();
    await bridge?.close();
    for (const c of clients) {
      await c.close();
    }
    await ks.cleanup();
  }
}

function workerVars(
  url: string,
  token: string,
  stream: string,
  targetUrl: string,
  o: FaultRunOptions,
): Record<string, string> {
  return {
    UPSTASH_REDIS_REST_URL: url,
    UPSTASH_REDIS_REST_TOKEN: token,
    STREAM: stream,
    GROUP,
    TARGET_URL: targetUrl,
    TARGET_TIMEOUT_MS: String(TARGET_TIMEOUT_MS),
    MIN_IDLE_MS: String(MIN_IDLE_MS),
    MAX_DELIVERIES: String(MAX_DELIVERIES),
    RETRY_BACKOFF: "fixed",
    BATCH_SIZE: "20",
    MAX_MESSAGES: "200",
    CONCURRENCY: "8",
    TIME_BUDGET_MS: "10000",
    // The lanes fire ticks as a cron would; each tick is one bounded drain.
    DRAIN_MODE: "cron",
    CONSUMER_RETENTION_MS: "1000",
    IDEMPOTENCY_TTL_S: String(o.idempotencyTtlS),
  };
}

/** Cron invocations fired, those that overlapped another, those that did not end "ok". */
type TickCounts = {
  drainTicks: number;
  sweepTicks: number;
  concurrentTicks: number;
  cronExceptions: number;
};

type Ticks = {
  /** Fires one cron now and waits for its invocation. */
  fire(cron: string): Promise<void>;
  counts: TickCounts;
  /** Ends the lanes and waits for their invocations. */
  stop(): Promise<void>;
};

/**
 * Three lanes of cron invocations until stopped: drains back to back, sweeps every half
 * MIN_IDLE_MS, and a second drain now and then, so drains and sweeps overlap.
 */
function startTicks(mf: Miniflare, random: () => number): Ticks {
  const counts: TickCounts = {
    drainTicks: 0,
    sweepTicks: 0,
    concurrentTicks: 0,
    cronExceptions: 0,
  };
  let scheduled = Date.now();
  let running = 0;
  let stopped = false;
  const fire = async (cron: string) => {
    counts[cron === DRAIN_CRON ? "drainTicks" : "sweepTicks"]++;
    if (++running > 1) {
      counts.concurrentTicks++;
    }
    try {
      const worker = await mf.getWorker();
      // A distinct scheduledTime per invocation, as Cloudflare gives each tick its own.
      const result = await worker.scheduled({ cron, scheduledTime: new Date(++scheduled) });
      if (result.outcome !== "ok") {
        counts.cronExceptions++;
      }
    } catch {
      counts.cronExceptions++;
    } finally {
      running--;
    }
  };
  const lane = async (cron: string, pauseMs: () => number) => {
    while (!stopped) {
      await fire(cron);
      await sleep(pauseMs());
    }
  };
  const lanes = Promise.all([
    lane(DRAIN_CRON, () => 10 + random() * 40),
    lane(SWEEP_CRON, () => MIN_IDLE_MS / 2 + random() * 100),
    lane(DRAIN_CRON, () => 150 + random() * 300),
  ]);
  return {
    fire,
    counts,
    stop: async () => {
      stopped = true;
      await lanes;
    },
  };
}

/**
 * How many times the group came back: after the destroy (the producer saw it return), and
 * after the stream's deletion (the group's hash says it was recreated since).
 */
async function recreations(
  d: Direct,
  stream: string,
  made: { recreatedAfterMs: number | undefined; deletedAt: number | undefined },
): Promise<number> {
  const at = await d.sendCommand(["HGET", `${stream}:${GROUP}:group-start`, "recreated_at"]);
  const sinceDeletion = made.deletedAt !== undefined && Number(at) >= made.deletedAt;
  return (made.recreatedAfterMs === undefined ? 0 : 1) + (sinceDeletion ? 1 : 0);
}

/** Whether `stream` has the consumer group `GROUP`. */
async function groupExists(d: Direct, stream: string): Promise<boolean> {
  try {
    const groups = (await d.sendCommand(["XINFO", "GROUPS", stream])) as unknown[][];
    return groups.some((g) => g[1] === GROUP);
  } catch {
    return false;
  }
}

/**
 * Every 500–900 ms a burst: for BURST_MS every request fails, alternately before it runs and
 * after (so a whole drain's acks, or a sweep's dead-letter move, can be lost at once). Stopping
 * first fires bursts of a kind that has not failed any request yet (a short run may end before
 * its first bursts, or its random faults miss), so every run has both kinds; then it turns
 * every bridge fault off and returns the bursts fired.
 */
function startBursts(bridge: Bridge): { stop(): Promise<number> } {
  let stopped = false;
  let bursts = 0;
  const random = prng(bridge.port);
  const loop = (async () => {
    while (!stopped) {
      await sleep(500 + random() * 400);
      const knob = bursts++ % 2 === 0 ? "faultRate" : "faultAfterRate";
      bridge.knobs[knob] = 1;
      await sleep(BURST_MS);
      bridge.knobs[knob] = BRIDGE_FAULTS[knob];
    }
  })();
  const missing = (): "faultRate" | "faultAfterRate" | null => {
    const { faults, faultsAfter } = bridge.stats();
    return faults === 0 ? "faultRate" : faultsAfter === 0 ? "faultAfterRate" : null;
  };
  return {
    stop: async () => {
      stopped = true;
      await loop;
      // The ticks keep sending requests meanwhile; give up after a few seconds.
      const until = Date.now() + 5000;
      for (let knob = missing(); knob !== null && Date.now() < until; knob = missing()) {
        bridge.knobs[knob] = 1;
        await sleep(BURST_MS);
        bridge.knobs[knob] = 0;
        bursts++;
      }
      bridge.knobs.faultRate = 0;
      bridge.knobs.faultAfterRate = 0;
      return bursts;
    },
  };
}

type ProduceInput = {
  producer: Direct;
  chaos: Direct;
  stream: string;
  target: FlakyTarget;
  o: FaultRunOptions;
};

/**
 * Writes the mix in pipelines, never more than AHEAD messages ahead of what the target has
 * seen (waiting at most 500 ms per chunk, so a stalled Worker cannot stall the run); at 30 %
 * destroys the group, at 60 % deletes the stream (once the target has seen what came
 * before, or 3 s passed), and goes on writing.
 */
async function produce(p: ProduceInput): Promise<{
  produced: Produced[];
  destroyed: boolean;
  deletion: Deletion | undefined;
  /** How long the group took to come back after the destroy; undefined when it did not. */
  recreatedAfterMs: number | undefined;
  /** When the stream was deleted (ms since epoch); undefined when it was not. */
  deletedAt: number | undefined;
}> {
  const { producer, stream, target, o } = p;
  const plans = plan(o.mix);
  const produced: Produced[] = [];
  let destroyed = false;
  let deletion: Deletion | undefined;
  let recreatedAfterMs: number | undefined;
  let deletedAt: number | undefined;
  const deadline = Date.now() + o.phaseMs;
  for (let from = 0; from < plans.length && Date.now() < deadline; from += CHUNK) {
    const waitUntil = Date.now() + 500;
    while (produced.length - target.seen() > AHEAD && Date.now() < waitUntil) {
      await sleep(10);
    }
    if (!destroyed && from >= 0.3 * plans.length) {
      await p.chaos.sendCommand(["XGROUP", "DESTROY", stream, GROUP]);
      destroyed = true;
      // Until a drain has recreated it: a deletion landing first would fold both into one.
      // Generous: on two loaded cores, with bursts of failing requests, a drain may need
      // several seconds to meet the NOGROUP.
      const destroyedAt = Date.now();
      const recreated = destroyedAt + 20_000;
      while (!(await groupExists(p.chaos, stream)) && Date.now() < recreated) {
        await sleep(20);
      }
      recreatedAfterMs = (await groupExists(p.chaos, stream))
        ? Date.now() - destroyedAt
        : undefined;
    }
    if (deletion === undefined && from >= 0.6 * plans.length) {
      // Let the Worker catch up first: what the deletion takes unread proves nothing.
      const caughtUp = Date.now() + 3000;
      while (target.seen() < produced.length && Date.now() < caughtUp) {
        await sleep(10);
      }
      deletedAt = Date.now();
      deletion = await deleteStream(p.chaos, stream);
    }
    const multi = producer.multi();
    const chunk = plans.slice(from, from + CHUNK).map((x, k) => ({
      ...x,
      index: from + k,
      flat: build(from + k, x.shape, x.kind),
    }));
    for (const m of chunk) {
      multi.addCommand(["XADD", stream, "*", ...m.flat]);
    }
    const ids = (await multi.execAsPipeline()).map(String);
    chunk.forEach((m, k) => {
      produced.push({ ...m, id: ids[k] ?? "" });
    });
    await sleep(5);
  }
  return { produced, destroyed, deletion, recreatedAfterMs, deletedAt };
}

/**
 * Snapshot and delete, atomically: the stream's last id, the group's last-delivered id and
 * its pending ids, then `DEL`.
 */
const SNAPSHOT_AND_DELETE = `--[[
  KEYS[1]  stream
  ARGV[1]  group
  Returns {last-generated-id, last-delivered-id or "" without the group, pending ids}.
]]
local function field(flat, name)
  for i = 1, #flat, 2 do if flat[i] == name then return flat[i + 1] end end
end
local stream = redis.call("XINFO", "STREAM", KEYS[1])
local delivered, pending = "", {}
for _, g in ipairs(redis.call("XINFO", "GROUPS", KEYS[1])) do
  if field(g, "name") == ARGV[1] then
    delivered = field(g, "last-delivered-id")
    for _, row in ipairs(redis.call("XPENDING", KEYS[1], ARGV[1], "-", "+", 1000000)) do
      pending[#pending + 1] = row[1]
    end
  end
end
redis.call("DEL", KEYS[1])
return {field(stream, "last-generated-id"), delivered, pending}
`;

/**
 * Deletes the stream, keeping what the verdict needs to tell deleted messages from lost
 * ones. The producer waits meanwhile, and a while after: a stream re-created within the
 * same millisecond would hand out the deleted ids again.
 */
async function deleteStream(chaos: Direct, stream: string): Promise<Deletion> {
  const [upTo, delivered, pending] = (await chaos.sendCommand([
    "EVAL",
    SNAPSHOT_AND_DELETE,
    "1",
    stream,
    GROUP,
  ])) as [string, string, string[]];
  await sleep(50);
  return { upTo, lastDelivered: delivered === "" ? null : delivered, pending: new Set(pending) };
}

/**
 * Drain and sweep together, a MIN_IDLE_MS apart, until the group has read everything and
 * its PEL is empty twice in a row (a drain may hold entries whose read reply is late).
 */
async function settle(
  fire: Ticks["fire"],
  d: Direct,
  stream: string,
  deadline: number,
): Promise<boolean> {
  let quiet = 0;
  while (Date.now() < deadline) {
    await Promise.all([fire(DRAIN_CRON), fire(SWEEP_CRON)]);
    const done = await drained(d, stream, GROUP).catch(() => false);
    quiet = done ? quiet + 1 : 0;
    if (quiet >= 2) {
      return true;
    }
    await sleep(MIN_IDLE_MS);
  }
  return false;
}

async function pendingCount(d: Direct, stream: string): Promise<number> {
  try {
    const [count] = (await d.sendCommand(["XPENDING", stream, GROUP])) as [number];
    return count;
  } catch {
    return -1;
  }
}
