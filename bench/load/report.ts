/** @module Turns the load results into bench/LOAD.md: the goals, the method and every table. */
import type { CpuResult } from "./cpu";
import type { IdleResult } from "./idle";
import type { LoadMeta } from "./meta";
import {
  BRIDGE_LATENCY_MS,
  FANOUT_MAX,
  HANDLER_MS,
  LOAD_SETTINGS,
  MODE_NAMES,
  type Mode,
  PUBLISH_BATCH,
  TAIL_SECONDS,
} from "./plan";
import type { LoadRun } from "./run";
import type { ScalingResult } from "./scaling";
import type { Percentile } from "./stats";
import { peakWorkerdCores, whyShort, workerdMsPerMessage } from "./why";

export type LoadResults = {
  meta: LoadMeta;
  settings: { seconds: number; selfBinding: boolean };
  runs: LoadRun[];
  idle: IdleResult | null;
  cpu: CpuResult[];
  scaling: ScalingResult[];
};

/** The goals: 1,000 msg/s picked up within 1 s (p99), 5,000 msg/s held, scaling, idle cost. */
const GOAL_P99_MS = 1000;
const GOAL_EFFICIENCY = 0.8;
const GOAL_IDLE_PER_DAY = 3000;

const f0 = (n: number | null) =>
  n === null || !Number.isFinite(n) ? "—" : Math.round(n).toLocaleString("en-US");
const f1 = (n: number | null) => (n === null || !Number.isFinite(n) ? "—" : n.toFixed(1));
const f2 = (n: number | null) => (n === null || !Number.isFinite(n) ? "—" : n.toFixed(2));
const f3 = (n: number | null) => (n === null || !Number.isFinite(n) ? "—" : n.toFixed(3));
const yes = (ok: boolean) => (ok ? "**met**" : "**missed**");

/** "850 ms", "12.3 s", or "≥ 41.0 s" when it fell on a message still waiting at the end. */
export function latencyText(p: Percentile | null): string {
  if (p === null) {
    return "—";
  }
  const v = p.ms >= 1000 ? `${(p.ms / 1000).toFixed(1)} s` : `${Math.round(p.ms)} ms`;
  return p.atLeast ? `≥ ${v}` : v;
}

function find(r: LoadResults, rate: number, mode: Mode, source = "direct"): LoadRun | undefined {
  return r.runs.find(
    (x) => x.case.rate === rate && x.case.mode === mode && x.case.source === source,
  );
}

function runName(r: LoadRun): string {
  const how = r.case.source === "publish" ? ", via POST /publish" : "";
  const over = r.case.overrides ? `, ${r.case.overrides.why} (${r.case.seconds} s)` : "";
  return `${MODE_NAMES[r.case.mode]}${how}${over}`;
}

/** Whether a run held its rate: the backlog does not trend up, and it cleared in the tail. */
function held(r: LoadRun): boolean {
  return !r.backlogGrows && r.clearedAfterS !== null;
}

function goalP99(r: LoadResults): string[] {
  const cont = find(r, 1000, "continuous");
  const fan = find(r, 1000, "fanout");
  const cron = find(r, 1000, "cron");
  if (!cont) {
    return [];
  }
  const p99 = cont.latency.p99;
  const ok = p99 !== null && !p99.atLeast && p99.ms <= GOAL_P99_MS;
  const why = ok ? "" : `: ${whyShort(cont)}`;
  return [
    `| R = 1,000 msg/s, h = ${HANDLER_MS} ms: p99 pickup ≤ 1 s in continuous mode | continuous ${latencyText(p99)}; with fan-out ${latencyText(fan?.latency.p99 ?? null)}; cron-only ${latencyText(cron?.latency.p99 ?? null)} (p50 ${latencyText(cron?.latency.p50 ?? null)}) | ${yes(ok)}${why} |`,
  ];
}

