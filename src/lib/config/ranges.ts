/** @module Ranges of every numeric option, shared by the library's checks, the env and the HTTP API. */
import { ConfigError } from "../errors";

const DAY_MS = 86_400_000;

/**
 * Inclusive `[min, max]` of an integer option, and `configMin` when the environment variable
 * (and an HTTP query parameter of the same meaning) must not go as low as the library allows:
 * tests drive the library with values no deployment should run with.
 */
export type Range = readonly [min: number, max: number, configMin?: number];

/**
 * The range of each integer option. The environment variables use the same ranges under their
 * own names (`variables.ts`, through {@link configRange}), and the HTTP API's query
 * parameters too.
 */
export const RANGES = {
  batchSize: [1, 10_000],
  maxMessages: [1, 1_000_000],
  // Below 100 ms a drain is cut off before one round trip to Upstash comes back.
  timeBudgetMs: [100, 900_000],
  concurrency: [1, 1000],
  // Deployed, at least 1 s: a lease renews every minIdleMs / 2, one round trip each (tens of
  // ms at the edge, hundreds under load). At 100 ms that is every 50 ms, about one round trip:
  // a renewal a little late lets the sweep reclaim an entry still being handled, a duplicate
  // without any fault. At 1 s a renewal has 500 ms to land.
  minIdleMs: [1, 7 * DAY_MS, 1000],
  leaseMs: [1, 7 * DAY_MS],
  maxDeliveries: [1, 1000],
  dlqMaxLen: [1, 1_000_000_000],
  consumerRetentionMs: [0, 30 * DAY_MS],
  idempotencyTtlS: [0, 30 * 86_400],
  targetTimeoutMs: [1, 900_000],
  maxBackoffMs: [1, Number.MAX_SAFE_INTEGER],
  // 3: one read, one ack flush and one dead-letter call must fit in any drain. The sweep
  // needs more for one page; its minimum follows its request plan (`sweepMinRequests`), and
  // MAX_REQUESTS, which caps both jobs, starts there (`CONFIG_RANGES`).
  maxRequests: [3, 100_000],
  sweepPageSize: [1, 10_000],
  /** Wait after an empty read while polling; doubles up to pollMaxMs. */
  pollMinMs: [1, 60_000],
  pollMaxMs: [1, 60_000],
  /** Polling stops once nothing has arrived for this long. */
  pollIdleMs: [0, 900_000],
  /** A cron drain's time budget in continuous mode (Cron Triggers allow 15 minutes of wall time). */
  cronBudgetMs: [100, 900_000],
  /** Cloudflare Queues autoscales a consumer to at most 250 concurrent invocations. */
  maxParallelDrains: [1, 250],
  /** One message given to POST /publish, in bytes of JSON: below Upstash's 10 MiB request limit. */
  maxMessageBytes: [1, 9 * 1024 * 1024],
  /** Entries one dead-letter listing or redrive handles. */
  listCount: [1, 1000],
  /** Entries of STREAMS: every stream takes part of each tick's requests (MAX_REQUESTS). */
  streams: [1, 50],
  /** A queue message's delay in seconds: Cloudflare Queues allows up to 24 hours. */
  delaySeconds: [0, 86_400],
  /** Messages of one queue `sendBatch`: Cloudflare Queues takes at most 100. */
  queueBatch: [1, 100],
  /** Delayed messages one promotion moves: each is an XADD inside one script run. */
  promoteBatch: [1, 10_000],
  /** Cloudflare Queues' `max_batch_timeout` goes up to 60 s. */
  maxBatchTimeoutMs: [0, 60_000],
  /** Snapshots of a group's history kept, one a minute: up to 7 days; 0 = not recorded. */
  historyMinutes: [0, 7 * 1440],
  /** Idle time after which a consumer holding pending entries is flagged: 1 s to 1 day. */
  alertIdleMs: [1000, 86_400_000],
} as const satisfies Record<string, Range>;

export type RangeName = keyof typeof RANGES;

/** The `[min, max]` an environment variable or HTTP query parameter is held to. */
export function configRange([min, max, configMin]: Range): readonly [number, number] {
  return [configMin ?? min, max];
}

/** "an integer between 1 and 10000", or "an integer of at least 1" when unbounded above. */
export function describeRange([min, max]: Range): string {
  return max === Number.MAX_SAFE_INTEGER
    ? `an integer of at least ${min}`
    : `an integer between ${min} and ${max}`;
}

/** An options type once its defaults are applied: every option set but `Open` ones. */
export type Resolved<O, Open extends keyof O> = Required<Omit<O, Open>> & Pick<O, Open>;

/** The options every job (drain, sweep) must be given: where to read, as whom, with what. */
export const JOB_RULES = {
  strings: ["stream", "group", "consumer"],
  functions: ["handler"],
} as const;

/** What {@link validateOptions} checks in an options object. */
export type OptionRules = {
  /**
   * Integer options, each checked against the range of the same name, or `[option, range]`
   * where the names differ; `undefined` values pass (the default applies).
   */
  integers: readonly (RangeName | readonly [string, RangeName])[];
  /** Options that must be non-empty strings. */
  strings: readonly string[];
  /** Options that must be functions. */
  functions?: readonly string[];
  /** Options that, when set, must be one of the listed values. */
  oneOf?: Record<string, readonly unknown[]>;
};

/**
 * Checks a library call's options, collecting every problem so one error lists them all.
 * @throws ConfigError naming each bad option, the value it got and what it expects
 */
export function validateOptions(options: object, rules: OptionRules): void {
  const o = options as Record<string, unknown>;
  const problems: [string, string][] = [];
  for (const rule of rules.integers) {
    const [name, range] = typeof rule === "string" ? [rule, rule] : rule;
    const value = o[name];
    const [min, max] = RANGES[range];
    const ok = typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;
    if (value !== undefined && !ok) {
      problems.push([name, `${name} must be ${describeRange(RANGES[range])}, got ${shown(value)}`]);
    }
  }
  for (const name of rules.strings) {
    if (typeof o[name] !== "string" || o[name] === "") {
      problems.push([name, `${name} must be a non-empty string, got ${shown(o[name])}`]);
    }
  }
  for (const name of rules.functions ?? []) {
    if (typeof o[name] !== "function") {
      problems.push([name, `${name} must be a function`]);
    }
  }
  for (const [name, allowed] of Object.entries(rules.oneOf ?? {})) {
    if (o[name] !== undefined && !allowed.includes(o[name])) {
      const list = allowed.map((a) => JSON.stringify(a)).join(", ");
      problems.push([name, `${name} must be one of ${list}, got ${shown(o[name])}`]);
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(
      problems.map(([n]) => n),
      problems.map(([, t]) => t).join("; "),
    );
  }
}

function shown(value: unknown): string {
  return value === undefined ? "undefined" : (JSON.stringify(value) ?? String(value));
}
