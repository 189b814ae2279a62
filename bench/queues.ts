/**
 * @module `npm run bench:queues`: what the Queues-compatible API costs in Upstash HTTP requests
 * and commands per message, against the plain handler API, for 1,000 messages: produced
 * (`publish`, `createQueue().sendBatch`/`send`, plain XADD pipelines for reference) and
 * drained (`drain` with a plain handler, and with a `QueueConsumer` and `delayed: true`), sent
 * with a delay and moved in by the drain, and retried once with a delay and delivered again by
 * the sweep. The library runs in this process (Node) with the core's client, through an
 * in-process bridge (the `upstash` profile) that counts requests and commands, against the
 * real Redis (REDIS_URL, default redis://127.0.0.1:6379). A MONITOR connection counts what
 * Redis ran besides, the commands inside Lua scripts included. Writes bench/queues.json and
 * bench/QUEUES.md (well under a minute); progress goes to stderr. Keys live under a random
 * `rsw-queues:<uuid>:` prefix and are deleted at the end (never FLUSH anything: the server is
 * shared).
 *
 * BENCH_RUNS (default 3; fewer makes a smoke run whose results go to the temp dir and stdout,
 * not the result files) exists for developing the benchmark.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Bridge, startBridge } from "../dev/bridge/server";
import {
  createQueue,
  DEFAULTS,
  type DrainEvent,
  type DrainReport,
  drain,
  publish,
  QueueConsumer,
  type QueueHandler,
  type SweepReport,
  streamKeys,
  sweep,
} from "../src/lib/index";
import { type Direct, deleteKeys, direct, median, progress, sleep, workerClient } from "./common";
import { describeRun, type LoadMeta } from "./load/meta";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const FULL = RUNS >= 3;
const N = 1000;
const SEND_BATCH = 100;
const READ_BATCH = 50;
const DELAY_S = 1;
/** The sweep's MIN_IDLE_MS here: the least that lets it claim the retries soon after their delay. */
const SWEEP_MIN_IDLE_MS = 1000;
/** Waits before the delayed drain and the sweep: the delay (and MIN_IDLE_MS) plus a margin. */
const DELAYED_WAIT_MS = DELAY_S * 1000 + 100;
const SWEEP_WAIT_MS = Math.max(DELAY_S * 1000, SWEEP_MIN_IDLE_MS) + 200;
const GROUP = "g";
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const payload = (i: number) => ({ order: `ORD-${i}`, amount: "12.50", currency: "EUR" });
const indexes = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);
const chunks = (size: number) =>
  indexes(0, Math.ceil(N / size)).map((c) => indexes(c * size, Math.min(N, (c + 1) * size)));

// ---------------------------------------------------------------------------------------------
// What Redis ran: a MONITOR connection, read between two ECHO marks.

/** A Lua script of the library, known by its SHA (EVALSHA) or by a line of its text (EVAL). */
type Script = { name: string; sha: string; line: string };

/** The library's scripts (src/lib/redis/scripts), each with a line no other script has. */
async function libraryScripts(): Promise<Script[]> {
  const dir = here("../src/lib/redis/scripts/");
  const sources: { name: string; source: string }[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as Record<string, unknown>;
    const source = Object.values(mod).find((v): v is string => typeof v === "string");
    if (source) {
      sources.push({ name: file.replace(/\.ts$/, ""), source });
    }
  }
  // MONITOR escapes quotes, backslashes and anything outside printable ASCII.
  const plain = (l: string) => l.length >= 25 && /^[\x20-\x7e]+$/.test(l) && !/["\\]/.test(l);
  const lines = (s: string) => s.split("\n").map((l) => l.trim());
  return sources.map(({ name, source }) => {
    const others = sources.filter((o) => o.name !== name).map((o) => o.source);
    const line = lines(source).find((l) => plain(l) && others.every((o) => !o.includes(l)));
    return {
      name,
      sha: createHash("sha1").update(source).digest("hex"),
      line: line ?? `(no unique line in ${name})`,
    };
  });
}

/** Runs of one script and the commands it ran inside. */
type ScriptCount = { runs: number; inside: number };

/** What Redis ran for the bridge between two marks. */
type Executed = {
  /** Commands the bridge sent (an XREADGROUP wrapped by its PEL guard counts once). */
  sent: number;
  /** Commands the library's scripts ran inside. */
  inside: number;
  /** Per script of the library (and `unknown`), keyed by name. */
  scripts: Record<string, ScriptCount>;
};

function scriptCount(out: Executed, name: string): ScriptCount {
  const count = out.scripts[name] ?? { runs: 0, inside: 0 };
  out.scripts[name] = count;
  return count;
}

const LINE = /^\d+\.\d+ \[\d+ ([^\]]+)\] "((?:[^"\\]|\\.)*)"(.*)$/;
/** The bridge's `upstash` profile wraps a read in a script of its own; its text says this. */
const PEL_GUARD_TEXT = "XReadGroup is cancelled";