function goal5000(r: LoadResults): string[] {
  const fan = find(r, 5000, "fanout");
  if (!fan) {
    return [];
  }
  const ok = held(fan);
  return [
    `| R = 5,000 msg/s held for ${r.settings.seconds} s, backlog bounded, with fan-out | ${f0(fan.handledPerS)} handled/s (last ${fan.lastSeconds} s: ${f0(fan.handledPerSLast)}); backlog max ${f0(fan.backlogMax)}, trend ${f0(fan.backlogTrendPerS)}/s, ${fan.clearedAfterS === null ? `not cleared within ${TAIL_SECONDS} s` : `cleared ${f1(fan.clearedAfterS)} s after production stopped`} | ${yes(ok)}${ok ? "" : `: ${whyShort(fan)}`} |`,
  ];
}

function goalScaling(r: LoadResults): string[] {
  if (r.scaling.length === 0) {
    return [];
  }
  const ok = r.scaling.every((s) => s.efficiency >= GOAL_EFFICIENCY);
  const cells = r.scaling.map((s) => `K = ${s.k}: ${f2(s.ratio)}× (${f2(s.efficiency)} K)`);
  return [
    `| K parallel drains ≥ 0.8·K × one drain, up to K = 8 | ${cells.join("; ")} | ${yes(ok)} |`,
  ];
}

function goalIdle(r: LoadResults): string[] {
  if (!r.idle) {
    return [];
  }
  const ok = r.idle.commandsPerDay <= GOAL_IDLE_PER_DAY;
  return [
    `| idle ≤ 3,000 commands a day per stream, defaults | ${f0(r.idle.commandsPerDay)} a day (${f1(r.idle.commandsPerConsumeTick)} per drain tick × 1,440 + ${f1(r.idle.commandsPerSweepTick)} per sweep tick × 288) | ${yes(ok)} |`,
  ];
}

function runsTable(r: LoadResults): string[] {
  const lines = [
    "| R msg/s | mode | produced/s | handled/s (run / last 20 s) | backlog max | backlog trend /s | cleared after | p50 | p95 | p99 | picked up | commands/msg | requests/msg | drains ended | duplicates | webhooks in flight (peak) |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const x of r.runs) {
    lines.push(
      `| ${f0(x.case.rate)} | ${runName(x)} | ${f0(x.producedPerS)} | ${f0(x.handledPerS)} / ${f0(x.handledPerSLast)} | ${f0(x.backlogMax)} | ${f0(x.backlogTrendPerS)}${x.backlogGrows ? " (grows)" : ""} | ${x.clearedAfterS === null ? `> ${TAIL_SECONDS} s` : `${f1(x.clearedAfterS)} s`} | ${latencyText(x.latency.p50)} | ${latencyText(x.latency.p95)} | ${latencyText(x.latency.p99)} | ${(x.pickedUp * 100).toFixed(1)}% | ${f3(x.commandsPerMessage)} | ${f3(x.requestsPerMessage)} | ${x.worker.drainsEnded} | ${f0(x.duplicates)} | ${x.targetPeakInFlight} |`,
    );
  }
  return lines;
}

function drainsTable(r: LoadResults): string[] {
  const lines = [
    "| R msg/s | mode | consume / sweep ticks | drains ended, by reason | consumer names | peak live slots | Worker events | cores busy: workerd (peak) / benchmark | workerd CPU per message | benchmark event-loop p99 | load average |",
    "|---:|---|---:|---|---:|---:|---|---:|---:|---:|---:|",
  ];
  for (const x of r.runs) {
    const reasons = Object.entries(x.worker.stoppedBy)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    const events = Object.entries(x.worker.events)
      .filter(([k]) => k !== "drain" && k !== "sweep")
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    const slots = Math.max(0, ...x.samples.map((s) => s.slots));
    lines.push(
      `| ${f0(x.case.rate)} | ${runName(x)} | ${x.ticks.consume} / ${x.ticks.sweep} | ${reasons || "—"} | ${x.worker.consumers} | ${slots} | ${events || "—"} | ${f2(x.workerdCores)} (${f2(peakWorkerdCores(x))}) / ${f2(x.benchCores)} | ${f2(workerdMsPerMessage(x))} ms | ${f1(x.eventLoopP99Ms)} ms | ${f2(x.loadAvg1)} |`,
    );
  }
  return lines;
}

