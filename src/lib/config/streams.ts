/** @module STREAMS: several streams in one Worker, each entry a stream's overrides of the Worker-wide variables. */

import { ConfigError } from "../errors";
import { sweepMinRequests } from "../sweep/options";
import { DEFAULTS } from "./defaults";
import { EnvReader, type Problem, shown, throwProblems } from "./env-reader";
import { STREAMS_RULE } from "./expected";
import { isUnset } from "./parsers";
import { RANGES } from "./ranges";
import { type ResolvedConfig, readConfig } from "./read";

/**
 * The settings a stream entry may override, by the name it has in the entry, and the
 * variable it stands for. Everything else (the Redis endpoint, the tokens, the crons, the
 * drain mode, CRON_BUDGET_MS and MAX_REQUESTS, which is the invocation's request cap) is
 * Worker-wide.
 */
export const STREAM_SETTINGS = {
  stream: "STREAM",
  group: "GROUP",
  groupStartId: "GROUP_START_ID",
  batchSize: "BATCH_SIZE",
  maxMessages: "MAX_MESSAGES",
  timeBudgetMs: "TIME_BUDGET_MS",
  concurrency: "CONCURRENCY",
  minIdleMs: "MIN_IDLE_MS",
  maxDeliveries: "MAX_DELIVERIES",
  dlqStream: "DLQ_STREAM",
  dlqMaxLen: "DLQ_MAXLEN",
  consumerRetentionMs: "CONSUMER_RETENTION_MS",
  idempotencyTtlS: "IDEMPOTENCY_TTL_S",
  noAck: "NOACK",
  trim: "TRIM",
  targetUrl: "TARGET_URL",
  targetTimeoutMs: "TARGET_TIMEOUT_MS",
  retryBackoff: "RETRY_BACKOFF",
  maxBackoffMs: "MAX_BACKOFF_MS",
  pollMinMs: "POLL_MIN_MS",
  pollMaxMs: "POLL_MAX_MS",
  pollIdleMs: "POLL_IDLE_MS",
  maxParallelDrains: "MAX_PARALLEL_DRAINS",
  maxMessageBytes: "MAX_MESSAGE_BYTES",
  retryDelayS: "RETRY_DELAY_S",
  maxBatchTimeoutMs: "MAX_BATCH_TIMEOUT_MS",
  queueBodyField: "QUEUE_BODY_FIELD",
} as const;

export type StreamSetting = keyof typeof STREAM_SETTINGS;

/** Most entries of STREAMS: every stream costs requests of each tick's shared budget. */
export const MAX_STREAMS = RANGES.streams[1];

const SETTING_NAMES = Object.keys(STREAM_SETTINGS) as StreamSetting[];
const isSetting = (key: string): key is StreamSetting => Object.hasOwn(STREAM_SETTINGS, key);

/** `STREAMS[2]`: how errors name an entry (0-based, as in the JSON array). */
export const entryLabel = (index: number): string => `STREAMS[${index}]`;

/**
 * Every stream the Worker serves: one for STREAM/GROUP ({@link parseConfig}), or one per
 * entry of STREAMS, each the Worker-wide variables with the entry's settings over them.
 * STREAMS is a JSON array (a string, or the array itself: wrangler passes a TOML array of
 * tables under `[vars]` as JSON).
 * @throws ConfigError naming every problem: an entry's as `STREAMS[2].batchSize must be ...`;
 *   STREAMS beside STREAM or GROUP; a setting that is not per-stream; the same stream and group
 *   twice; a dead-letter stream that is another entry's stream or dead-letter stream; a
 *   MAX_REQUESTS too small to give every stream's sweep one page
 */
export function parseStreamConfigs(env: Record<string, unknown>): ResolvedConfig[] {
  if (isUnset(env.STREAMS)) {
    const r = new EnvReader(env);
    const config = readConfig(r);
    r.check();
    return [config];
  }
  const { entries, problems } = readEntries(env);
  const configs: ResolvedConfig[] = [];
  entries.forEach((entry, i) => {
    // An entry that is not an object is said as such, not as a missing stream and group.
    if (entry !== undefined) {
      const { overlay, labels } = entryEnv(env, entry, i);
      const r = new EnvReader(overlay, labels);
      configs.push(readConfig(r));
      problems.push(...r.problems);
    }
  });
  if (configs.length === entries.length) {
    problems.push(...crossEntryProblems(configs));
  }
  throwProblems(problems);
  return configs;
}

/**
 * The entries of STREAMS, with what is wrong with them: an entry that is not an object
 * (`undefined` in its place), a key that is not a per-stream setting.
 * @throws ConfigError when STREAMS is not a JSON array of 1 to {@link MAX_STREAMS} entries, or
 *   when STREAM or GROUP is set beside it
 */
