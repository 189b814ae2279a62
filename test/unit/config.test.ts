import { describe, expect, it } from "vitest";
import { DEFAULTS } from "../../src/lib/config/defaults";
import { CONFIG_VARIABLES, parseAdminToken, parseConfig } from "../../src/lib/config/env";
import { ConfigError } from "../../src/lib/errors";
import { sweepMinRequests } from "../../src/lib/sweep/options";
import { refusal } from "../helpers/refusal";

const configError = (env: Record<string, unknown>) => refusal(ConfigError, () => parseConfig(env));

const BASE = {
  UPSTASH_REDIS_REST_URL: "http://127.0.0.1:8079",
  UPSTASH_REDIS_REST_TOKEN: "s3cret-token",
  STREAM: "orders:payments",
  GROUP: "payment-processors",
};

describe("parseConfig", () => {
  it("applies every default when only the required variables are set", () => {
    expect(parseConfig(BASE)).toEqual({
      url: "http://127.0.0.1:8079",
      token: "s3cret-token",
      stream: "orders:payments",
      group: "payment-processors",
      groupStartId: DEFAULTS.groupStartId,
      batchSize: DEFAULTS.batchSize,
      maxMessages: DEFAULTS.maxMessages,
      timeBudgetMs: DEFAULTS.timeBudgetMs,
      concurrency: DEFAULTS.concurrency,
      minIdleMs: DEFAULTS.minIdleMs,
      maxDeliveries: DEFAULTS.maxDeliveries,
      dlqStream: "orders:payments:dlq",
      dlqMaxLen: DEFAULTS.dlqMaxLen,
      consumerRetentionMs: DEFAULTS.consumerRetentionMs,
      idempotencyTtlS: DEFAULTS.idempotencyTtlS,
      noAck: DEFAULTS.noAck,
      trim: { kind: "none" },
      adminToken: undefined,
      targetUrl: undefined,
      targetTimeoutMs: DEFAULTS.targetTimeoutMs,
      retryBackoff: DEFAULTS.retryBackoff,
      maxBackoffMs: DEFAULTS.maxBackoffMs,
      maxRequests: DEFAULTS.maxRequests,
      consumeCron: DEFAULTS.consumeCron,
      sweepCron: DEFAULTS.sweepCron,
      drainMode: DEFAULTS.drainMode,
      pollMinMs: DEFAULTS.pollMinMs,
      pollMaxMs: DEFAULTS.pollMaxMs,
      pollIdleMs: DEFAULTS.pollIdleMs,
      cronBudgetMs: DEFAULTS.cronBudgetMs,
      maxParallelDrains: DEFAULTS.maxParallelDrains,
      publishToken: undefined,
      maxMessageBytes: DEFAULTS.maxMessageBytes,
      retryDelayS: DEFAULTS.retryDelayS,
      maxBatchTimeoutMs: DEFAULTS.maxBatchTimeoutMs,
      queueBodyField: DEFAULTS.queueBodyField,
      historyMinutes: DEFAULTS.historyMinutes,
      alertIdleMs: DEFAULTS.alertIdleMs,
    });
  });

  it("treats empty strings of optional variables as unset", () => {
    const config = parseConfig({ ...BASE, BATCH_SIZE: "", ADMIN_TOKEN: "", DLQ_STREAM: "" });
    expect(config.batchSize).toBe(50);
    expect(config.adminToken).toBeUndefined();
    expect(config.dlqStream).toBe("orders:payments:dlq");
  });

  it("reads numbers given as strings or as TOML numbers", () => {
    const config = parseConfig({ ...BASE, BATCH_SIZE: "200", MAX_MESSAGES: 5000 });
    expect(config.batchSize).toBe(200);
    expect(config.maxMessages).toBe(5000);
  });

  it("keeps a numeric-looking STREAM and GROUP as strings", () => {
    const config = parseConfig({ ...BASE, STREAM: "123", GROUP: 456 });
    expect(config.stream).toBe("123");
    expect(config.group).toBe("456");
    expect(config.dlqStream).toBe("123:dlq");
  });

  it("allows spaces and unicode in STREAM", () => {
    expect(parseConfig({ ...BASE, STREAM: "commandes été" }).stream).toBe("commandes été");
  });

  it("reads every optional variable when set", () => {
    const config = parseConfig({
      ...BASE,
      ADMIN_TOKEN: "admin",
      TARGET_URL: "https://example.com/hook",
      DLQ_STREAM: "dead",
      GROUP_START_ID: "0",
      RETRY_BACKOFF: "fixed",
      IDEMPOTENCY_TTL_S: "86400",
    });
    expect(config).toMatchObject({
      adminToken: "admin",
      targetUrl: "https://example.com/hook",
      dlqStream: "dead",
      groupStartId: "0",
      retryBackoff: "fixed",
      idempotencyTtlS: 86400,
    });
  });

  it("accepts a stream id as GROUP_START_ID", () => {
    expect(parseConfig({ ...BASE, GROUP_START_ID: "1795709122566-0" }).groupStartId).toBe(
      "1795709122566-0",
    );
  });

  it.each([
    ["true", true],
    ["false", false],
    ["1", true],
    ["0", false],
    [true, true],
    [false, false],
  ])("reads NOACK=%s as %s", (value, expected) => {
    expect(parseConfig({ ...BASE, NOACK: value }).noAck).toBe(expected);
  });

  it.each([
    ["none", { kind: "none" }],
    ["acked", { kind: "acked" }],
    ["maxlen:5000", { kind: "maxlen", maxLen: 5000 }],
  ])("reads TRIM=%s", (value, expected) => {
    expect(parseConfig({ ...BASE, TRIM: value }).trim).toEqual(expected);
  });

  it.each(["maxlen:0", "maxlen:", "maxlen:-3", "maxlen:1.5", "all"])("rejects TRIM=%s", (value) => {
    expect(configError({ ...BASE, TRIM: value }).message).toMatch(/^TRIM must be .*maxlen:N/);
  });

  it("names the variable, the value and the range of a non-numeric integer", () => {
    expect(configError({ ...BASE, BATCH_SIZE: "abc" }).message).toBe(
      'BATCH_SIZE must be an integer between 1 and 10000, got "abc"',
    );
  });

  it("rejects an integer out of range", () => {
    const error = configError({ ...BASE, CONCURRENCY: 0 });
    expect(error.variable).toBe("CONCURRENCY");
    expect(error.message).toBe("CONCURRENCY must be an integer between 1 and 1000, got 0");
  });

  it("rejects a fractional number", () => {
    expect(configError({ ...BASE, MIN_IDLE_MS: "1.5" }).message).toContain("MIN_IDLE_MS must be");
  });

  it("rejects MAX_REQUESTS below 3", () => {
    expect(configError({ ...BASE, MAX_REQUESTS: "2" }).variable).toBe("MAX_REQUESTS");
  });

  it("refuses a MAX_REQUESTS too small for one sweep page, which would never retry anything", () => {
    const least = sweepMinRequests({ kind: "none" }, DEFAULTS.sweepPageSize);
    expect(least).toBeGreaterThan(9);
    const error = configError({ ...BASE, MAX_REQUESTS: String(least - 1) });
    expect(error.variables).toEqual(["MAX_REQUESTS"]);
    expect(error.message).toMatch(
      new RegExp(
        `^MAX_REQUESTS must be an integer between ${least} and 100000, .*got "${least - 1}"$`,
      ),
    );
    expect(parseConfig({ ...BASE, MAX_REQUESTS: String(least) }).maxRequests).toBe(least);
  });

  it.each([
    ["acked", { kind: "acked" }],
    ["maxlen:1000", { kind: "maxlen", maxLen: 1000 }],
  ] as const)("asks more MAX_REQUESTS of TRIM=%s, for the trim after the page", (value, policy) => {
    const least = sweepMinRequests(policy, DEFAULTS.sweepPageSize);
    expect(least).toBeGreaterThan(sweepMinRequests({ kind: "none" }, DEFAULTS.sweepPageSize));
    const error = configError({ ...BASE, TRIM: value, MAX_REQUESTS: String(least - 1) });
    expect(error.variables).toEqual(["MAX_REQUESTS"]);
    expect(error.message).toBe(
      `MAX_REQUESTS must be at least ${least} with TRIM=${value}: one sweep page and the trim after it need that many requests, got ${least - 1}`,
    );
    expect(parseConfig({ ...BASE, TRIM: value, MAX_REQUESTS: least }).maxRequests).toBe(least);
  });

  it("refuses a MIN_IDLE_MS shorter than a lease can hold, and takes 1000", () => {
    expect(configError({ ...BASE, MIN_IDLE_MS: "100" }).message).toBe(
      'MIN_IDLE_MS must be an integer between 1000 and 604800000, got "100"',
    );
    expect(configError({ ...BASE, MIN_IDLE_MS: 999 }).variable).toBe("MIN_IDLE_MS");
    expect(parseConfig({ ...BASE, MIN_IDLE_MS: "1000" }).minIdleMs).toBe(1000);
  });

  it("says a missing required variable is required", () => {
    const { STREAM: _omitted, ...env } = BASE;
    const error = configError(env);
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.variable).toBe("STREAM");
    expect(error.message).toMatch(/^STREAM is required/);
  });

  it("rejects a STREAM with control characters", () => {
    expect(configError({ ...BASE, STREAM: "a\nb" }).message).toBe(
      'STREAM must be a non-empty string of at most 256 characters without control characters, got "a\\nb"',
    );
  });

  it("rejects a GROUP longer than 256 characters", () => {
    expect(configError({ ...BASE, GROUP: "g".repeat(257) }).variable).toBe("GROUP");
  });

  it("rejects a URL that is not http(s)", () => {
    expect(configError({ ...BASE, UPSTASH_REDIS_REST_URL: "redis://localhost:6379" }).message).toBe(
      'UPSTASH_REDIS_REST_URL must be an http(s) URL, any user name and password in it percent-encoded, got "redis://localhost:6379"',
    );
  });

  it("rejects a TARGET_URL that is not a URL", () => {
    expect(configError({ ...BASE, TARGET_URL: "example.com" }).variable).toBe("TARGET_URL");
  });

  it("rejects an unknown RETRY_BACKOFF", () => {
    expect(configError({ ...BASE, RETRY_BACKOFF: "linear" }).message).toBe(
      'RETRY_BACKOFF must be "fixed" or "exponential", got "linear"',
    );
  });

  it("rejects an unknown NOACK", () => {
    expect(configError({ ...BASE, NOACK: "yes" }).variable).toBe("NOACK");
  });

  it("rejects a GROUP_START_ID that is not $, 0 or an id", () => {
    expect(configError({ ...BASE, GROUP_START_ID: ">" }).variable).toBe("GROUP_START_ID");
  });

  it.each(["18446744073709551616-0", "1-18446744073709551616", "18446744073709551616"])(
    "refuses GROUP_START_ID %s, past 64 bits, saying so",
    (id) => {
      expect(configError({ ...BASE, GROUP_START_ID: id }).message).toBe(
        `GROUP_START_ID must be "$", "0" or a stream id like "1700000000000-0", each part at most 2^64 - 1, got "${id}": a part of the id is above 18446744073709551615 (2^64 - 1)`,
      );
    },
  );

  it("accepts a GROUP_START_ID of 2^64 - 1 in both parts, and a bare millisecond", () => {
    const top = "18446744073709551615-18446744073709551615";
    expect(parseConfig({ ...BASE, GROUP_START_ID: top }).groupStartId).toBe(top);
    expect(parseConfig({ ...BASE, GROUP_START_ID: "1700000000000" }).groupStartId).toBe(
      "1700000000000",
    );
  });

  it("rejects a DLQ_STREAM equal to STREAM", () => {
    expect(configError({ ...BASE, DLQ_STREAM: "orders:payments" }).message).toBe(
      'DLQ_STREAM must differ from STREAM, got "orders:payments"',
    );
  });

  it("rejects a cron expression without 5 fields", () => {
    expect(configError({ ...BASE, SWEEP_CRON: "*/5 * *" }).variable).toBe("SWEEP_CRON");
  });

  it("refuses five junk fields as a cron, naming the first bad field", () => {
    const error = configError({ ...BASE, CONSUME_CRON: "a b c d e" });
    expect(error.variables).toEqual(["CONSUME_CRON"]);
    expect(error.message).toMatch(
      /^CONSUME_CRON must be a cron expression of 5 fields .*, got "a b c d e": the minute field "a" is not valid$/,
    );
  });

  it("accepts Cloudflare's cron extensions in CONSUME_CRON and SWEEP_CRON", () => {
    const config = parseConfig({
      ...BASE,
      CONSUME_CRON: "0 18 * * friL",
      SWEEP_CRON: "59 23 LW * *",
    });
    expect([config.consumeCron, config.sweepCron]).toEqual(["0 18 * * friL", "59 23 LW * *"]);
  });

  it("never echoes UPSTASH_REDIS_REST_TOKEN", () => {
    const error = configError({ ...BASE, UPSTASH_REDIS_REST_TOKEN: true });
    expect(error.message).toBe(
      "UPSTASH_REDIS_REST_TOKEN must be a bearer token (RFC 6750): letters, digits and - . _ ~ + / only, then any = padding, got <redacted>",
    );
  });

  it("never echoes ADMIN_TOKEN", () => {
    const error = configError({ ...BASE, ADMIN_TOKEN: { secret: "hunter2" } });
    expect(error.message).toContain("<redacted>");
    expect(error.message).not.toContain("hunter2");
  });

  it.each(["hunter2 with a space", '"hunter2"', "hunter2\t", "hünter2", "=hunter2", "hunter2=x"])(
    "refuses an ADMIN_TOKEN that cannot travel as a bearer token (%j), without showing it",
    (token) => {
      const error = configError({ ...BASE, ADMIN_TOKEN: token });
      expect(error.variables).toEqual(["ADMIN_TOKEN"]);
      expect(error.message).toBe(
        "ADMIN_TOKEN must be a bearer token (RFC 6750): letters, digits and - . _ ~ + / only, then any = padding, got <redacted>",
      );
    },
  );

  it("refuses an UPSTASH_REDIS_REST_TOKEN with a space by the same rule", () => {
    const error = configError({ ...BASE, UPSTASH_REDIS_REST_TOKEN: "s3cret token" });
    expect(error.variables).toEqual(["UPSTASH_REDIS_REST_TOKEN"]);
    expect(error.message).not.toContain("s3cret");
  });

  it("accepts a base64 token with padding and every other character RFC 6750 allows", () => {
    const token = "AZx-9._~+/Abc==";
    expect(
      parseConfig({ ...BASE, ADMIN_TOKEN: token, UPSTASH_REDIS_REST_TOKEN: token }),
    ).toMatchObject({ adminToken: token, token });
  });

  it("lists every problem in one message, separated by semicolons", () => {
    const error = configError({
      UPSTASH_REDIS_REST_URL: "http://127.0.0.1:8079",
      UPSTASH_REDIS_REST_TOKEN: "t",
      GROUP: "g",
      BATCH_SIZE: "x",
      TRIM: "sometimes",
    });
    expect(error.variables).toEqual(["STREAM", "BATCH_SIZE", "TRIM"]);
    expect(error.message.split("; ")).toHaveLength(3);
    expect(error.message).toMatch(/^STREAM is required.*; BATCH_SIZE must be .*; TRIM must be/);
  });
});