function publishLines(r: LoadResults): string[] {
  const p = r.runs.find((x) => x.case.source === "publish");
  if (!p?.publish) {
    return [];
  }
  return [
    `The publish run posted ${f0(p.publish.requests)} requests of up to ${PUBLISH_BATCH} messages (p50 ${f0(p.publish.p50Ms)} ms, p99 ${f0(p.publish.p99Ms)} ms per request)${p.producerFailures.length > 0 ? `; ${p.producerFailures.length} failed, first: ${p.producerFailures[0]}` : ""}. Its commands per message include the XADDs of the publish itself.`,
    "",
  ];
}

function idleTable(r: LoadResults): string[] {
  const i = r.idle;
  if (!i) {
    return ["Not run."];
  }
  return [
    "| | commands | requests |",
    "|---|---:|---:|",
    `| one drain tick on the empty stream | ${f1(i.commandsPerConsumeTick)} | ${f1(i.requestsPerConsumeTick)} |`,
    `| one sweep tick | ${f1(i.commandsPerSweepTick)} | ${f1(i.requestsPerSweepTick)} |`,
    `| one hour (${i.consumeTicks} drain ticks, ${i.sweepTicks} sweep ticks) | ${f0(i.commandsPerHour)} | — |`,
    `| one day | ${f0(i.commandsPerDay)} | ${f0(i.requestsPerDay)} |`,
    "",
    `Ticks that did not end "ok": ${i.failedTicks}.`,
  ];
}

function cpuTable(r: LoadResults): string[] {
  if (r.cpu.length === 0) {
    return ["Not run."];
  }
  const lines = [
    "| BATCH_SIZE / CONCURRENCY | messages per run | runs | CPU ms per 1,000 (user + system) | user only | the client alone reading the same pages | requests per run | wall per run | messages within 10 ms of CPU |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const c of r.cpu) {
    const wall = c.runs.map((x) => x.wallMs).sort((a, b) => a - b)[Math.floor(c.runs.length / 2)];
    lines.push(
      `| ${c.case.batchSize} / ${c.case.concurrency} | ${f0(c.case.n)} | ${c.runs.length} | ${f1(c.cpuMsPer1000)} | ${f1(c.userMsPer1000)} | ${f1(c.clientMsPer1000)} | ${f0(c.runs[0]?.requests ?? null)} | ${f2((wall ?? Number.NaN) / 1000)} s | ${f0(c.messagesIn10Ms)} |`,
    );
  }
  return lines;
}

function scalingTable(r: LoadResults): string[] {
  if (r.scaling.length === 0) {
    return ["Not run."];
  }
  const lines = [
    "| K drains | messages | msg/s (median) | × K = 1 | efficiency (÷ K) | runs (msg/s) |",
    "|---:|---:|---:|---:|---:|---|",
  ];
  for (const s of r.scaling) {
    lines.push(
      `| ${s.k} | ${f0(s.n)} | ${f0(s.messagesPerS)} | ${f2(s.ratio)}× | ${f2(s.efficiency)} | ${s.runs.map((x) => f0(x.messagesPerS)).join(", ")} |`,
    );
  }
  return lines;
}