function tally(lines: string[], scripts: Script[]): Executed {
  const out: Executed = { sent: 0, inside: 0, scripts: {} };
  // A script runs alone: the lines after its EVAL, from "lua", are its own.
  let current: string | null = null;
  for (const line of lines) {
    const m = LINE.exec(line);
    if (!m) {
      continue;
    }
    const [, source, name = "", rest = ""] = m;
    if (source === "lua") {
      if (current !== null && current !== "pel-guard") {
        out.inside++;
        scriptCount(out, current).inside++;
      }
      continue;
    }
    out.sent++;
    const command = name.toUpperCase();
    current = null;
    if (command === "EVALSHA") {
      const sha = /^ "([0-9a-f]{40})"/.exec(rest)?.[1];
      current = scripts.find((s) => s.sha === sha)?.name ?? "unknown";
    } else if (command === "EVAL") {
      current = rest.includes(PEL_GUARD_TEXT)
        ? "pel-guard"
        : (scripts.find((s) => rest.includes(s.line))?.name ?? "unknown");
    }
    if (current !== null && current !== "pel-guard") {
      scriptCount(out, current).runs++;
    }
  }
  return out;
}

/** Every command naming the prefix, in the order Redis ran them, from a MONITOR connection. */
class CommandLog {
  private lines: string[] = [];
  private marks = 0;
  private readonly waiting = new Map<string, (index: number) => void>();
  private monitor: Direct | undefined;
  /** The direct connection's address as MONITOR shows it. */
  private ownAddr: string | undefined;

  constructor(
    private readonly d: Direct,
    private readonly prefix: string,
  ) {}

  async start(): Promise<void> {
    const info = String(await this.d.sendCommand(["CLIENT", "INFO"]));
    this.ownAddr = /\baddr=(\S+)/.exec(info)?.[1];
    const m = this.d.duplicate();
    m.on("error", () => {});
    await m.connect();
    await m.monitor((line) => this.take(String(line)));
    this.monitor = m;
  }

  stop(): void {
    this.monitor?.destroy();
  }

  private take(line: string): void {
    if (!line.includes(this.prefix)) {
      return;
    }
    // The direct connection's checks are not the library's: only its marks are kept.
    if (
      this.ownAddr !== undefined &&
      line.includes(` ${this.ownAddr}] `) &&
      !line.includes("mark:")
    ) {
      return;
    }
    this.lines.push(line);
    for (const [mark, seen] of this.waiting) {
      if (line.includes(mark)) {
        this.waiting.delete(mark);
        seen(this.lines.length - 1);
      }
    }
  }

  /** Sends a mark and resolves, once MONITOR has shown it, to its place in the log. */
  async mark(): Promise<number> {
    const mark = `${this.prefix}mark:${++this.marks}`;
    const seen = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`MONITOR did not show ${mark}`)), 5000);
      this.waiting.set(mark, (index) => {
        clearTimeout(timer);
        resolve(index);
      });
    });
    await this.d.sendCommand(["ECHO", mark]);
    return seen;
  }

  /** The lines between two marks; the log is emptied when `clear`. */
  between(from: number, to: number, clear = true): string[] {
    const lines = this.lines.slice(from + 1, to);
    if (clear) {
      this.lines = [];
    }
    return lines;
  }
}

// ---------------------------------------------------------------------------------------------
// One measured step: requests and commands at the bridge, what Redis ran, the wall time.

type Cost = {
  requests: number;
  /** Commands as the bridge counts them: one a command sent, one a script run. */
  commands: number;
  /** Commands Redis ran: those sent, plus those inside the library's Lua scripts. */
  executed: number;
  scripts: Record<string, ScriptCount>;
  wallMs: number;
  /** Commands naming the key prefix that MONITOR saw sent (what `commands` should be). */
  seenSent: number;
  /** Whether MONITOR saw exactly the commands the bridge counted. */
  monitorAgrees: boolean;
};

type Env = {
  bridge: Bridge;
  d: Direct;
  redis: ReturnType<typeof workerClient>;
  log: CommandLog;
  scripts: Script[];
  prefix: string;
};

async function measure<T>(env: Env, step: () => Promise<T>): Promise<{ cost: Cost; value: T }> {
  const from = await env.log.mark();
  env.bridge.resetStats();
  const t0 = performance.now();
  const value = await step();
  const wallMs = performance.now() - t0;
  const { requests, commands } = env.bridge.stats();
  const to = await env.log.mark();
  const ran = tally(env.log.between(from, to), env.scripts);
  const cost: Cost = {
    requests,
    commands,
    executed: ran.sent + ran.inside,
    scripts: ran.scripts,
    wallMs,
    seenSent: ran.sent,
    monitorAgrees: ran.sent === commands,
  };
  return { cost, value };
}