describe("CONFIG_VARIABLES", () => {
  it("documents every variable of the contract once", () => {
    expect(CONFIG_VARIABLES.map((v) => v.name)).toEqual([
      "UPSTASH_REDIS_REST_URL",
      "UPSTASH_REDIS_REST_TOKEN",
      "STREAM",
      "GROUP",
      "STREAMS",
      "GROUP_START_ID",
      "BATCH_SIZE",
      "MAX_MESSAGES",
      "TIME_BUDGET_MS",
      "CONCURRENCY",
      "MIN_IDLE_MS",
      "MAX_DELIVERIES",
      "DLQ_STREAM",
      "DLQ_MAXLEN",
      "CONSUMER_RETENTION_MS",
      "IDEMPOTENCY_TTL_S",
      "NOACK",
      "TRIM",
      "ADMIN_TOKEN",
      "TARGET_URL",
      "TARGET_TIMEOUT_MS",
      "RETRY_BACKOFF",
      "MAX_BACKOFF_MS",
      "MAX_REQUESTS",
      "CONSUME_CRON",
      "SWEEP_CRON",
      "HISTORY_MINUTES",
      "ALERT_IDLE_MS",
      "DRAIN_MODE",
      "POLL_MIN_MS",
      "POLL_MAX_MS",
      "POLL_IDLE_MS",
      "CRON_BUDGET_MS",
      "MAX_PARALLEL_DRAINS",
      "PUBLISH_TOKEN",
      "MAX_MESSAGE_BYTES",
      "RETRY_DELAY_S",
      "MAX_BATCH_TIMEOUT_MS",
      "QUEUE_BODY_FIELD",
    ]);
  });

  it("shows defaults taken from DEFAULTS", () => {
    const byName = new Map(CONFIG_VARIABLES.map((v) => [v.name, v.default]));
    expect(byName.get("BATCH_SIZE")).toBe("50");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text users see
    expect(byName.get("DLQ_STREAM")).toBe("`${STREAM}:dlq`");
    expect(byName.get("STREAM")).toBe("required");
    expect(byName.get("ADMIN_TOKEN")).toBe("unset");
    expect(byName.get("SWEEP_CRON")).toBe("`*/5 * * * *`");
  });
});