function method(r: LoadResults): string[] {
  const settings = Object.entries(LOAD_SETTINGS)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
  return [
    `- **The Worker**: \`src/index.ts\` bundled by \`wrangler deploy --dry-run\`, run in Miniflare (workerd), one fresh instance and one fresh stream per run. Its Redis is the bridge (\`dev/bridge/server.ts\`, the \`upstash\` profile: Upstash's per-consumer PEL limit and request size) in the benchmark's process, adding ${BRIDGE_LATENCY_MS} ms to every request; the bridge's \`commands\` counter is the Upstash command count.`,
    `- **The handler**: TARGET_URL points at a local server that answers each POST ${HANDLER_MS} ms after it arrives and records, per message, when its first delivery arrived: that is when its handler started. Pickup latency = that time − the time in the message's stream id (Redis and the benchmark share one clock).`,
    `- **Settings in every load run**: ${settings}; the rest at the defaults (MAX_REQUESTS 1,000, TIME_BUDGET_MS 25,000, CRON_BUDGET_MS 60,000, TARGET_TIMEOUT_MS 10,000, POLL_MIN_MS 50, POLL_MAX_MS 500, POLL_IDLE_MS 10,000). BATCH_SIZE 100 and CONCURRENCY 50 let one drain go past 1,000 messages/s with a ${HANDLER_MS} ms handler (at 50/10 it tops out at 10 / ${HANDLER_MS} ms = 500/s). MAX_MESSAGES caps only cron-only (a continuous drain is bounded by its time budget and MAX_REQUESTS): raised so that cron-only is compared at its best.`,
    `- **Modes**: cron-only = DRAIN_MODE=cron; continuous = DRAIN_MODE=continuous, MAX_PARALLEL_DRAINS=1; continuous + fan-out = MAX_PARALLEL_DRAINS=${FANOUT_MAX}, ${r.settings.selfBinding ? "with a `SELF` service binding to the Worker itself (extra drains are `POST /internal/drain` invocations of their own) and ADMIN_TOKEN set" : "without a `SELF` binding (extra drains run inside the invocation)"}.`,
    `- **The producer** adds R messages/s for ${r.settings.seconds} s: straight into Redis (XADD on a connection of its own, what is due pipelined every 10 ms), or for one run through \`POST /publish\` in batches of ${PUBLISH_BATCH}. The group is created at 0 before the run.`,
    `- **Crons**: CONSUME_CRON fires once the first message is in the stream (a continuous drain whose first read is empty stops at once) and every 60 s after; SWEEP_CRON with it and every 300 s. The benchmark fires them (\`getWorker().scheduled()\`) without waiting for a running tick. So a run covers one whole cron period: the tick at 0 s and the one at 60 s, as production stops.`,
    `- **Figures**: a sample every second (produced − handled = backlog; live drain slots read straight from Redis). Handled/s over the ${r.settings.seconds} s of production and over its last 20 s. The backlog "grows" when its least-squares trend over the second half of production exceeds 5% of R. After production stops the run waits up to ${TAIL_SECONDS} s for the backlog to clear, then disposes of the Worker. Latency percentiles are over every message produced; one not picked up by the end counts at its age then, so a percentile that falls on one is a lower bound (≥).`,
    "- **Idle**: the Worker at its defaults (nothing set but the Redis endpoint, STREAM, GROUP and TARGET_URL) on an existing empty stream; one drain tick and one sweep tick first, then an hour of ticks (60 drains, 12 sweeps) fired back to back with scheduled times a minute apart; commands counted per tick.",
    "- **CPU**: `drain()` in a child process (`bench/load/cpu-child.ts`) against the bridge at 0 ms, handler `async () => {}`, one warm-up drain then one measured with `process.cpuUsage()`; the bridge runs in the parent, so only the drain and its client are counted. For comparison the child then reads the same entries again with the bare client, in pages of the same size (`XRANGE`): what the requests and their replies cost without the drain. Node's fetch is JavaScript (undici), which a Worker's native fetch is not: the figure is an upper bound for the drain in workerd.",
    `- **Scaling**: K = 1, 2, 4, 8 \`drain()\` calls at once in the benchmark's process, consumer names \`scaling-K-p1\`…, on K × the same backlog per drain, at the defaults (BATCH_SIZE 50, CONCURRENCY 10), ${BRIDGE_LATENCY_MS} ms per request, a ${HANDLER_MS} ms handler (a timer); each drain ends at its first empty read. Throughput = messages / wall time until the last drain returns.`,
  ];
}

