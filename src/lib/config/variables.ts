/** @module The table of environment variables, source of the README's configuration table. */

import { DEFAULTS } from "./defaults";
import { SWEEP_MIN_REQUESTS, withTrim } from "./env-ranges";
import { BEARER, between, CRON, code, HTTP_URL, NAME_RULE, STREAMS_RULE } from "./expected";
import { CONTINUOUS_VARIABLES } from "./variables-continuous";
import { QUEUE_VARIABLES } from "./variables-queues";

export { CONFIG_RANGES } from "./env-ranges";

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
  /** Its value is a URL: echoed without userinfo, query string or fragment. */
  url?: true;
};

/** Every environment variable, in the order of the README's table. */
export const CONFIG_VARIABLES: readonly ConfigVariable[] = [
  {
    name: "UPSTASH_REDIS_REST_URL",
    default: "required",
    meaning: "the Upstash (or local bridge) REST endpoint",
    expected: HTTP_URL,
    url: true,
  },
  {
    name: "UPSTASH_REDIS_REST_TOKEN",
    default: "required",
    meaning: "the bearer token of that endpoint (a secret)",
    expected: BEARER,
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
    name: "STREAMS",
    default: "unset",
    meaning:
      "several streams in one Worker, instead of STREAM and GROUP: a list of entries, each with `stream`, `group` and any per-stream setting (`batchSize`, `maxDeliveries`, `dlqStream`, `targetUrl`, ...) overriding the Worker-wide variable; a TOML array of tables under `[vars]`, or the same as JSON (docs/many-streams.md)",
    expected: STREAMS_RULE,
  },
  {
    name: "GROUP_START_ID",
    default: code(DEFAULTS.groupStartId),
    meaning: "where a newly created group starts (`0` = whole history)",
    expected: '"$", "0" or a stream id like "1700000000000-0", each part at most 2^64 - 1',
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
    meaning:
      "most messages one drain reads with DRAIN_MODE=cron or `POST /drain`; a continuous drain is bounded by CRON_BUDGET_MS and MAX_REQUESTS instead",
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
    meaning:
      "a pending entry idle this long may be reclaimed; at least 1,000 ms because a handler's lease is renewed every MIN_IDLE_MS/2 with one round trip (tens of ms at the edge, hundreds under load): any shorter and the sweep reclaims entries still being handled, duplicates without any fault",
    expected: between("MIN_IDLE_MS"),
  },
  {
    name: "MAX_DELIVERIES",
    default: String(DEFAULTS.maxDeliveries),
    meaning:
      "failed handler runs after which a message is dead-lettered (failures are counted, not deliveries; one delivered more than 2·MAX_DELIVERIES+2 times is dead-lettered anyway)",
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
    meaning:
      "capacity of the DLQ, which is never trimmed: once it holds this many entries, messages due for it stay pending in their group (`dlq_full` logged) until dead letters are redriven or deleted",
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
      "seconds a success is remembered (key `<STREAM>:<GROUP>:done:<id>`, written with the ack, or on its own when the ack request fails): the drain and the sweep ack an id marked done without calling the handler, and the sweep never dead-letters it; 0 = off",
    expected: between("IDEMPOTENCY_TTL_S"),
  },
  {
    name: "NOACK",
    default: String(DEFAULTS.noAck),
    meaning:
      "fire-and-forget reads (`XREADGROUP ... NOACK`): nothing enters the PEL, nothing is acked or retried; a failed handler's message is dead-lettered at once (`noack_failed`), one whose invocation dies mid-handler is lost",
    expected: "true, false, 1 or 0",
  },
  {
    name: "TRIM",
    default: code(DEFAULTS.trim),
    meaning:
      "after a sweep, never removing an entry a group has pending or not yet read (`XTRIM MINID`): `acked` trims every entry all groups are done with; `maxlen:N` keeps the newest N, and more while a group still needs older ones",
    expected: '"none", "acked" or "maxlen:N" with N an integer of at least 1',
  },
  {
    name: "ADMIN_TOKEN",
    default: "unset",
    meaning: "bearer token for the HTTP API; unset = admin endpoints answer 403",
    expected: BEARER,
    secret: true,
  },
  {
    name: "TARGET_URL",
    default: "unset",
    meaning: "the ready-made handler POSTs each message here",
    expected: HTTP_URL,
    url: true,
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
    meaning: `most Upstash HTTP requests one drain, and one sweep, makes (Cloudflare caps subrequests per invocation); each stops before it. A sweep needs ${SWEEP_MIN_REQUESTS.none} to do one page (cursor read, claim, dead letters, ack) and what follows its pages (consumer hygiene, the group's resume point), more to trim`,
    expected: `${between("MAX_REQUESTS")}, ${withTrim(SWEEP_MIN_REQUESTS)}`,
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
  {
    name: "HISTORY_MINUTES",
    default: String(DEFAULTS.historyMinutes),
    meaning:
      "snapshots of each group kept for the dashboard's charts, one a minute (backlog, pending, DLQ length, throughput; key `<STREAM>:<GROUP>:history`), recorded after every drain and sweep with its report: one more request per stream per job, outside MAX_REQUESTS; 0 = off (docs/history.md)",
    expected: between("HISTORY_MINUTES"),
  },
  {
    name: "ALERT_IDLE_MS",
    default: String(DEFAULTS.alertIdleMs),
    meaning:
      "a consumer idle longer than this while holding pending entries is flagged as may-be-dead in `/stats` alerts and on the dashboard",
    expected: between("ALERT_IDLE_MS"),
  },
  ...CONTINUOUS_VARIABLES,
  ...QUEUE_VARIABLES,
];
