/** @module Parses and validates the Worker env into a fully-typed config. */

import { ConfigError } from "../errors";
import { streamKeys } from "../redis/keys";
import { sweepMinRequests } from "../sweep/options";
import { DEFAULTS } from "./defaults";
import {
  backoff,
  bearerToken,
  cron,
  type DrainMode,
  drainMode,
  flag,
  groupStartId,
  httpUrl,
  integer,
  isUnset,
  keyName,
  type Parser,
  Refusal,
  type RetryBackoff,
  type TrimPolicy,
  trim,
} from "./parsers";
import { redactUrl } from "./redact";
import { CONFIG_RANGES, CONFIG_VARIABLES } from "./variables";

export type { DrainMode, RetryBackoff, TrimPolicy } from "./parsers";
export { CONFIG_RANGES, CONFIG_VARIABLES, type ConfigVariable } from "./variables";

/** The validated configuration, every default applied. */
export type ResolvedConfig = {
  url: string;
  token: string;
  stream: string;
  group: string;
  groupStartId: string;
  batchSize: number;
  maxMessages: number;
  timeBudgetMs: number;
  concurrency: number;
  minIdleMs: number;
  maxDeliveries: number;
  dlqStream: string;
  dlqMaxLen: number;
  consumerRetentionMs: number;
  idempotencyTtlS: number;
  noAck: boolean;
  trim: TrimPolicy;
  adminToken: string | undefined;
  targetUrl: string | undefined;
  targetTimeoutMs: number;
  retryBackoff: RetryBackoff;
  maxBackoffMs: number;
  maxRequests: number;
  consumeCron: string;
  sweepCron: string;
  drainMode: DrainMode;
  pollMinMs: number;
  pollMaxMs: number;
  pollIdleMs: number;
  cronBudgetMs: number;
  maxParallelDrains: number;
  publishToken: string | undefined;
  maxMessageBytes: number;
};

const EXPECTED = new Map(CONFIG_VARIABLES.map((v) => [v.name, v]));

const SHOWN_MAX = 80;

/**
 * `"abc"` for strings, the literal for numbers/booleans, the type otherwise; a secret as
 * `<redacted>`, a URL without its userinfo, query string and fragment.
 */
function shown(name: string, value: unknown): string {
  const variable = EXPECTED.get(name);
  if (variable?.secret) {
    return "<redacted>";
  }
  if (typeof value === "string") {
    const safe = variable?.url ? redactUrl(value) : value;
    return JSON.stringify(safe.length > SHOWN_MAX ? `${safe.slice(0, SHOWN_MAX)}…` : safe);
  }
  if (typeof value === "number" || typeof value === "boolean") {
    return String(value);
  }
  return `a value of type ${value === null ? "null" : typeof value}`;
}

/** Collects every problem instead of stopping at the first, so one failed deploy shows all. */
class EnvReader {
  readonly problems: { name: string; text: string }[] = [];

  constructor(private readonly env: Record<string, unknown>) {}

  /** A variable without default; `""` stands in when missing so parsing can go on. */
  required(name: string, parser: Parser<string>): string {
    const raw = this.env[name];
    if (isUnset(raw)) {
      this.problems.push({ name, text: `${name} is required: ${expectedOf(name)}` });
      return "";
    }
    return this.parse(name, parser, raw) ?? "";
  }

  /** A variable whose absence means "off". */
  optional<T>(name: string, parser: Parser<T>): T | undefined {
    const raw = this.env[name];
    return isUnset(raw) ? undefined : this.parse(name, parser, raw);
  }

  /** A variable with a default, which goes through the same parser as a user value. */
  withDefault<T>(name: string, parser: Parser<T>, fallback: unknown): T {
    const raw = this.env[name];
    const value = isUnset(raw) ? undefined : this.parse(name, parser, raw);
    if (value !== undefined) {
      return value;
    }
    const parsed = parser(fallback);
    if (parsed === undefined || parsed instanceof Refusal) {
      throw new Error(`the default of ${name} breaks its own rule: ${JSON.stringify(fallback)}`);
    }
    return parsed;
  }

  /** A problem that is not one variable's own rule (a combination of two). */
  refuse(name: string, text: string): void {
    this.problems.push({ name, text });
  }

  /** @throws ConfigError listing every problem met so far */
  check(): void {
    if (this.problems.length > 0) {
      throw new ConfigError(
        this.problems.map((p) => p.name),
        this.problems.map((p) => p.text).join("; "),
      );
    }
  }

  private parse<T>(name: string, parser: Parser<T>, raw: unknown): T | undefined {
    const value = parser(raw);
    if (value !== undefined && !(value instanceof Refusal)) {
      return value;
    }
    const why = value instanceof Refusal ? `: ${value.why}` : "";
    this.problems.push({
      name,
      text: `${name} must be ${expectedOf(name)}, got ${shown(name, raw)}${why}`,
    });
    return undefined;
  }
}

const expectedOf = (name: string): string => EXPECTED.get(name)?.expected ?? "valid";

const trimText = (t: TrimPolicy): string => (t.kind === "maxlen" ? `maxlen:${t.maxLen}` : t.kind);

/**
 * Validates a Worker env. Vars may be strings or, when set as TOML numbers/booleans in
 * wrangler.toml, numbers/booleans; an empty string counts as unset.
 * @param env the Worker `env` (or any record of variables, e.g. `process.env`)
 * @returns the configuration with the defaults of {@link DEFAULTS} applied; DLQ_STREAM
 *   defaults to `${STREAM}:dlq`
 * @throws ConfigError naming each bad variable, what it got (secrets as `<redacted>`) and
 *   what it expects, problems separated by `; `
 */
