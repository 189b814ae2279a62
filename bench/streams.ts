/**
 * @module `npm run bench:streams`: what one cron tick of a Worker serving three streams (STREAMS)
 * costs in Upstash HTTP requests, against three one-stream Workers (STREAM/GROUP) ticking once
 * each, on the same backlogs. The Worker is bundled as `wrangler deploy` bundles it and runs in
 * Miniflare (workerd) against the real Redis (REDIS_URL, default redis://127.0.0.1:6379)
 * through an in-process bridge (the `upstash` profile, 5 ms per request), which counts the
 * requests and commands; TARGET_URL is a local target answering 204 at once. Writes
 * bench/streams.json and bench/STREAMS.md (about 2 minutes); progress goes to stderr. Keys live
 * under a random `rsw-streams:<uuid>:` prefix and are deleted at the end (never FLUSH anything:
 * the server is shared).
 *
 * BENCH_RUNS (default 3; fewer makes a smoke run whose results go to the temp dir and stdout,
 * not the result files) exists for developing the benchmark.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Miniflare } from "miniflare";
import { type Bridge, startBridge } from "../dev/bridge/server";
import { bundleWorker, jsonLines, runWorker } from "../dev/miniflare-worker";
import {
  type Direct,
  deleteKeys,
  direct,
  fillStream,
  median,
  pendingCount,
  progress,
} from "./common";
import { describeRun, type LoadMeta } from "./load/meta";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const FULL = RUNS >= 3;
const RTT_MS = 5;
const CONSUME = "* * * * *";
const SWEEP = "*/5 * * * *";
const POLL_IDLE_MS = 200;
const GROUP = "g";
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

type Job = "drain" | "sweep";
type Scenario = { name: string; counts: number[]; pending?: boolean };
type Case = { job: Job; scenario: Scenario };
/** Workers started with the same variables, and the ticks measured on them. */
type Setup = { name: string; vars: Record<string, string>; cases: Case[] };

const IDLE: Scenario = { name: "all three idle", counts: [0, 0, 0] };
const EACH_100: Scenario = { name: "100 waiting in each", counts: [100, 100, 100] };
const EACH_1000: Scenario = { name: "1,000 waiting in each", counts: [1000, 1000, 1000] };
const SKEWED: Scenario = { name: "5,000 in one, 10 in two", counts: [5000, 10, 10] };
const drains = (...scenarios: Scenario[]): Case[] =>
  scenarios.map((scenario) => ({ job: "drain", scenario }));

const SETUPS: Setup[] = [
  {
    name: "cron",
    vars: { DRAIN_MODE: "cron" },
    cases: [
      ...drains(IDLE, EACH_100, EACH_1000, SKEWED),
      { job: "sweep", scenario: { name: "idle PELs", counts: [0, 0, 0] } },
      {
        job: "sweep",
        scenario: { name: "100 stuck in each", counts: [100, 100, 100], pending: true },
      },
    ],
  },
  {
    name: "continuous",
    vars: { DRAIN_MODE: "continuous", POLL_IDLE_MS: String(POLL_IDLE_MS) },
    cases: drains(IDLE, EACH_100, EACH_1000, SKEWED),
  },
  {
    // The Free plan's 50 subrequests an invocation: one Worker's streams share them.
    name: "cron, MAX_REQUESTS 50",
    vars: { DRAIN_MODE: "cron", MAX_REQUESTS: "50", MAX_MESSAGES: "10000" },
    cases: drains(EACH_1000, SKEWED),
  },
];

