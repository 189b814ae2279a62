/**
 * @module One load run: a fresh stream, the Worker of one mode in Miniflare, the producer at R
 * messages/s, the crons on their schedule, a sample every second; then the figures.
 */
import { loadavg } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { BridgeStats } from "../../dev/bridge/server";
import { streamKeys } from "../../src/lib/index";
import { type Direct, deleteKeys, sleep } from "../common";
import type { BenchContext } from "../context";
import { CoreMeter, ownCpuMs } from "./cores";
import { type CronClock, startCrons, type TickCounts } from "./crons";
import {
  BRIDGE_LATENCY_MS,
  LOAD_SETTINGS,
  type LoadCase,
  modeSettings,
  TAIL_SECONDS,
} from "./plan";
import { type Production, produceDirect, producePublish } from "./producer";
import { latencies, type Percentile, p99BySecond, percentile, type Sample, slope } from "./stats";
import type { Deliveries, LoadTarget } from "./target";
import { type LoadWorker, startLoadWorker, type WorkerLog } from "./worker";

/** Where a run finds what it shares with the others. */
export type RunEnv = {
  ctx: BenchContext;
  target: LoadTarget;
  /** The bundled Worker. */
  script: string;
  /** Whether the fan-out mode gets a `SELF` service binding. */
  self: boolean;
  /** A second direct connection, the producer's own. */
  producerConnection: Direct;
};

export type LoadRun = {
  case: LoadCase;
  /** When production started: the samples' time 0. */
  startedAt: string;
  /** The fan-out mode ran with a `SELF` service binding. */
  selfBinding: boolean;
  produced: number;
  producedPerS: number;
  /** Distinct messages handled by the end of the run (tail included). */
  handled: number;
  /** Handled per second over the production window, and over its last 20 s. */
  handledPerS: number;
  handledPerSLast: number;
  /** Seconds of the window `handledPerSLast` covers (20 in a full run). */
  lastSeconds: number;
  backlogMax: number;
  /** Backlog when production stopped. */
  backlogAtEnd: number;
  /** Least-squares trend of the backlog over the second half of production, messages/s. */
  backlogTrendPerS: number;
  /** The trend exceeds 5% of the rate: the drains fall behind. */
  backlogGrows: boolean;
  /** Seconds after production stopped until everything was handled; null if not within the tail. */
  clearedAfterS: number | null;
  latency: { p50: Percentile | null; p95: Percentile | null; p99: Percentile | null };
  /** Share of produced messages picked up by the end of the run. */
  pickedUp: number;
  commands: number;
  requests: number;
  commandsPerMessage: number | null;
  requestsPerMessage: number | null;
  duplicates: number;
  /** Most webhook POSTs the Worker had open at once. */
  targetPeakInFlight: number;
  ticks: TickCounts;
  worker: {
    events: Record<string, number>;
    drainsEnded: number;
    stoppedBy: Record<string, number>;
    /** Distinct consumer names that reported a drain. */
    consumers: number;
    /** The first DRAIN_REPORTS_KEPT drain reports, as the Worker logged them. */
    reports: Record<string, unknown>[];
    /** The first lines of the rarer events (fan-out, slots, errors). */
    notable: Record<string, unknown>[];
    otherLines: string[];
  };
  publish: { requests: number; p50Ms: number | null; p99Ms: number | null } | null;
  producerFailures: string[];
  /** The benchmark process's own event-loop delay (p99, ms): how late it recorded arrivals. */
  eventLoopP99Ms: number;
  /** Cores busy on average during the run: workerd (every invocation), and this process. */
  workerdCores: number | null;
  benchCores: number;
  loadAvg1: number;
  /** One sample a second, seconds since production started. */
  samples: Sample[];
  /** The p99 latency of the messages produced in each second, at the middle of that second. */
  p99BySecond: { t: number; ms: number; atLeast: boolean }[];
};

const GROUP = "g";
const DRAIN_REPORTS_KEPT = 30;

/** What a run observed, before any figure is computed. */
type Observed = {
  production: Production;
  samples: Sample[];
  startMs: number;
  endMs: number;
  clearedAfterS: number | null;
  ticks: TickCounts;
  eventLoopP99Ms: number;
  workerdCores: number | null;
  benchCores: number;
};

