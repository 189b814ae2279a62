import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderConfigTable } from "../../dev/config-table";
import { DEFAULTS } from "../../src/lib/config/defaults";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const toml = readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8");

describe("the README's own handler", () => {
  it("is examples/worker.ts verbatim, the Worker the package test builds", () => {
    const example = readFileSync(new URL("../../examples/worker.ts", import.meta.url), "utf8");
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``);
  });
});

describe("documented configuration", () => {
  it("has the README table rendered from config-variables.ts (npx tsx dev/config-table.ts)", () => {
    const table = /<!-- config-table:start -->\n([\s\S]*?)\n<!-- config-table:end -->/.exec(
      readme,
    )?.[1];
    expect(table).toBe(renderConfigTable());
  });

  it("ships wrangler.toml [vars] equal to the defaults", () => {
    const vars = Object.fromEntries(
      [...toml.matchAll(/^([A-Z_]+) = "(.*)"$/gm)].map((m) => [m[1] ?? "", m[2] ?? ""]),
    );
    expect(vars).toMatchObject({
      BATCH_SIZE: String(DEFAULTS.batchSize),
      MAX_MESSAGES: String(DEFAULTS.maxMessages),
      TIME_BUDGET_MS: String(DEFAULTS.timeBudgetMs),
      CONCURRENCY: String(DEFAULTS.concurrency),
      MIN_IDLE_MS: String(DEFAULTS.minIdleMs),
      MAX_DELIVERIES: String(DEFAULTS.maxDeliveries),
      DLQ_MAXLEN: String(DEFAULTS.dlqMaxLen),
      CONSUMER_RETENTION_MS: String(DEFAULTS.consumerRetentionMs),
      IDEMPOTENCY_TTL_S: String(DEFAULTS.idempotencyTtlS),
      NOACK: String(DEFAULTS.noAck),
      TRIM: DEFAULTS.trim,
      TARGET_TIMEOUT_MS: String(DEFAULTS.targetTimeoutMs),
      RETRY_BACKOFF: DEFAULTS.retryBackoff,
      MAX_BACKOFF_MS: String(DEFAULTS.maxBackoffMs),
      MAX_REQUESTS: String(DEFAULTS.maxRequests),
      CONSUME_CRON: DEFAULTS.consumeCron,
      SWEEP_CRON: DEFAULTS.sweepCron,
      GROUP_START_ID: DEFAULTS.groupStartId,
    });
  });

  it("lists both crons under [triggers]", () => {
    expect(toml).toContain(`crons = ["${DEFAULTS.consumeCron}", "${DEFAULTS.sweepCron}"]`);
  });
});