/** What the local setup does not show as Cloudflare would: read before comparing figures. */
function caveats(r: LoadResults): string[] {
  const peakInFlight = Math.max(0, ...r.runs.map((x) => x.targetPeakInFlight));
  const perInvocation = Math.floor(6 / (HANDLER_MS / 1000));
  return [
    '- **One workerd for every invocation.** Miniflare runs the Worker in one workerd process, whose JavaScript runs on one thread: the cron\'s drain, the `SELF` drains and the publish requests all share it (the "workerd" column above). On Cloudflare each `SELF` drain is an invocation of its own, with its own CPU time; here extra drains add handlers in flight but no CPU, so past about one busy core the fan-out cannot add throughput. The scaling table below measures the drains without that limit.',
    `- **Six connections per invocation.** Cloudflare lets one invocation have at most 6 connections waiting for response headers; workerd does not enforce it locally, and the Worker here held up to ${peakInFlight} webhook POSTs open at once (the target's count). On Cloudflare, the webhook handler's POSTs queue behind those 6: one invocation delivers at most about 6 / h = ${perInvocation} messages/s to a target taking ${HANDLER_MS} ms (fewer with the network in between), whatever CONCURRENCY says. A handler that does not fetch per message is not held to it; for the webhook handler, throughput past that comes from more invocations, which is what the \`SELF\` fan-out gives.`,
    '- **Active timers.** workerd refuses more than 10,000 active timers per invocation ("You have exceeded the number of active timeouts you may set"). The webhook handler clears each delivery\'s timeout when the delivery ends (an earlier version kept one armed per delivery for TARGET_TIMEOUT_MS, which stopped an invocation past 1,000 deliveries/s at the 10 s default).',
    "- **One machine.** Redis, the bridge, the target, the producer and workerd share the 2 cores; the benchmark process's event-loop delay and the load average are in the table above. The bridge's 5 ms stands in for the edge→Upstash round trip; the target is on the same host, so the handler's 20 ms has no network around it.",
  ];
}

export function renderLoadMarkdown(r: LoadResults): string {
  const m = r.meta;
  return [
    "# Load benchmark: continuous and fanned-out drains",
    "",
    "Generated by `npm run bench:load` (`bench/load.ts`, `bench/load/`); every figure of every run in `bench/load.json`. The plot: [load.svg](load.svg).",
    "",
    "## Machine and versions",
    "",
    "| | |",
    "|---|---|",
    `| date | ${m.date} (commit ${m.commit}) |`,
    `| machine | ${m.machine.cpu}, ${m.machine.cores} cores, ${m.machine.memoryGiB} GiB, ${m.machine.os} |`,
    `| runtime | Node ${m.node}; ${Object.entries(m.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")} |`,
    `| Redis | ${m.redis} (local, shared) |`,
    `| total time | ${m.totalSeconds} s |`,
    "",
    "## Goals",
    "",
    "| goal | measured | |",
    "|---|---|---|",
    ...goalP99(r),
    ...goal5000(r),
    ...goalScaling(r),
    ...goalIdle(r),
    "",
    "## Method",
    "",
    ...method(r),
    "",
    "## Load runs",
    "",
    ...runsTable(r),
    "",
    ...publishLines(r),
    "What ran in the Worker during each run (its log lines, counted):",
    "",
    ...drainsTable(r),
    "",
    "![Backlog and p99 pickup latency over time at 1,000 messages/s](load.svg)",
    "",
    "## What the local setup does not show",
    "",
    ...caveats(r),
    "",
    "## Idle cost",
    "",
    ...idleTable(r),
    "",
    "## The drain's CPU time",
    "",
    ...cpuTable(r),
    "",
    "## Fan-out scaling",
    "",
    ...scalingTable(r),
    "",
  ].join("\n");
}