function readEntries(env: Record<string, unknown>): {
  entries: (Record<string, unknown> | undefined)[];
  problems: Problem[];
} {
  const refuse = (text: string): never => {
    throw new ConfigError("STREAMS", `STREAMS must be ${STREAMS_RULE}, got ${text}`);
  };
  if (!isUnset(env.STREAM) || !isUnset(env.GROUP)) {
    const both = ["STREAM", "GROUP"].filter((n) => !isUnset(env[n]));
    throw new ConfigError(
      ["STREAMS", ...both],
      `STREAMS is set beside ${both.join(" and ")}: configure the streams in one place, as entries of STREAMS (each with its stream and group), and remove ${both.join(" and ")}`,
    );
  }
  let list = env.STREAMS;
  if (typeof list === "string") {
    try {
      list = JSON.parse(list);
    } catch {
      refuse(`${shown("STREAMS", env.STREAMS)}: not valid JSON`);
    }
  }
  if (!Array.isArray(list)) {
    return refuse(shown("STREAMS", list));
  }
  if (list.length < RANGES.streams[0] || list.length > MAX_STREAMS) {
    refuse(`an array of ${list.length} entries`);
  }
  const problems: Problem[] = [];
  const entries = (list as unknown[]).map((entry, i) => {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      const got = Array.isArray(entry) ? "an array" : shown("STREAMS", entry);
      problems.push({
        name: entryLabel(i),
        text: `${entryLabel(i)} must be an object with stream, group and per-stream settings, got ${got}`,
      });
      return undefined;
    }
    for (const key of Object.keys(entry).filter((k) => !isSetting(k))) {
      const name = `${entryLabel(i)}.${key}`;
      problems.push({ name, text: `${name} is not a per-stream setting: ${notASetting(key)}` });
    }
    return entry as Record<string, unknown>;
  });
  return { entries, problems };
}

/** Why `key` is refused in an entry, and what the entry may hold instead. */
function notASetting(key: string): string {
  const variable = key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
  const known = `an entry may set ${SETTING_NAMES.join(", ")}`;
  return WORKER_WIDE.has(variable)
    ? `${variable} is Worker-wide (one value for every stream); ${known}`
    : known;
}

const WORKER_WIDE = new Set([
  "UPSTASH_REDIS_REST_URL",
  "UPSTASH_REDIS_REST_TOKEN",
  "ADMIN_TOKEN",
  "PUBLISH_TOKEN",
  "MAX_REQUESTS",
  "CONSUME_CRON",
  "SWEEP_CRON",
  "DRAIN_MODE",
  "CRON_BUDGET_MS",
]);

/**
 * The env one entry is read from: the Worker-wide variables with the entry's settings over
 * them, and the labels its errors use. STREAM and GROUP always come from the entry.
 */
function entryEnv(env: Record<string, unknown>, entry: Record<string, unknown>, index: number) {
  const overlay: Record<string, unknown> = { ...env, STREAMS: undefined };
  const labels = new Map<string, string>();
  for (const key of SETTING_NAMES) {
    const variable = STREAM_SETTINGS[key];
    if (key === "stream" || key === "group" || Object.hasOwn(entry, key)) {
      overlay[variable] = entry[key];
      labels.set(variable, `${entryLabel(index)}.${key}`);
    }
  }
  return { overlay, labels };
}

/**
 * What no entry shows on its own: the same stream and group twice; a dead-letter stream that
 * is another entry's stream (its dead letters would be handled as messages) or another
 * entry's dead-letter stream (a redrive could not tell whose they are); a MAX_REQUESTS that,
 * shared by every stream, leaves a stream's sweep less than one page.
 */
function crossEntryProblems(configs: readonly ResolvedConfig[]): Problem[] {
  const problems: Problem[] = [];
  const streams = new Map(configs.map((c, i) => [c.stream, i]));
  configs.forEach((c, i) => {
    const label = entryLabel(i);
    const twin = configs.findIndex((o) => o.stream === c.stream && o.group === c.group);
    if (twin < i) {
      problems.push({
        name: `${label}.group`,
        text: `${label} has the stream ${JSON.stringify(c.stream)} and group ${JSON.stringify(c.group)} of ${entryLabel(twin)}: each pair once`,
      });
    }
    const asStream = streams.get(c.dlqStream);
    if (asStream !== undefined && asStream !== i) {
      problems.push({
        name: `${label}.dlqStream`,
        text: `${label}.dlqStream ${JSON.stringify(c.dlqStream)} is the stream of ${entryLabel(asStream)}: its dead letters would be handled as that stream's messages`,
      });
    }
    const shared = configs.findIndex((o) => o.dlqStream === c.dlqStream);
    if (shared < i && twin >= i) {
      problems.push({
        name: `${label}.dlqStream`,
        text: `${label}.dlqStream ${JSON.stringify(c.dlqStream)} is also the dead-letter stream of ${entryLabel(shared)}: give each entry its own dlqStream (the default is "<stream>:dlq")`,
      });
    }
  });
  const least = Math.max(...configs.map((c) => sweepMinRequests(c.trim, DEFAULTS.sweepPageSize)));
  const maxRequests = configs[0]?.maxRequests ?? 0;
  if (Math.floor(maxRequests / configs.length) < least) {
    problems.push({
      name: "MAX_REQUESTS",
      text: `MAX_REQUESTS must be at least ${least * configs.length} for ${configs.length} streams: a tick shares it between them, and each stream's sweep needs ${least} for one page, got ${maxRequests}`,
    });
  }
  return problems;
}
