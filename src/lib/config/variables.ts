/** @module The table of environment variables, source of the README's configuration table. */

import { DEFAULTS } from "./defaults";
import { describeRange, RANGES } from "./ranges";

/** One environment variable as documented to users. */
export type ConfigVariable = {
  /** Variable name, e.g. `BATCH_SIZE`. */
  name: string;
  /** Default as shown to users: a value, `required` or `unset`. */
  default: string;
  /** What it does. */
  meaning: string;
  /** What a valid value looks like; validation errors quote this after "must be". */
  expected: string;
  /** Its value is a secret: never echoed back in errors. */
  secret?: true;
};

const code = (value: string): string => `\`${value}\``;

/** Ranges enforced by the parser: the library's {@link RANGES} under the variables' names. */
export const CONFIG_RANGES = {
  BATCH_SIZE: RANGES.batchSize,
  MAX_MESSAGES: RANGES.maxMessages,
  TIME_BUDGET_MS: RANGES.timeBudgetMs,
  CONCURRENCY: RANGES.concurrency,
  MIN_IDLE_MS: RANGES.minIdleMs,
  MAX_DELIVERIES: RANGES.maxDeliveries,
  DLQ_MAXLEN: RANGES.dlqMaxLen,
  CONSUMER_RETENTION_MS: RANGES.consumerRetentionMs,
  IDEMPOTENCY_TTL_S: RANGES.idempotencyTtlS,
  TARGET_TIMEOUT_MS: RANGES.targetTimeoutMs,
  MAX_BACKOFF_MS: RANGES.maxBackoffMs,
  MAX_REQUESTS: RANGES.maxRequests,
} as const satisfies Record<string, readonly [number, number]>;

type RangedName = keyof typeof CONFIG_RANGES;

const between = (name: RangedName): string => describeRange(CONFIG_RANGES[name]);

const NAME_RULE = "a non-empty string of at most 256 characters without control characters";
const HTTP_URL = "an http(s) URL";
const CRON = "a cron expression of 5 fields";