/** What one side of a comparison cost: the invocation(s) of one tick. */
type Side = {
  invocations: number;
  requests: number;
  commands: number;
  /** Requests no drain or sweep line counts: the one-stream Worker's fan-out estimates. */
  outside: number;
  /** Messages read (drain) or pending entries claimed (sweep), every stream together. */
  messages: number;
  /** Reads of a continuous drain that found nothing, every stream together. */
  emptyPolls: number;
  /** Per stream, in order: its requests, messages, empty polls (continuous), why it stopped. */
  streams: { requests: number; messages: number; emptyPolls: number; stoppedBy: string }[];
  /** One Worker: its invocation. Three: the three one after the other. */
  wallMs: number;
  /** The longest single invocation (three Workers' crons would fire at once). */
  longestMs: number;
  /** CPU time of workerd during the tick(s), in 10 ms ticks of the kernel's accounting. */
  cpuMs: number | null;
  /** Entries a drain tick left pending (read, not acked); a drain should leave none. */
  leftPending: number;
};

type Row = Case & {
  setup: string;
  multi: Side;
  separate: Side;
  runs: { multi: Side; separate: Side }[];
};

type BenchWorker = { mf: Miniflare; lines: Record<string, unknown>[]; pid: string | null };

/** CPU ticks (utime + stime) of `pid` in ms; USER_HZ is 100 on Linux. */
function cpuMsOf(pid: string | null): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return null;
  }
}

/** This process's workerd children (each Miniflare runs its own). */
function workerdChildren(): Set<string> {
  const found = new Set<string>();
  try {
    for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (stat.includes("(workerd)") && f[1] === String(process.pid)) {
        found.add(pid);
      }
    }
  } catch {
    // No /proc (not Linux) or a process gone meanwhile: CPU is then not reported.
  }
  return found;
}

/** The bundled Worker in Miniflare with `bindings`; every JSON line it logs lands in `lines`. */
async function startWorker(script: string, bindings: Record<string, string>): Promise<BenchWorker> {
  const lines: Record<string, unknown>[] = [];
  const before = workerdChildren();
  const mf = await runWorker(script, bindings, jsonLines(lines));
  const started = [...workerdChildren()].filter((p) => !before.has(p));
  return { mf, lines, pid: started.length === 1 ? (started[0] ?? null) : null };
}

let scheduled = Date.now();

/**
 * Fires `cron` on `w` and waits for its lines (`tick`, or the one-stream Worker's `drain` /
 * `sweep` lines): the requests and commands the bridge answered meanwhile, and the lines.
 */
