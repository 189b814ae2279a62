/** @module What `npm run bench:load` runs: the rates, the modes, the Worker's settings per mode. */

/** How the Worker drains: today's one bounded drain a tick, one continuous drain, or fanned out. */
export type Mode = "cron" | "continuous" | "fanout";

/** Where the producer writes: straight into Redis, or through the Worker's `POST /publish`. */
export type Source = "direct" | "publish";

export type LoadCase = {
  /** Messages per second the producer adds. */
  rate: number;
  mode: Mode;
  source: Source;
  /** How long the producer adds messages. */
  seconds: number;
  /** Variables that differ from LOAD_SETTINGS in this run, and why (shown in LOAD.md). */
  overrides?: { settings: Record<string, string>; why: string };
};

export const MODE_NAMES: Record<Mode, string> = {
  cron: "cron-only",
  continuous: "continuous",
  fanout: "continuous + fan-out",
};

/** Added by the bridge to every request: the edge→Upstash round trip. */
export const BRIDGE_LATENCY_MS = 5;
/** The target's handler time: it answers each POST this long after receiving it. */
export const HANDLER_MS = 20;
/** Parallel drains allowed in the fan-out mode. */
export const FANOUT_MAX = 8;
/** Messages per `POST /publish` request. */
export const PUBLISH_BATCH = 100;
/** The crons, as the Worker's defaults (and wrangler.toml) schedule them. */
export const CONSUME_CRON = "* * * * *";
export const SWEEP_CRON = "*/5 * * * *";
export const CONSUME_EVERY_MS = 60_000;
export const SWEEP_EVERY_MS = 300_000;

/**
 * The Worker's settings in every load run, the same in all three modes so that only the mode
 * differs. BATCH_SIZE 100 and CONCURRENCY 50 let one drain keep up with 1,000 messages/s of a
 * 20 ms handler (at the defaults, 50/10, one drain clears at most 10 / 20 ms = 500/s).
 * MAX_MESSAGES caps only the cron-only mode (a continuous drain is bounded by its time budget
 * and MAX_REQUESTS): raised so that cron-only is compared at its best, not at 1,000 a minute.
 * Everything else is at its default: MAX_REQUESTS 1,000, TIME_BUDGET_MS 25,000, CRON_BUDGET_MS
 * 60,000, TARGET_TIMEOUT_MS 10,000, the POLL_* waits. The `timers` run (not in the default
 * parts) checks an invocation past 1,000 deliveries/s at the default TARGET_TIMEOUT_MS, which
 * workerd's 10,000 active timers per invocation once stopped.
 */
export const LOAD_SETTINGS = {
  BATCH_SIZE: "100",
  CONCURRENCY: "50",
  MAX_MESSAGES: "1000000",
} as const;

/** The variables that make `mode` what it is. */
export function modeSettings(mode: Mode): Record<string, string> {
  switch (mode) {
    case "cron":
      return { DRAIN_MODE: "cron" };
    case "continuous":
      return { DRAIN_MODE: "continuous", MAX_PARALLEL_DRAINS: "1" };
    case "fanout":
      return { DRAIN_MODE: "continuous", MAX_PARALLEL_DRAINS: String(FANOUT_MAX) };
  }
}

/** Seconds of production per run; fewer (LOAD_SECONDS) only while developing the benchmark. */
export const SECONDS = Number(process.env.LOAD_SECONDS ?? 60);
/** A shorter run is a smoke run: it prints its results and leaves the result files alone. */
export const FULL = SECONDS >= 60;

const list = <T extends string | number>(
  name: string,
  fallback: T[],
  parse: (s: string) => T,
): T[] => {
  const raw = process.env[name];
  return raw ? raw.split(",").map((s) => parse(s.trim())) : fallback;
};

export const RATES = list("LOAD_RATES", [100, 1000, 5000], Number);
const ALL_MODES: Mode[] = ["cron", "continuous", "fanout"];
export const MODES = list<Mode>("LOAD_MODES", ALL_MODES, (s) => {
  const mode = ALL_MODES.find((m) => m === s);
  if (!mode) {
    throw new Error(`LOAD_MODES: unknown mode "${s}", expected ${ALL_MODES.join(", ")}`);
  }
  return mode;
});
/** Which measurements run (all by default): `runs`, `publish`, `timers`, `idle`, `cpu`, `scaling`. */
export const PARTS = new Set(
  list("LOAD_PARTS", ["runs", "publish", "idle", "cpu", "scaling"], String),
);

/**
 * The load runs: every rate in every mode, straight to Redis; one through POST /publish; one
 * short run at the default TARGET_TIMEOUT_MS.
 */
export function loadPlan(): LoadCase[] {
  const cases: LoadCase[] = [];
  if (PARTS.has("runs")) {
    for (const rate of RATES) {
      for (const mode of MODES) {
        cases.push({ rate, mode, source: "direct", seconds: SECONDS });
      }
    }
  }
  if (PARTS.has("publish")) {
    cases.push({ rate: 1000, mode: "fanout", source: "publish", seconds: SECONDS });
  }
  if (PARTS.has("timers")) {
    cases.push({
      rate: 2000,
      mode: "continuous",
      source: "direct",
      seconds: Math.round(SECONDS / 3),
      overrides: {
        settings: { TARGET_TIMEOUT_MS: "10000" },
        why: "TARGET_TIMEOUT_MS at its default, 10,000: one invocation past 1,000 deliveries/s",
      },
    });
  }
  return cases;
}

/** After production stops, a run waits this long at most for the backlog to clear. */
export const TAIL_SECONDS = Math.min(15, Math.max(3, Math.round(SECONDS / 4)));

/** Fan-out scaling: parallel in-process drains, and the backlog each of them gets. */
export const SCALING_KS = [1, 2, 4, 8];
export const SCALING_PER_DRAIN = FULL ? 2000 : 400;
export const SCALING_RUNS = FULL ? 3 : 1;

/** CPU: messages per measured drain, and how many drains are measured (median taken). */
export const CPU_N = FULL ? 10_000 : 2000;
export const CPU_RUNS = FULL ? 3 : 1;

/** Idle: the ticks of one hour, fired back to back. */
export const IDLE_CONSUME_TICKS = 60;
export const IDLE_SWEEP_TICKS = 12;