/** Every environment variable, in the order of the README's table. */
export const CONFIG_VARIABLES: readonly ConfigVariable[] = [
  {
    name: "UPSTASH_REDIS_REST_URL",
    default: "required",
    meaning: "the Upstash (or local bridge) REST endpoint",
    expected: HTTP_URL,
  },
  {
    name: "UPSTASH_REDIS_REST_TOKEN",
    default: "required",
    meaning: "the bearer token of that endpoint (a secret)",
    expected: "a non-empty string",
    secret: true,
  },
  {
    name: "STREAM",
    default: "required",
    meaning: "stream key, e.g. `orders:payments`",
    expected: NAME_RULE,
  },
  {
    name: "GROUP",
    default: "required",
    meaning: "consumer group, e.g. `payment-processors`",
    expected: NAME_RULE,
  },
  {
    name: "GROUP_START_ID",
    default: code(DEFAULTS.groupStartId),
    meaning: "where a newly created group starts (`0` = whole history)",
    expected: '"$", "0" or a stream id like "1700000000000-0"',
  },
  {
    name: "BATCH_SIZE",
    default: String(DEFAULTS.batchSize),
    meaning: "COUNT of one XREADGROUP",
    expected: between("BATCH_SIZE"),
  },
  {
    name: "MAX_MESSAGES",
    default: String(DEFAULTS.maxMessages),
    meaning: "most messages one invocation reads",
    expected: between("MAX_MESSAGES"),
  },
  {
    name: "TIME_BUDGET_MS",
    default: String(DEFAULTS.timeBudgetMs),
    meaning: "stop reading new batches when the rest of the budget is too short for one more",
    expected: between("TIME_BUDGET_MS"),
  },
  {
    name: "CONCURRENCY",
    default: String(DEFAULTS.concurrency),
    meaning: "handler calls in flight at once",
    expected: between("CONCURRENCY"),
  },
  {
    name: "MIN_IDLE_MS",
    default: String(DEFAULTS.minIdleMs),
    meaning: "a pending entry idle this long may be reclaimed",
    expected: between("MIN_IDLE_MS"),
  },
  {
    name: "MAX_DELIVERIES",
    default: String(DEFAULTS.maxDeliveries),
    meaning: "deliveries after which a failing message is dead-lettered",
    expected: between("MAX_DELIVERIES"),
  },
  {
    name: "DLQ_STREAM",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shown to users literally
    default: code("${STREAM}:dlq"),
    meaning: "dead-letter stream",
    expected: `${NAME_RULE}, different from STREAM`,
  },
  {
    name: "DLQ_MAXLEN",
    default: String(DEFAULTS.dlqMaxLen),
    meaning: "approximate cap of the DLQ (`XADD ... MAXLEN ~`)",
    expected: between("DLQ_MAXLEN"),
  },
  {
    name: "CONSUMER_RETENTION_MS",
    default: String(DEFAULTS.consumerRetentionMs),
    meaning: "idle consumers with no pending entries older than this are deleted",
    expected: between("CONSUMER_RETENTION_MS"),
  },
  {
    name: "IDEMPOTENCY_TTL_S",
    default: DEFAULTS.idempotencyTtlS === 0 ? "0 (off)" : String(DEFAULTS.idempotencyTtlS),
    meaning:
      "seconds a success is remembered (key `<STREAM>:<GROUP>:done:<id>`, written with the ack): a drain that reads the id again within it (e.g. after a group reset) acks it without calling the handler; the sweep does not check it; 0 = off",
    expected: between("IDEMPOTENCY_TTL_S"),
  },
  {
    name: "NOACK",
    default: String(DEFAULTS.noAck),
    meaning:
      "fire-and-forget reads (`XREADGROUP ... NOACK`): nothing enters the PEL, nothing is acked or retried",
    expected: "true, false, 1 or 0",
  },
  {
    name: "TRIM",
    default: code(DEFAULTS.trim),
    meaning:
      "after a sweep: `acked` trims (`XTRIM MINID`) entries every group has been delivered and acked; `maxlen:N` keeps about the last N (`MAXLEN ~`)",
    expected: '"none", "acked" or "maxlen:N" with N an integer of at least 1',
  },
  {
    name: "ADMIN_TOKEN",
    default: "unset",
    meaning: "bearer token for the HTTP API; unset = admin endpoints answer 403",
    expected: "a non-empty string",
    secret: true,
  },
  {
    name: "TARGET_URL",
    default: "unset",
    meaning: "the ready-made handler POSTs each message here",
    expected: HTTP_URL,
  },
  {
    name: "TARGET_TIMEOUT_MS",
    default: String(DEFAULTS.targetTimeoutMs),
    meaning: "per-delivery timeout of that POST",
    expected: between("TARGET_TIMEOUT_MS"),
  },
  {
    name: "RETRY_BACKOFF",
    default: code(DEFAULTS.retryBackoff),
    meaning:
      "`fixed`: reclaim after MIN_IDLE_MS; `exponential`: after MIN_IDLE_MS·2^(deliveries−1), capped at MAX_BACKOFF_MS",
    expected: '"fixed" or "exponential"',
  },
  {
    name: "MAX_BACKOFF_MS",
    default: String(DEFAULTS.maxBackoffMs),
    meaning: "cap of the exponential backoff",
    expected: between("MAX_BACKOFF_MS"),
  },
  {
    name: "MAX_REQUESTS",
    default: String(DEFAULTS.maxRequests),
    meaning:
      "most Upstash HTTP requests one invocation makes (Cloudflare caps subrequests per invocation); the drain stops before it",
    expected: between("MAX_REQUESTS"),
  },
  {
    name: "CONSUME_CRON",
    default: code(DEFAULTS.consumeCron),
    meaning: "the trigger that runs the drain; must also be listed in `[triggers] crons`",
    expected: CRON,
  },
  {
    name: "SWEEP_CRON",
    default: code(DEFAULTS.sweepCron),
    meaning: "the trigger that runs the sweep; must also be listed in `[triggers] crons`",
    expected: CRON,
  },
];