describe("credentials in URLs", () => {
  it("never echoes the userinfo of a bad URL", () => {
    expect(() =>
      parseConfig({
        UPSTASH_REDIS_REST_URL: "ftp://user:hunter2@example.com",
        UPSTASH_REDIS_REST_TOKEN: "t",
        STREAM: "s",
        GROUP: "g",
      }),
    ).toThrow(/^(?!.*hunter2).*UPSTASH_REDIS_REST_URL/);
  });

  it.each([
    ["htps://x.example/hook?token=hunter2", '"htps://x.example/hook?<redacted>"'],
    ["ftp://x.example/hook#hunter2", '"ftp://x.example/hook#<redacted>"'],
    ["https://user:hunter2@x.example:99999/hook", '"https://<redacted>@x.example:99999/hook"'],
    ["x.example/hook?token=hunter2&b=c#d", '"x.example/hook?<redacted>#<redacted>"'],
  ])("shows a refused TARGET_URL %s without its query, fragment or credentials", (url, shown) => {
    const error = configError({ ...BASE, TARGET_URL: url });
    expect(error.message).toBe(
      `TARGET_URL must be an http(s) URL, any user name and password in it percent-encoded, got ${shown}`,
    );
  });

  it("refuses a TARGET_URL whose user part is not percent-decodable, without showing it", () => {
    const error = configError({ ...BASE, TARGET_URL: "https://hunter%zz:pass@x.example/hook" });
    expect(error.variables).toEqual(["TARGET_URL"]);
    expect(error.message).toBe(
      'TARGET_URL must be an http(s) URL, any user name and password in it percent-encoded, got "https://<redacted>@x.example/hook": its user name or password has a malformed percent-escape (% must start %XX, two hex digits)',
    );
  });

  it("refuses a malformed percent-escape in the password too, and takes well-formed ones", () => {
    expect(configError({ ...BASE, TARGET_URL: "https://u:p%2@x.example/" }).variable).toBe(
      "TARGET_URL",
    );
    const url = "https://u%40x:p%20w@x.example/hook?sig=abc";
    expect(parseConfig({ ...BASE, TARGET_URL: url }).targetUrl).toBe(url);
  });
});

describe("parseAdminToken", () => {
  it("reads ADMIN_TOKEN alone, unset as undefined, whatever else is wrong", () => {
    expect(parseAdminToken({ ADMIN_TOKEN: "abc", STREAM: "" })).toBe("abc");
    expect(parseAdminToken({ ADMIN_TOKEN: "" })).toBeUndefined();
  });

  it("refuses a token with a space, naming only ADMIN_TOKEN", () => {
    const error = refusal(ConfigError, () => parseAdminToken({ ADMIN_TOKEN: "two words" }));
    expect(error.variables).toEqual(["ADMIN_TOKEN"]);
    expect(error.message).not.toContain("two words");
  });
});