async function fire(bridge: Bridge, w: BenchWorker, cron: string, event: string) {
  const seen = w.lines.length;
  // Each tick a new minute: a new consumer name, as on Cloudflare.
  scheduled += 60_000;
  bridge.resetStats();
  const cpu0 = cpuMsOf(w.pid);
  const t0 = performance.now();
  const result = await (await w.mf.getWorker()).scheduled({
    cron,
    scheduledTime: new Date(scheduled),
  });
  const wallMs = performance.now() - t0;
  const cpu1 = cpuMsOf(w.pid);
  if (result.outcome !== "ok") {
    throw new Error(`cron ${cron} ended ${result.outcome}`);
  }
  for (let waited = 0; !w.lines.slice(seen).some((l) => l.event === event); waited += 10) {
    if (waited > 5000) {
      throw new Error(`no ${event} line after cron ${cron}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  // Stdout is a pipe: let the invocation's last lines arrive.
  await new Promise((r) => setTimeout(r, 50));
  const all = w.lines.slice(seen);
  const lines = all.filter((l) => l.event === event);
  const { requests, commands } = bridge.stats();
  const cpuMs = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
  return { requests, commands, wallMs, cpuMs, lines, all };
}

/**
 * A stream's figures from its lines: one per drain or sweep (a one-stream Worker in continuous
 * mode may run extra drains in-process, each with its own line).
 */
const figure = (lines: Record<string, unknown>[], job: Job) => ({
  requests: lines.reduce((sum, l) => sum + Number(l.requests), 0),
  messages: lines.reduce((sum, l) => sum + Number(job === "drain" ? l.read : l.claimed), 0),
  emptyPolls: lines.reduce((sum, l) => sum + Number(l.emptyPolls ?? 0), 0),
  stoppedBy: lines.map((l) => String(l.stoppedBy)).join("+"),
});

type Env = {
  bridge: Bridge;
  d: Direct;
  prefix: string;
  streams: string[];
  multi: BenchWorker;
  singles: BenchWorker[];
};

/**
 * Fresh streams with `counts` entries each and the group at 0; with `pending`, every entry
 * delivered to a consumer that never acks, and aged past MIN_IDLE_MS (XCLAIM IDLE, no delivery
 * counted), so the sweep finds them all due.
 */
async function prepare(env: Env, s: Scenario): Promise<void> {
  await deleteKeys(env.d, [`${env.prefix}*`]);
  for (const [i, stream] of env.streams.entries()) {
    const n = s.counts[i] ?? 0;
    await fillStream(env.d, stream, GROUP, n);
    if (s.pending && n > 0) {
      const read = ["XREADGROUP", "GROUP", GROUP, "crashed", "COUNT", String(n)];
      await env.d.sendCommand([...read, "STREAMS", stream, ">"]);
      const range = ["XPENDING", stream, GROUP, "-", "+", String(n)];
      const rows = (await env.d.sendCommand(range)) as [string][];
      const ids = rows.map((r) => r[0]);
      await env.d.sendCommand(["XCLAIM", stream, GROUP, "crashed", "0", ...ids, "IDLE", "120000"]);
    }
  }
}

const emptySide = (invocations: number): Side => ({
  invocations,
  requests: 0,
  commands: 0,
  outside: 0,
  messages: 0,
  emptyPolls: 0,
  streams: [],
  wallMs: 0,
  longestMs: 0,
  cpuMs: 0,
  leftPending: 0,
});

/** One Worker with three streams, one tick. */
async function multiTick(env: Env, c: Case): Promise<Side> {
  await prepare(env, c.scenario);
  const cron = c.job === "drain" ? CONSUME : SWEEP;
  const r = await fire(env.bridge, env.multi, cron, "tick");
  const line = r.lines[0] ?? {};
  // The tick line has each stream's figures; its drain lines (tagged with the stream) the polls.
  const streams = ((line.streams ?? []) as Record<string, unknown>[]).map((s) => {
    const own = r.all.filter((l) => l.event === c.job && l.stream === s.stream);
    return { ...figure([s], c.job), emptyPolls: figure(own, c.job).emptyPolls };
  });
  return {
    ...emptySide(1),
    requests: r.requests,
    commands: r.commands,
    outside: r.requests - Number(line.requests),
    messages: streams.reduce((n, s) => n + s.messages, 0),
    emptyPolls: streams.reduce((n, s) => n + s.emptyPolls, 0),
    streams,
    wallMs: r.wallMs,
    longestMs: r.wallMs,
    cpuMs: r.cpuMs,
  };
}

/** Three one-stream Workers, one tick each, one after the other. */
async function separateTicks(env: Env, c: Case): Promise<Side> {
  await prepare(env, c.scenario);
  const cron = c.job === "drain" ? CONSUME : SWEEP;
  const side = emptySide(env.singles.length);
  for (const w of env.singles) {
    const r = await fire(env.bridge, w, cron, c.job);
    const s = figure(r.lines, c.job);
    side.requests += r.requests;
    side.commands += r.commands;
    side.outside += r.requests - s.requests;
    side.messages += s.messages;
    side.emptyPolls += s.emptyPolls;
    side.streams.push({ ...s, requests: r.requests });
    side.wallMs += r.wallMs;
    side.longestMs = Math.max(side.longestMs, r.wallMs);
    side.cpuMs = side.cpuMs === null || r.cpuMs === null ? null : side.cpuMs + r.cpuMs;
  }
  return side;
}

/**
 * Entries a drain tick left pending: it should leave none, every entry it read acked (or
 * dead-lettered). Not counted after a sweep, whose entries were pending before it.
 */
async function leftPending(env: Env, c: Case): Promise<number> {
  if (c.job !== "drain") {
    return 0;
  }
  let left = 0;
  for (const stream of env.streams) {
    left += await pendingCount(env.d, stream, GROUP);
  }
  return left;
}

function medianSide(sides: Side[]): Side {
  const m = (pick: (s: Side) => number) => median(sides.map(pick));
  const first = sides[0] as Side;
  const cpu = sides.map((s) => s.cpuMs);
  return {
    invocations: first.invocations,
    requests: m((s) => s.requests),
    commands: m((s) => s.commands),
    outside: m((s) => s.outside),
    messages: m((s) => s.messages),
    emptyPolls: m((s) => s.emptyPolls),
    streams: first.streams.map((_, i) => ({
      requests: median(sides.map((x) => x.streams[i]?.requests ?? 0)),
      messages: median(sides.map((x) => x.streams[i]?.messages ?? 0)),
      emptyPolls: median(sides.map((x) => x.streams[i]?.emptyPolls ?? 0)),
      stoppedBy: [...new Set(sides.map((x) => x.streams[i]?.stoppedBy))].join(","),
    })),
    wallMs: m((s) => s.wallMs),
    longestMs: m((s) => s.longestMs),
    cpuMs: cpu.every((v) => v !== null) ? median(cpu as number[]) : null,
    leftPending: m((s) => s.leftPending),
  };
}

/** The four Workers of a setup, each warmed by one drain and one sweep tick on idle streams. */
async function startWorkers(
  base: Omit<Env, "multi" | "singles">,
  script: string,
  bindings: Record<string, string>,
): Promise<Env> {
  const entries = base.streams.map((stream) => ({ stream, group: GROUP }));
  const multi = await startWorker(script, { ...bindings, STREAMS: JSON.stringify(entries) });
  const singles: BenchWorker[] = [];
  for (const stream of base.streams) {
    singles.push(await startWorker(script, { ...bindings, STREAM: stream, GROUP }));
  }
  const env = { ...base, multi, singles };
  // The figures are a warm isolate's, whatever a first invocation does once.
  await prepare(env, IDLE);
  await fire(env.bridge, multi, CONSUME, "tick");
  await fire(env.bridge, multi, SWEEP, "tick");
  for (const w of singles) {
    await fire(env.bridge, w, CONSUME, "drain");
    await fire(env.bridge, w, SWEEP, "sweep");
  }
  return env;
}

async function measure(env: Env, setup: string, c: Case): Promise<Row> {
  const runs: { multi: Side; separate: Side }[] = [];
  for (let run = 0; run < RUNS; run++) {
    const multi = await multiTick(env, c);
    multi.leftPending = await leftPending(env, c);
    const separate = await separateTicks(env, c);
    separate.leftPending = await leftPending(env, c);
    runs.push({ multi, separate });
  }
  const multi = medianSide(runs.map((r) => r.multi));
  const separate = medianSide(runs.map((r) => r.separate));
  const says = (s: Side) =>
    `${s.requests} requests, ${s.messages} messages (${s.leftPending} left pending), ${s.wallMs.toFixed(0)} ms, CPU ${s.cpuMs ?? "—"} ms`;
  progress(
    `${c.job} [${setup}] ${c.scenario.name}: one Worker ${says(multi)}; three Workers ${says(separate)}`,
  );
  return { setup, ...c, multi, separate, runs };
}

/** A local target answering 204 at once: the handler costs nothing, the requests are Redis's. */
async function startTarget(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(204).end());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, server };
}

type Results = {
  meta: LoadMeta & { runs: number };
  settings: { rttMs: number; pollIdleMsContinuous: number; streams: number; crons: string[] };
  rows: Row[];
};

const n = (v: number) => Math.round(v).toLocaleString("en-US");
const ms = (v: number | null) => (v === null ? "—" : `${n(v)} ms`);
const perStream = (s: Side) => s.streams.map((x) => n(x.requests)).join(" + ");
const label = (r: Row) => `${r.job} | ${r.setup} | ${r.scenario.name}`;

function requestTable(rows: Row[]): string[] {
  const out = [
    "| tick | setup | backlog | one Worker: requests (per stream) | three Workers: requests (per Worker) | commands (one / three) | messages (one / three) | left pending (one / three) |",
    "|---|---|---|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    const { multi: a, separate: b } = r;
    out.push(
      `| ${label(r)} | ${n(a.requests)} (${perStream(a)}) | ${n(b.requests)} (${perStream(b)}) | ${n(a.commands)} / ${n(b.commands)} | ${n(a.messages)} / ${n(b.messages)} | ${n(a.leftPending)} / ${n(b.leftPending)} |`,
    );
  }
  return out;
}

function timeTable(rows: Row[]): string[] {
  const out = [
    "| tick | setup | backlog | one Worker: wall | its CPU | three Workers: wall, in turn | longest | their CPU |",
    "|---|---|---|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    const { multi: a, separate: b } = r;
    out.push(
      `| ${label(r)} | ${ms(a.wallMs)} | ${ms(a.cpuMs)} | ${ms(b.wallMs)} | ${ms(b.longestMs)} | ${ms(b.cpuMs)} |`,
    );
  }
  return out;
}

/**
 * The cases where one Worker and three Workers sent different requests, and whether, run by
 * run, the empty polls and the fan-out's estimates account for the difference.
 */
function differences(rows: Row[]): string {
  if (rows.length === 0) {
    return "";
  }
  const cases = rows
    .map(
      (r) =>
        `${r.setup}, ${r.scenario.name}: ${n(r.multi.requests)} against ${n(r.separate.requests)}`,
    )
    .join("; ");
  const runs = rows.flatMap((r) => r.runs);
  const polls = runs.reduce((sum, x) => sum + x.separate.emptyPolls - x.multi.emptyPolls, 0);
  const estimates = runs.reduce((sum, x) => sum + x.separate.outside - x.multi.outside, 0);
  const open = runs.filter(
    (x) =>
      x.separate.requests - x.multi.requests !==
      x.separate.emptyPolls - x.multi.emptyPolls + x.separate.outside - x.multi.outside,
  );
  const why = `the empty polls of a continuous drain, whose number depends on timing (${n(polls)} more in the one-stream Workers over these ${runs.length} runs), and the backlog estimates of a one-stream Worker's in-process fan-out (${n(estimates)}), which a Worker with several streams does not make without a SELF binding`;
  return open.length === 0
    ? `. In the others (${cases}) the difference is, in every run, ${why}`
    : `. In the others (${cases}) the difference is partly ${why}; in ${open.length} of the ${runs.length} runs these do not account for all of it`;
}

/** Drain ticks that left entries pending, in any run: what they read but did not ack. */
function leftUnacked(rows: Row[]): string | null {
  const cases = rows.flatMap((r) =>
    (["multi", "separate"] as const).flatMap((side) => {
      const left = r.runs.map((run) => run[side].leftPending).filter((v) => v > 0);
      if (left.length === 0) {
        return [];
      }
      const who = side === "multi" ? "the one Worker's tick" : "the three Workers' ticks";
      return [
        `${r.setup}, ${r.scenario.name}: ${who} left ${[...new Set(left)].map(n).join(" or ")} in ${left.length} of ${r.runs.length} runs`,
      ];
    }),
  );
  if (cases.length === 0) {
    return null;
  }
  return `**Left pending.** Some drain ticks ended with entries they had read and handled but not acked (${cases.join("; ")}). In each, one stream's last read counted on a request past its guaranteed part of MAX_REQUESTS for its final ack, and the other streams spent that request first: those entries are delivered again by a sweep once MIN_IDLE_MS has passed, so their handler runs twice.`;
}

/** What the rows show, in a few sentences computed from them. */
function meaning(rows: Row[]): string[] {
  const find = (setup: string, job: Job, scenario: Scenario) =>
    rows.find((r) => r.setup === setup && r.job === job && r.scenario.name === scenario.name);
  const sameLimits = rows.filter((r) => r.setup !== "cron, MAX_REQUESTS 50");
  const equal = sameLimits.filter((r) => r.multi.requests === r.separate.requests);
  const extra = sameLimits.filter((r) => r.multi.requests !== r.separate.requests);
  const idleDrain = find("cron", "drain", IDLE);
  const idleSweep = rows.find((r) => r.job === "sweep" && r.scenario.name === "idle PELs");
  const busy = find("cron", "drain", EACH_1000);
  const capped = find("cron, MAX_REQUESTS 50", "drain", EACH_1000);
  const cappedSkew = find("cron, MAX_REQUESTS 50", "drain", SKEWED);
  const perDay = (r: Row | undefined, ticks: number) => n((r?.multi.requests ?? 0) * ticks);
  const text: string[] = [
    `**Requests.** Serving three streams from one Worker does not make a tick cheaper in Upstash requests: each stream's drain and sweep sends what it would send alone. With the same limits the tick over three streams sent exactly the requests of the three one-stream ticks in ${equal.length} of ${sameLimits.length} cases${differences(extra)}. Idle, three streams cost ${n(idleDrain?.multi.requests ?? 0)} requests a drain tick and ${n(idleSweep?.multi.requests ?? 0)} a sweep tick either way: ${perDay(idleDrain, 1440)} + ${perDay(idleSweep, 288)} requests a day at the default crons.`,
    `**What it saves** is invocations and cron triggers: one invocation a tick instead of three (1,728 instead of 5,184 a day at the default crons), and two cron triggers instead of six, of the account's limit (5 on the Free plan). It also keeps one deployment and one set of secrets for all the streams.`,
    `**What it costs** is that the per-invocation limits are shared. The streams are drained side by side on one thread, so the tick does the three drains' work in one invocation: with 1,000 waiting in each (cron mode) it took ${ms(busy?.multi.wallMs ?? null)} and ${ms(busy?.multi.cpuMs ?? null)} of workerd CPU, where the three one-stream ticks took ${ms(busy?.separate.longestMs ?? null)} at most each, ${ms(busy?.separate.cpuMs ?? null)} of CPU together; CPU time, the subrequest cap and the simultaneous connections are counted per invocation. MAX_REQUESTS is the invocation's cap too: at 50 (the Free plan's subrequests), one Worker read ${n(capped?.multi.messages ?? 0)} of the 3,000 waiting where three Workers, 50 requests each, read ${n(capped?.separate.messages ?? 0)}; with 5,000 in one stream and 10 in two, the busy stream took what the quiet ones left and read ${n(cappedSkew?.multi.streams[0]?.messages ?? 0)} (${n(cappedSkew?.separate.streams[0]?.messages ?? 0)} alone).`,
  ];
  const unacked = leftUnacked(rows);
  return [...text, ...(unacked ? [unacked] : [])].flatMap((t) => [t, ""]);
}

function renderMarkdown(res: Results): string {
  const m = res.meta;
  const versions = Object.entries(m.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  return [
    "# Several streams in one tick",
    "",
    `Generated by \`npm run bench:streams\` on ${m.date.slice(0, 10)} (commit ${m.commit}) in ${m.totalSeconds} s; raw runs in`,
    `\`bench/streams.json\`. Each figure is the median of ${m.runs} runs.`,
    "",
    "## Setup",
    "",
    `- Machine: ${m.machine.cpu}, ${m.machine.cores} cores, ${m.machine.memoryGiB} GiB; ${m.machine.os}.`,
    `- Node ${m.node}, Redis ${m.redis}, ${versions}.`,
    "- The Worker as `wrangler deploy --dry-run` bundles it, in Miniflare, against the local bridge",
    `  (\`upstash\` profile, ${RTT_MS} ms added to every request), which counts the HTTP requests and`,
    "  the commands in them. TARGET_URL is a local target answering 204 at once.",
    "- One Worker with STREAMS of three entries (stream and group only) against three Workers with",
    "  STREAM/GROUP, the same variables otherwise: `cron` is DRAIN_MODE=cron at the defaults;",
    `  \`continuous\` is DRAIN_MODE=continuous with POLL_IDLE_MS=${POLL_IDLE_MS}; \`cron, MAX_REQUESTS 50\``,
    "  adds MAX_REQUESTS=50 and MAX_MESSAGES=10000. No SELF binding and no ADMIN_TOKEN.",
    "- Each Worker is warmed by one drain and one sweep tick first: the figures are a warm",
    "  isolate's. Before each tick the streams are recreated with their backlog and group; what a",
    "  drain tick left pending is counted (it should be nothing). `stuck` entries were read by a",
    "  consumer that never acked, and aged past MIN_IDLE_MS.",
    "- Messages: read by the drain, or claimed by the sweep. Wall time of three Workers is their",
    "  ticks one after the other; on Cloudflare their crons fire at once, so the longest is what",
    "  the minute waits for. CPU is workerd's (user + system) during the tick, counted in 10 ms",
    "  steps, and includes Miniflare's own work.",
    "",
    "## Requests per tick",
    "",
    ...requestTable(res.rows),
    "",
    "## Time per tick",
    "",
    ...timeTable(res.rows),
    "",
    "## What it means",
    "",
    ...meaning(res.rows),
  ].join("\n");
}

const redisUrl = process.env.REDIS_URL || "redis://127.0.0.1:6379";
const token = randomBytes(16).toString("hex");
const prefix = `rsw-streams:${randomUUID()}:`;
const started = Date.now();
const bridge = await startBridge({
  redisUrl,
  token,
  port: 0,
  log: () => {},
  profile: "upstash",
  latencyMs: RTT_MS,
});
const d = await direct(redisUrl);
const target = await startTarget();
const bundle = bundleWorker();
const cleanup = async () => {
  const deleted = await deleteKeys(d, [`${prefix}*`]);
  progress(`deleted ${deleted} leftover keys under ${prefix}`);
};
process.once("SIGINT", () => {
  void cleanup().finally(() => process.exit(130));
});

try {
  const info = String(await d.sendCommand(["INFO", "server"]));
  const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown";
  progress(`Redis ${redisVersion}, prefix ${prefix}, ${RUNS} runs per figure`);
  const streams = ["orders", "emails", "events"].map((s) => `${prefix}${s}`);
  const rows: Row[] = [];
  for (const setup of SETUPS) {
    const bindings = {
      UPSTASH_REDIS_REST_URL: bridge.url,
      UPSTASH_REDIS_REST_TOKEN: token,
      TARGET_URL: target.url,
      CONSUME_CRON: CONSUME,
      SWEEP_CRON: SWEEP,
      ...setup.vars,
    };
    const env = await startWorkers({ bridge, d, prefix, streams }, bundle.script, bindings);
    try {
      for (const c of setup.cases) {
        rows.push(await measure(env, setup.name, c));
      }
    } finally {
      for (const w of [env.multi, ...env.singles]) {
        await w.mf.dispose();
      }
    }
  }
  const results: Results = {
    meta: {
      ...describeRun(redisVersion),
      runs: RUNS,
      totalSeconds: Math.round((Date.now() - started) / 1000),
    },
    settings: {
      rttMs: RTT_MS,
      pollIdleMsContinuous: POLL_IDLE_MS,
      streams: 3,
      crons: [CONSUME, SWEEP],
    },
    rows,
  };
  const json = `${JSON.stringify(results, null, 2)}\n`;
  if (FULL) {
    writeFileSync(here("streams.json"), json);
    writeFileSync(here("STREAMS.md"), renderMarkdown(results));
    progress(`wrote bench/streams.json and bench/STREAMS.md in ${results.meta.totalSeconds} s`);
  } else {
    writeFileSync(join(tmpdir(), "rsw-streams-smoke.json"), json);
    process.stdout.write(renderMarkdown(results));
    progress(`smoke run (${RUNS} runs): result files left alone`);
  }
} finally {
  bundle.remove();
  await cleanup();
  target.server.closeAllConnections();
  await new Promise((r) => target.server.close(r));
  await d.quit();
  await bridge.close();
}