export function parseConfig(env: Record<string, unknown>): ResolvedConfig {
  const r = new EnvReader(env);
  const int = (name: keyof typeof CONFIG_RANGES, fallback: number): number =>
    r.withDefault(name, integer(CONFIG_RANGES[name]), fallback);

  const stream = r.required("STREAM", keyName);
  const group = r.required("GROUP", keyName);
  const dlqStream = r.optional("DLQ_STREAM", keyName);
  const config: ResolvedConfig = {
    url: r.required("UPSTASH_REDIS_REST_URL", httpUrl).trim(),
    token: r.required("UPSTASH_REDIS_REST_TOKEN", bearerToken),
    stream,
    group,
    groupStartId: r.withDefault("GROUP_START_ID", groupStartId, DEFAULTS.groupStartId),
    batchSize: int("BATCH_SIZE", DEFAULTS.batchSize),
    maxMessages: int("MAX_MESSAGES", DEFAULTS.maxMessages),
    timeBudgetMs: int("TIME_BUDGET_MS", DEFAULTS.timeBudgetMs),
    concurrency: int("CONCURRENCY", DEFAULTS.concurrency),
    minIdleMs: int("MIN_IDLE_MS", DEFAULTS.minIdleMs),
    maxDeliveries: int("MAX_DELIVERIES", DEFAULTS.maxDeliveries),
    dlqStream: streamKeys(stream, group, dlqStream).dlq,
    dlqMaxLen: int("DLQ_MAXLEN", DEFAULTS.dlqMaxLen),
    consumerRetentionMs: int("CONSUMER_RETENTION_MS", DEFAULTS.consumerRetentionMs),
    idempotencyTtlS: int("IDEMPOTENCY_TTL_S", DEFAULTS.idempotencyTtlS),
    noAck: r.withDefault("NOACK", flag, DEFAULTS.noAck),
    trim: r.withDefault("TRIM", trim, DEFAULTS.trim),
    adminToken: r.optional("ADMIN_TOKEN", bearerToken),
    targetUrl: r.optional("TARGET_URL", httpUrl)?.trim(),
    targetTimeoutMs: int("TARGET_TIMEOUT_MS", DEFAULTS.targetTimeoutMs),
    retryBackoff: r.withDefault("RETRY_BACKOFF", backoff, DEFAULTS.retryBackoff),
    maxBackoffMs: int("MAX_BACKOFF_MS", DEFAULTS.maxBackoffMs),
    maxRequests: int("MAX_REQUESTS", DEFAULTS.maxRequests),
    consumeCron: r.withDefault("CONSUME_CRON", cron, DEFAULTS.consumeCron),
    sweepCron: r.withDefault("SWEEP_CRON", cron, DEFAULTS.sweepCron),
    drainMode: r.withDefault("DRAIN_MODE", drainMode, DEFAULTS.drainMode),
    pollMinMs: int("POLL_MIN_MS", DEFAULTS.pollMinMs),
    pollMaxMs: int("POLL_MAX_MS", DEFAULTS.pollMaxMs),
    pollIdleMs: int("POLL_IDLE_MS", DEFAULTS.pollIdleMs),
    cronBudgetMs: int("CRON_BUDGET_MS", DEFAULTS.cronBudgetMs),
    maxParallelDrains: int("MAX_PARALLEL_DRAINS", DEFAULTS.maxParallelDrains),
    publishToken: r.optional("PUBLISH_TOKEN", bearerToken),
    maxMessageBytes: int("MAX_MESSAGE_BYTES", DEFAULTS.maxMessageBytes),
  };

  if (config.pollMinMs > config.pollMaxMs) {
    r.refuse(
      "POLL_MIN_MS",
      `POLL_MIN_MS must not exceed POLL_MAX_MS, got ${config.pollMinMs} and ${config.pollMaxMs}`,
    );
  }
  // A DLQ equal to the stream would feed dead letters back to the handler forever.
  if (dlqStream !== undefined && dlqStream === stream) {
    r.refuse(
      "DLQ_STREAM",
      `DLQ_STREAM must differ from STREAM, got ${shown("DLQ_STREAM", env.DLQ_STREAM)}`,
    );
  }
  // Trimming takes requests of its own at the end of every sweep, on top of one page.
  const least = sweepMinRequests(config.trim, DEFAULTS.sweepPageSize);
  if (!r.problems.some((p) => p.name === "MAX_REQUESTS") && config.maxRequests < least) {
    r.refuse(
      "MAX_REQUESTS",
      `MAX_REQUESTS must be at least ${least} with TRIM=${trimText(config.trim)}: one sweep page and the trim after it need that many requests, got ${config.maxRequests}`,
    );
  }
  r.check();
  return config;
}

/**
 * ADMIN_TOKEN alone, by the same rule as {@link parseConfig}: the admin routes check the token
 * before the rest of the env is read, so that only the admin sees configuration errors.
 * @returns the token, or `undefined` when it is unset (the admin API is off)
 * @throws ConfigError naming ADMIN_TOKEN, never showing its value
 */
export function parseAdminToken(env: Record<string, unknown>): string | undefined {
  const r = new EnvReader(env);
  const token = r.optional("ADMIN_TOKEN", bearerToken);
  r.check();
  return token;
}