// ---------------------------------------------------------------------------------------------
// Producing.

async function xaddPipelines(env: Env, stream: string): Promise<void> {
  for (const chunk of chunks(SEND_BATCH)) {
    const pipe = env.redis.pipeline();
    for (const i of chunk) {
      pipe.xadd(stream, "*", { body: JSON.stringify(payload(i)) });
    }
    await pipe.exec();
  }
}

async function publishAll(env: Env, stream: string): Promise<void> {
  for (const chunk of chunks(SEND_BATCH)) {
    const messages = chunk.map((i) => ({ fields: { body: JSON.stringify(payload(i)) } }));
    await publish({ redis: env.redis, stream, messages });
  }
}

async function sendBatches(env: Env, stream: string, delaySeconds = 0): Promise<void> {
  const queue = createQueue(env.redis, stream);
  for (const chunk of chunks(SEND_BATCH)) {
    const messages = chunk.map((i) => ({ body: payload(i) }));
    await queue.sendBatch(messages, delaySeconds > 0 ? { delaySeconds } : undefined);
  }
}

async function sendEach(env: Env, stream: string, delaySeconds = 0): Promise<void> {
  const queue = createQueue(env.redis, stream);
  for (const i of indexes(0, N)) {
    await queue.send(payload(i), delaySeconds > 0 ? { delaySeconds } : undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// Consuming.

/** What a drain or sweep did, beside its cost. */
type Outcome = {
  handled: number;
  read: number;
  acked: number;
  failed: number;
  reads: number;
  rotations: number;
  /** Promotions that moved something: how many each moved. */
  promoted: number[];
};

const outcomeOf = (report: DrainReport, handled: number, promoted: number[]): Outcome => ({
  handled,
  read: report.read,
  acked: report.acked,
  failed: report.failed,
  reads: report.batches,
  rotations: Math.max(0, (report.consumers?.length ?? 1) - 1),
  promoted,
});

async function plainDrain(env: Env, stream: string): Promise<Outcome> {
  let handled = 0;
  const report = await drain({
    redis: env.redis,
    stream,
    group: GROUP,
    consumer: "plain",
    handler: async () => {
      handled++;
    },
    batchSize: READ_BATCH,
    groupStartId: "0",
  });
  return outcomeOf(report, handled, []);
}

/** A Queues consumer as the Worker builds it: one read's messages make one batch. */
const queueConsumer = (stream: string, handler: QueueHandler<object, object>) =>
  new QueueConsumer({
    queue: stream,
    handler,
    env: {},
    ctx: {},
    maxBatchSize: READ_BATCH,
    maxBatchTimeoutMs: 0,
    retryDelayMs: 0,
  });

async function queueDrain(
  env: Env,
  stream: string,
  handler: QueueHandler<object, object>,
): Promise<Outcome> {
  const promoted: number[] = [];
  let handled = 0;
  const consumer = queueConsumer(stream, async (batch, e, c) => {
    handled += batch.messages.length;
    await handler(batch, e, c);
  });
  const report = await drain({
    redis: env.redis,
    stream,
    group: GROUP,
    consumer: "queue",
    handler: consumer.handle,
    concurrency: READ_BATCH,
    delayed: true,
    batchSize: READ_BATCH,
    groupStartId: "0",
    onEvent: (e: DrainEvent) => {
      if (e.event === "delayed_promoted") {
        promoted.push(e.moved);
      }
    },
  });
  return outcomeOf(report, handled, promoted);
}

const sweepOutcome = (reports: SweepReport[], handled: number): Outcome => ({
  handled,
  read: reports.reduce((n, r) => n + r.claimed, 0),
  acked: reports.reduce((n, r) => n + r.acked, 0),
  failed: reports.reduce((n, r) => n + r.failed, 0),
  reads: reports.length,
  rotations: 0,
  promoted: [],
});

/**
 * Sweeps until nothing is pending (at most 5 runs, 500 ms apart), with the Queues consumer:
 * `retryDelays` on, as the Worker runs it for a Queues consumer.
 */
async function queueSweep(env: Env, stream: string): Promise<Outcome> {
  let handled = 0;
  const consumer = queueConsumer(stream, async (batch) => {
    handled += batch.messages.length;
  });
  const reports: SweepReport[] = [];
  for (let run = 0; run < 5; run++) {
    if (run > 0) {
      await sleep(500);
    }
    reports.push(
      await sweep({
        redis: env.redis,
        stream,
        group: GROUP,
        consumer: "sweeper",
        handler: consumer.handle,
        retryDelays: true,
        minIdleMs: SWEEP_MIN_IDLE_MS,
        concurrency: READ_BATCH,
      }),
    );
    if ((await pending(env.d, stream)) === 0) {
      break;
    }
  }
  return sweepOutcome(reports, handled);
}

async function pending(d: Direct, stream: string): Promise<number> {
  const reply = (await d.sendCommand(["XPENDING", stream, GROUP])) as unknown[];
  return Number(reply[0] ?? 0);
}

// ---------------------------------------------------------------------------------------------
// One run of every step.

type StepName =
  | "produce:xadd"
  | "produce:publish"
  | "produce:sendBatch"
  | "produce:send"
  | "produce:sendBatch-delayed"
  | "produce:send-delayed"
  | "consume:plain"
  | "consume:queue"
  | "consume:delayed"
  | "consume:retry-drain"
  | "consume:retry-sweep"
  | "consume:idle-sweep";

type Step = { cost: Cost; outcome?: Outcome; left?: { pending: number; delayed: number } };
type Run = Record<StepName, Step>;

async function leftOver(env: Env, stream: string) {
  const delayed = Number(await env.d.sendCommand(["ZCARD", streamKeys(stream, GROUP).delayed]));
  return { pending: await pending(env.d, stream), delayed };
}

async function createGroups(env: Env, streams: string[]): Promise<void> {
  for (const s of streams) {
    await env.d.sendCommand(["XGROUP", "CREATE", s, GROUP, "0", "MKSTREAM"]);
  }
}

async function oneRun(env: Env, run: number): Promise<Run> {
  const s = (name: string) => `${env.prefix}r${run}:${name}`;
  const streams = ["plain", "queue", "delayed", "retry"].map(s);
  // Groups exist before the drains, as on a stream in service: no NOGROUP and create.
  await createGroups(env, streams);
  const steps: Partial<Run> = {};
  const produce = async (name: StepName, fn: () => Promise<void>) => {
    steps[name] = { cost: (await measure(env, fn)).cost };
  };
  const consume = async (name: StepName, stream: string, fn: () => Promise<Outcome>) => {
    const { cost, value } = await measure(env, fn);
    steps[name] = { cost, outcome: value, left: await leftOver(env, stream) };
  };

  await produce("produce:sendBatch-delayed", () => sendBatches(env, s("delayed"), DELAY_S));
  const delayedSent = Date.now();
  await produce("produce:send-delayed", () => sendEach(env, s("delayed-each"), DELAY_S));
  await produce("produce:xadd", () => xaddPipelines(env, s("xadd")));
  await produce("produce:publish", () => publishAll(env, s("plain")));
  await produce("produce:sendBatch", () => sendBatches(env, s("queue")));
  await produce("produce:send", () => sendEach(env, s("queue-each")));

  await consume("consume:plain", s("plain"), () => plainDrain(env, s("plain")));
  await consume("consume:queue", s("queue"), () => queueDrain(env, s("queue"), async () => {}));

  // Every message retried once, on its first delivery, with a delay.
  await sendBatches(env, s("retry"));
  await consume("consume:retry-drain", s("retry"), () =>
    queueDrain(env, s("retry"), async (batch) => {
      for (const m of batch.messages) {
        if (m.attempts === 1) {
          m.retry({ delaySeconds: DELAY_S });
        }
      }
    }),
  );
  const retried = Date.now();

  await sleep(Math.max(0, delayedSent + DELAYED_WAIT_MS - Date.now()));
  await consume("consume:delayed", s("delayed"), () =>
    queueDrain(env, s("delayed"), async () => {}),
  );

  await sleep(Math.max(0, retried + SWEEP_WAIT_MS - Date.now()));
  await consume("consume:retry-sweep", s("retry"), () => queueSweep(env, s("retry")));
  await consume("consume:idle-sweep", s("retry"), () => queueSweep(env, s("retry")));
  return steps as Run;
}

// ---------------------------------------------------------------------------------------------
// Medians, checks, the report.

const STEPS: StepName[] = [
  "produce:xadd",
  "produce:publish",
  "produce:sendBatch",
  "produce:send",
  "produce:sendBatch-delayed",
  "produce:send-delayed",
  "consume:plain",
  "consume:queue",
  "consume:delayed",
  "consume:retry-drain",
  "consume:retry-sweep",
  "consume:idle-sweep",
];

function medianScripts(all: Record<string, ScriptCount>[]): Record<string, ScriptCount> {
  const names = [...new Set(all.flatMap((s) => Object.keys(s)))].sort();
  return Object.fromEntries(
    names.map((n) => [
      n,
      {
        runs: median(all.map((s) => s[n]?.runs ?? 0)),
        inside: median(all.map((s) => s[n]?.inside ?? 0)),
      },
    ]),
  );
}

function medianStep(steps: Step[]): Step {
  const m = (pick: (s: Step) => number) => median(steps.map(pick));
  const costs = steps.map((s) => s.cost);
  const first = steps[0] as Step;
  const cost: Cost = {
    requests: m((s) => s.cost.requests),
    commands: m((s) => s.cost.commands),
    executed: m((s) => s.cost.executed),
    scripts: medianScripts(costs.map((c) => c.scripts)),
    wallMs: Math.round(m((s) => s.cost.wallMs)),
    seenSent: m((s) => s.cost.seenSent),
    monitorAgrees: costs.every((c) => c.monitorAgrees),
  };
  if (!first.outcome) {
    return { cost };
  }
  const o = (pick: (x: Outcome) => number) => m((s) => (s.outcome ? pick(s.outcome) : 0));
  return {
    cost,
    outcome: {
      handled: o((x) => x.handled),
      read: o((x) => x.read),
      acked: o((x) => x.acked),
      failed: o((x) => x.failed),
      reads: o((x) => x.reads),
      rotations: o((x) => x.rotations),
      promoted: first.outcome.promoted,
    },
    left: {
      pending: Math.max(...steps.map((s) => s.left?.pending ?? 0)),
      delayed: Math.max(...steps.map((s) => s.left?.delayed ?? 0)),
    },
  };
}

/** Figures that differed between runs, by step: what a reader should not take as exact. */
function spread(runs: Run[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of STEPS) {
    const fields = ["requests", "commands", "executed"] as const;
    const varied = fields.flatMap((f) => {
      const values = runs.map((r) => r[name].cost[f]);
      const lo = Math.min(...values);
      const hi = Math.max(...values);
      return lo === hi ? [] : [`${f} ${lo}–${hi}`];
    });
    if (varied.length > 0) {
      out[name] = varied.join(", ");
    }
  }
  return out;
}

type Results = {
  meta: LoadMeta & { runs: number };
  settings: Record<string, number | string | boolean>;
  steps: Record<StepName, Step>;
  spread: Record<string, string>;
  runs: Run[];
};

const fmt = (v: number, digits = 0) =>
  v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const per = (v: number) => fmt(v / N, 3);

/** One table row of a cost: totals, then per message. */
const costCells = (c: Cost) =>
  `${fmt(c.requests)} | ${fmt(c.commands)} | ${fmt(c.executed)} | ${per(c.requests)} | ${per(c.commands)} | ${per(c.executed)}`;

const COST_HEAD =
  "| requests | commands (bridge) | commands run by Redis | requests / msg | commands / msg | run by Redis / msg |";
const COST_RULE = "|---:|---:|---:|---:|---:|---:|";

const PRODUCE_ROWS: [StepName, string][] = [
  ["produce:xadd", "plain XADD pipelines, 100 a request (reference)"],
  ["produce:publish", "`publish()`, 100 a call"],
  ["produce:sendBatch", "`createQueue().sendBatch()`, 100 a call"],
  ["produce:send", "`createQueue().send()`, one a call"],
  ["produce:sendBatch-delayed", "`sendBatch(…, { delaySeconds: 1 })`, 100 a call"],
  ["produce:send-delayed", "`send(…, { delaySeconds: 1 })`, one a call"],
];

const CONSUME_ROWS: [StepName, string][] = [
  ["consume:plain", "`drain()`, plain handler"],
  ["consume:queue", "`drain()`, `QueueConsumer`, `delayed: true`"],
  ["consume:delayed", "the same, 1,000 delayed messages due"],
  ["consume:retry-drain", "the same, every message `retry({ delaySeconds: 1 })`"],
  ["consume:retry-sweep", "`sweep()` of those 1,000, `retryDelays: true`"],
  ["consume:idle-sweep", "`sweep()` again, nothing pending (its fixed part)"],
];

function table(rows: [StepName, string][], steps: Record<StepName, Step>, extra = false): string[] {
  const head = extra
    ? `| step ${COST_HEAD} reads (sweep: runs) | handled | left pending |`
    : `| step ${COST_HEAD}`;
  const rule = extra ? `|---${COST_RULE}---:|---:|---:|` : `|---${COST_RULE}`;
  return [
    head,
    rule,
    ...rows.map(([name, label]) => {
      const s = steps[name];
      const o = s.outcome;
      const more =
        extra && o ? ` ${fmt(o.reads)} | ${fmt(o.handled)} | ${fmt(s.left?.pending ?? 0)} |` : "";
      return `| ${label} | ${costCells(s.cost)} |${more}`;
    }),
  ];
}

type Total = { label: string; parts: StepName[] };

const TOTALS: Total[] = [
  { label: "Plain handler API: `publish` + `drain`", parts: ["produce:publish", "consume:plain"] },
  {
    label: "Queues API: `sendBatch` + `drain` (`delayed: true`)",
    parts: ["produce:sendBatch", "consume:queue"],
  },
  {
    label: "Queues API, delayed 1 s: `sendBatch` + `drain`",
    parts: ["produce:sendBatch-delayed", "consume:delayed"],
  },
  {
    label: "Queues API, each retried once: `sendBatch` + `drain` + `sweep`",
    parts: ["produce:sendBatch", "consume:retry-drain", "consume:retry-sweep"],
  },
];

function sumOf(steps: Record<StepName, Step>, parts: StepName[]) {
  const sum = (f: "requests" | "commands" | "executed") =>
    parts.reduce((n, p) => n + steps[p].cost[f], 0);
  return { requests: sum("requests"), commands: sum("commands"), executed: sum("executed") };
}

/** The main table: each way through, produced and consumed, per message. */
export function mainTable(steps: Record<StepName, Step>): string[] {
  return [
    "| 1,000 messages | produce: requests / commands | consume: requests / commands | total requests | total commands (bridge) | commands run by Redis | per message: requests / commands / run by Redis |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...TOTALS.map(({ label, parts }) => {
      const [first, ...rest] = parts as [StepName, ...StepName[]];
      const p = steps[first].cost;
      const c = sumOf(steps, rest);
      const t = sumOf(steps, parts);
      return `| ${label} | ${fmt(p.requests)} / ${fmt(p.commands)} | ${fmt(c.requests)} / ${fmt(c.commands)} | ${fmt(t.requests)} | ${fmt(t.commands)} | ${fmt(t.executed)} | ${per(t.requests)} / ${per(t.commands)} / ${per(t.executed)} |`;
    }),
  ];
}

function scriptTable(steps: Record<StepName, Step>): string[] {
  const out = ["| step | script | runs | commands run inside |", "|---|---|---:|---:|"];
  for (const [name, label] of [...PRODUCE_ROWS, ...CONSUME_ROWS]) {
    for (const [script, c] of Object.entries(steps[name].cost.scripts)) {
      out.push(`| ${label} | ${script} | ${fmt(c.runs)} | ${fmt(c.inside)} |`);
    }
  }
  return out;
}

/** What the figures show, in sentences computed from them. */
function meaning(res: Results): string[] {
  const st = res.steps;
  const t = (i: number) => {
    const total = TOTALS[i] as Total;
    return sumOf(st, total.parts);
  };
  const [plain, queue, delayed, retry] = [t(0), t(1), t(2), t(3)];
  const d = st["consume:delayed"];
  const moves = d.outcome?.promoted ?? [];
  const promoteRuns = d.cost.scripts["promote-due"]?.runs ?? 0;
  const q = st["consume:queue"].cost;
  const qPromote = q.scripts["promote-due"];
  const rd = st["consume:retry-drain"];
  const rs = st["consume:retry-sweep"];
  const idle = st["consume:idle-sweep"].cost;
  const extraRetry = {
    requests: retry.requests - queue.requests,
    commands: retry.commands - queue.commands,
    executed: retry.executed - queue.executed,
  };
  const per3 = (v: { requests: number; commands: number; executed: number }) =>
    `${per(v.requests)} requests, ${per(v.commands)} commands as the bridge counts them, ${per(v.executed)} commands run by Redis`;
  return [
    `**Same traffic as the plain API.** Produced with \`sendBatch\` (100 a call) and drained by a \`QueueConsumer\`, 1,000 messages cost ${fmt(queue.requests)} requests and ${fmt(queue.commands)} commands, against ${fmt(plain.requests)} and ${fmt(plain.commands)} with \`publish\` and a plain handler: the ${fmt(queue.commands - plain.commands)} more commands are the \`XLEN\` each \`sendBatch\` ends with (the backlog its result reports) and the promote-due script the drain's first read runs with \`delayed: true\` (${fmt(qPromote?.runs ?? 0)} run, ${fmt(qPromote?.inside ?? 0)} commands inside on an empty delayed set). \`send\` one message at a time costs a request and two commands (\`XADD\`, \`XLEN\`) a message. Per message, either way, it is about one command to produce and ${per(st["consume:plain"].cost.commands)}–${per(q.commands)} to consume.`,
    "",
    `**A delayed message makes Redis run about three commands, against one for a message sent due.** It is a \`ZADD\` when sent, then moved into the stream by the promote-due script, which runs an \`XADD\` and a \`ZREM\` per message inside one \`EVAL\`: the bridge counts ${per(delayed.commands)} commands a message for sending and draining 1,000 delayed messages, Redis ran ${per(delayed.executed)}. The drain moved them in ${fmt(moves.length)} promotions of ${[...new Set(moves)].map((v) => fmt(v)).join(" or ") || "none"} (DEFAULTS.promoteBatch = ${DEFAULTS.promoteBatch}), ${fmt(promoteRuns)} script runs over ${fmt(d.outcome?.reads ?? 0)} reads: one a read while more are due, because after a run that leaves due messages behind the next read runs it again (the next due time it returns is already past); the one-second recheck (PROMOTE_RECHECK_MS) only spaces out runs while nothing is due yet. With reads of ${READ_BATCH} and promotions of ${DEFAULTS.promoteBatch}, the stream always held more than the next read took, so the delayed messages drained at the rate of ordinary ones here (${fmt(d.cost.wallMs)} ms against ${fmt(q.wallMs)} ms for 1,000 waiting, local Redis). With BATCH_SIZE above ${DEFAULTS.promoteBatch}, a read would find at most ${DEFAULTS.promoteBatch} newly moved ones, so a backlog of due delayed messages drains at most ${DEFAULTS.promoteBatch} a request. And a drain still ends at its first empty read: messages that come due after it wait for the next drain (the next cron tick), unless a continuous drain is still polling, which runs the script again at the next due time it knows of or a second after its last look.`,
    "",
    `**A retry costs little in commands.** With every message retried once, \`retry({ delaySeconds: ${DELAY_S} })\` on its first delivery, the drain wrote the failure records (one \`HSET\` a read, in the request of the next read, where the acks would have gone: ${fmt(rd.cost.requests)} requests, ${fmt(rd.cost.commands)} commands for the 1,000, ${fmt(rd.outcome?.rotations ?? 0)} consumer rotations), and one sweep after the delay and MIN_IDLE_MS (${fmt(SWEEP_MIN_IDLE_MS)} ms here) claimed ${fmt(rs.outcome?.read ?? 0)} in ${fmt(rs.outcome?.reads ?? 0)} run(s), handled and acked them: ${fmt(rs.cost.requests)} requests, ${fmt(rs.cost.commands)} commands (${fmt(rs.cost.executed)} run by Redis), of which a sweep with nothing pending costs ${fmt(idle.requests)} requests and ${fmt(idle.commands)} commands (${fmt(idle.executed)} run). Against the same messages acked at once, the retry added ${per3(extraRetry)} a message.`,
    "",
    '**Scripts and billing.** The bridge counts an `EVAL` or `EVALSHA` as one command, whatever the script runs. The column "commands run by Redis" adds the commands run inside the library\'s scripts, read from MONITOR; the bridge\'s own script around a read, which emulates Upstash\'s limit on one consumer\'s pending entries, is left out (on Upstash the read is one command). Upstash\'s Pay-As-You-Go plan bills commands ("Commands | $0.20 per 100K commands", https://upstash.com/docs/redis/overall/billing). That page does not say how a script run is counted; Upstash\'s cost page for @upstash/ratelimit, which runs scripts, counts the `EVAL` and every command the script runs: "Hit/Miss | First | 3 | EVAL, INCR, PEXPIRE" (https://upstash.com/docs/redis/sdks/ratelimit-ts/costs). If billing counts scripts that way, the bill follows the "run by Redis" column: about the bridge\'s count for the plain and Queues paths and for retries, about three times it for delayed messages (the moves inside promote-due). We found no statement from Upstash that says so outright for scripts in general.',
    "",
  ];
}

function renderMarkdown(res: Results): string {
  const m = res.meta;
  const versions = Object.entries(m.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  const spreadLines = Object.entries(res.spread).map(([k, v]) => `${k}: ${v}`);
  const agrees = STEPS.every((s) => res.steps[s].cost.monitorAgrees);
  // The retry drain leaves its messages pending for the sweep: that is what it measures.
  const unhandled = STEPS.filter((s) => {
    const step = res.steps[s];
    const left = step.left && (step.left.pending > 0 || step.left.delayed > 0);
    return s === "consume:retry-drain" ? step.left?.pending !== N : left;
  });
  return [
    "# Commands per message: the Queues API",
    "",
    `Generated by \`npm run bench:queues\` on ${m.date.slice(0, 10)} (commit ${m.commit}) in ${m.totalSeconds} s; raw runs in`,
    `\`bench/queues.json\`. Each figure is the median of ${m.runs} runs; ${spreadLines.length === 0 ? "every count was the same in every run" : `counts that varied between runs: ${spreadLines.join("; ")}`}.`,
    "",
    "## Setup",
    "",
    `- Machine: ${m.machine.cpu}, ${m.machine.cores} cores, ${m.machine.memoryGiB} GiB; ${m.machine.os}.`,
    `- Node ${m.node}, Redis ${m.redis}, ${versions}.`,
    "- The library in this process (Node), with the core's client (`createStreamsRedis`), through the",
    "  local bridge (`upstash` profile, no added latency), which counts the HTTP requests and the",
    "  commands in them. A MONITOR connection counts what Redis ran for them, the commands inside",
    `  Lua scripts included${agrees ? " (it saw exactly the commands the bridge counted, in every step)" : " (in some step it did not see exactly the commands the bridge counted: see queues.json)"}.`,
    `- ${fmt(N)} messages a step, \`{ order, amount, currency }\` bodies; sends of ${SEND_BATCH} a call; drains`,
    `  with \`batchSize: ${READ_BATCH}\` and the default MAX_MESSAGES (1,000), a \`QueueConsumer\` with`,
    `  \`maxBatchSize: ${READ_BATCH}\`, \`maxBatchTimeoutMs: 0\` and \`concurrency: ${READ_BATCH}\` (one read, one batch), as`,
    "  the Worker runs it. The groups exist before the drains (created outside the counts), as on a",
    "  stream in service.",
    `- Delayed: sent with \`delaySeconds: ${DELAY_S}\`, drained ${DELAYED_WAIT_MS} ms after the last send. Retried: each`,
    `  message \`retry({ delaySeconds: ${DELAY_S} })\` on its first delivery, then swept (\`retryDelays: true\`,`,
    `  \`minIdleMs: ${SWEEP_MIN_IDLE_MS}\`, \`concurrency: ${READ_BATCH}\`) ${SWEEP_WAIT_MS} ms after the drain; the handler acks on the second.`,
    `- ${unhandled.length === 0 ? `Every message was handled; after every drain and sweep nothing was left pending or delayed, but for the retry drain, which leaves its ${fmt(N)} pending for the sweep.` : `Not as expected (left pending or delayed) after: ${unhandled.join(", ")}.`}`,
    "",
    "## Per message, produced and consumed",
    "",
    ...mainTable(res.steps),
    "",
    "## Producing 1,000 messages",
    "",
    ...table(PRODUCE_ROWS, res.steps),
    "",
    "## Consuming 1,000 messages",
    "",
    ...table(CONSUME_ROWS, res.steps, true),
    "",
    "## Lua scripts run",
    "",
    ...scriptTable(res.steps),
    "",
    "## What it means",
    "",
    ...meaning(res),
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------

const redisUrl = process.env.REDIS_URL || "redis://127.0.0.1:6379";
const token = randomBytes(16).toString("hex");
const prefix = `rsw-queues:${randomUUID()}:`;
const started = Date.now();
const bridge = await startBridge({ redisUrl, token, port: 0, profile: "upstash", log: () => {} });
const d = await direct(redisUrl);
const log = new CommandLog(d, prefix);
const cleanup = async () => {
  const deleted = await deleteKeys(d, [`${prefix}*`]);
  progress(`deleted ${deleted} keys under ${prefix}`);
};
process.once("SIGINT", () => {
  void cleanup().finally(() => process.exit(130));
});

try {
  await log.start();
  const env: Env = {
    bridge,
    d,
    redis: workerClient(bridge.url, token),
    log,
    scripts: await libraryScripts(),
    prefix,
  };
  const info = String(await d.sendCommand(["INFO", "server"]));
  const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown";
  progress(`Redis ${redisVersion}, prefix ${prefix}, ${RUNS} runs of ${N} messages a step`);
  // A warm-up run, not kept: scripts loaded, the client's first connections made.
  await oneRun(env, 0);
  const runs: Run[] = [];
  for (let run = 1; run <= RUNS; run++) {
    runs.push(await oneRun(env, run));
    const r = runs[runs.length - 1] as Run;
    progress(
      `run ${run}: ${STEPS.map((s) => `${s} ${r[s].cost.requests}/${r[s].cost.commands}/${r[s].cost.executed}`).join(", ")}`,
    );
  }
  const steps = Object.fromEntries(
    STEPS.map((s) => [s, medianStep(runs.map((r) => r[s]))]),
  ) as Record<StepName, Step>;
  const results: Results = {
    meta: {
      ...describeRun(redisVersion),
      runs: RUNS,
      totalSeconds: Math.round((Date.now() - started) / 1000),
    },
    settings: {
      messages: N,
      sendBatch: SEND_BATCH,
      readBatch: READ_BATCH,
      concurrency: READ_BATCH,
      maxMessages: DEFAULTS.maxMessages,
      delaySeconds: DELAY_S,
      delayedWaitMs: DELAYED_WAIT_MS,
      sweepMinIdleMs: SWEEP_MIN_IDLE_MS,
      sweepWaitMs: SWEEP_WAIT_MS,
      promoteBatch: DEFAULTS.promoteBatch,
      bridgeProfile: "upstash",
      bridgeLatencyMs: 0,
    },
    steps,
    spread: spread(runs),
    runs,
  };
  const json = `${JSON.stringify(results, null, 2)}\n`;
  const markdown = `${renderMarkdown(results)}\n`;
  if (FULL) {
    writeFileSync(here("queues.json"), json);
    writeFileSync(here("QUEUES.md"), markdown);
    progress(`wrote bench/queues.json and bench/QUEUES.md in ${results.meta.totalSeconds} s`);
  } else {
    writeFileSync(join(tmpdir(), "rsw-queues-smoke.json"), json);
    process.stdout.write(markdown);
    progress(`smoke run (${RUNS} runs): result files left alone`);
  }
} finally {
  log.stop();
  await cleanup();
  await d.quit();
  await bridge.close();
}