/** Runs one case on a fresh stream; deletes the stream's keys afterwards. */
export async function loadRun(env: RunEnv, c: LoadCase, index: number): Promise<LoadRun> {
  const { ctx, target } = env;
  const stream = ctx.key(`load:${index}:${c.rate}:${c.mode}:${c.source}`);
  await ctx.d.sendCommand(["XGROUP", "CREATE", stream, GROUP, "0", "MKSTREAM"]);
  const publishToken = `publish-${index}-${ctx.token}`;
  const selfBinding = c.mode === "fanout" && env.self;
  ctx.bridge.knobs.latencyMs = BRIDGE_LATENCY_MS;
  const worker = await startLoadWorker(
    env.script,
    {
      UPSTASH_REDIS_REST_URL: ctx.bridge.url,
      UPSTASH_REDIS_REST_TOKEN: ctx.token,
      STREAM: stream,
      GROUP,
      TARGET_URL: target.begin(`run-${index}`),
      ADMIN_TOKEN: `admin-${index}-${ctx.token}`,
      PUBLISH_TOKEN: publishToken,
      ...LOAD_SETTINGS,
      ...modeSettings(c.mode),
      ...c.overrides?.settings,
    },
    selfBinding,
  );
  try {
    ctx.bridge.resetStats();
    const production = (onFirst: () => void): Production => {
      const o = { rate: c.rate, seconds: c.seconds, onFirst };
      return c.source === "direct"
        ? produceDirect(env.producerConnection, stream, o)
        : producePublish(worker.url, publishToken, o);
    };
    const seen = await observe(env, worker, stream, production);
    return figures(c, seen, {
      selfBinding,
      bridge: ctx.bridge.stats(),
      deliveries: target.current(),
      log: worker.log,
    });
  } finally {
    await worker.dispose();
    ctx.bridge.knobs.latencyMs = 0;
    await deleteKeys(ctx.d, [`${stream}*`]);
  }
}

/**
 * Produces for the case's seconds with the crons running and a sample every second, then waits up to
 * TAIL_SECONDS for the backlog to clear. The first tick waits for the first message: a
 * continuous drain whose first read is empty stops at once, which would leave the first
 * minute to the wake-ups alone.
 */
async function observe(
  env: RunEnv,
  worker: LoadWorker,
  stream: string,
  produce: (onFirst: () => void) => Production,
): Promise<Observed> {
  const { ctx, target } = env;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const startMs = Date.now();
  const whole = { workerd: new CoreMeter(worker.cpuMs), bench: new CoreMeter(ownCpuMs) };
  const each = { workerd: new CoreMeter(worker.cpuMs), bench: new CoreMeter(ownCpuMs) };
  let clock: CronClock | undefined;
  const production = produce(() => {
    clock = startCrons(worker.mf);
  });
  const samples: Sample[] = [];
  const drains = streamKeys(stream, GROUP).drains;
  const sample = async () => {
    const produced = production.produced();
    const handled = target.current().handled;
    const slots = Number(await ctx.d.sendCommand(["ZCOUNT", drains, String(Date.now()), "+inf"]));
    const t = Math.round((Date.now() - startMs) / 100) / 10;
    const workerdCores = each.workerd.next();
    const benchCores = each.bench.next() ?? 0;
    samples.push({
      t,
      produced,
      handled,
      backlog: produced - handled,
      slots,
      workerdCores,
      benchCores,
    });
  };
  const sampler = setInterval(() => void sample(), 1000);
  await sample();
  await production.done;
  const productionEndMs = Date.now();
  let clearedAfterS: number | null = null;
  while (Date.now() - productionEndMs < TAIL_SECONDS * 1000) {
    if (target.current().handled >= production.produced()) {
      clearedAfterS = (Date.now() - productionEndMs) / 1000;
      break;
    }
    await sleep(100);
  }
  clearInterval(sampler);
  await sample();
  clock?.stop();
  loop.disable();
  return {
    production,
    samples,
    startMs,
    endMs: Date.now(),
    clearedAfterS,
    ticks: clock?.counts ?? { consume: 0, sweep: 0, failed: 0, unfinished: 0, peakRunning: 0 },
    eventLoopP99Ms: loop.percentile(99) / 1e6,
    workerdCores: whole.workerd.next(),
    benchCores: whole.bench.next() ?? 0,
  };
}

const noSample: Sample = {
  workerdCores: null,
  benchCores: 0,
  t: Number.POSITIVE_INFINITY,
  produced: 0,
  handled: 0,
  backlog: 0,
  slots: 0,
};

/** The figures of a run from what it observed. */
function figures(
  c: LoadCase,
  seen: Observed,
  more: { selfBinding: boolean; bridge: BridgeStats; deliveries: Deliveries; log: WorkerLog },
): LoadRun {
  const { production, samples } = seen;
  const { bridge, deliveries } = more;
  const values = latencies(production.ids, deliveries.started, seen.endMs);
  const bySecond = p99BySecond(values, seen.startMs, c.seconds);
  const produced = production.produced();
  const at = (t: number) =>
    samples.reduce((best, s) => (Math.abs(s.t - t) < Math.abs(best.t - t) ? s : best), noSample);
  const lastSeconds = Math.min(20, Math.max(1, Math.round(c.seconds / 3)));
  const window = samples.filter((s) => s.t <= c.seconds);
  const secondHalf = window.filter((s) => s.t >= c.seconds / 2);
  const trend = slope(secondHalf.map((s) => ({ x: s.t, y: s.backlog })));
  const handled = deliveries.handled;
  const publishMs = production.publishMs.map((ms) => ({ ms, censored: false }));
  return {
    case: c,
    startedAt: new Date(seen.startMs).toISOString(),
    selfBinding: more.selfBinding,
    produced,
    producedPerS: produced / c.seconds,
    handled,
    handledPerS: at(c.seconds).handled / c.seconds,
    handledPerSLast: (at(c.seconds).handled - at(c.seconds - lastSeconds).handled) / lastSeconds,
    lastSeconds,
    backlogMax: Math.max(0, ...window.map((s) => s.backlog)),
    backlogAtEnd: at(c.seconds).backlog,
    backlogTrendPerS: trend,
    backlogGrows: trend > 0.05 * c.rate,
    clearedAfterS: seen.clearedAfterS,
    latency: {
      p50: percentile(values, 50),
      p95: percentile(values, 95),
      p99: percentile(values, 99),
    },
    pickedUp: produced === 0 ? 0 : values.filter((v) => !v.censored).length / produced,
    commands: bridge.commands,
    requests: bridge.requests,
    commandsPerMessage: handled > 0 ? bridge.commands / handled : null,
    requestsPerMessage: handled > 0 ? bridge.requests / handled : null,
    duplicates: deliveries.duplicates,
    targetPeakInFlight: deliveries.peakInFlight,
    ticks: seen.ticks,
    worker: summarizeLog(more.log),
    publish:
      c.source === "publish"
        ? {
            requests: publishMs.length,
            p50Ms: percentile(publishMs, 50)?.ms ?? null,
            p99Ms: percentile(publishMs, 99)?.ms ?? null,
          }
        : null,
    producerFailures: production.failures.slice(0, 10),
    eventLoopP99Ms: seen.eventLoopP99Ms,
    workerdCores: seen.workerdCores,
    benchCores: seen.benchCores,
    loadAvg1: loadavg()[0] ?? 0,
    samples,
    p99BySecond: bySecond.flatMap((p, i) =>
      p === null ? [] : [{ t: i + 0.5, ms: p.ms, atLeast: p.atLeast }],
    ),
  };
}

function summarizeLog(log: WorkerLog): LoadRun["worker"] {
  const stoppedBy: Record<string, number> = {};
  const consumers = new Set<string>();
  for (const d of log.drains) {
    const why = String(d.stoppedBy ?? "unknown");
    stoppedBy[why] = (stoppedBy[why] ?? 0) + 1;
    consumers.add(String(d.consumer ?? ""));
  }
  return {
    events: log.events,
    drainsEnded: log.drains.length,
    stoppedBy,
    consumers: consumers.size,
    reports: log.drains.slice(0, DRAIN_REPORTS_KEPT),
    notable: log.notable,
    otherLines: log.other,
  };
}
