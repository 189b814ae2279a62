/**
 * Bad-input catalogue, environment: every variable with wrong types and out-of-range values.
 * Through the bundled Worker, the admin answer (500 CONFIG_INVALID) and the cron's log line
 * name each bad variable and what it got, secrets are never echoed, and Redis is untouched.
 * The full matrix also runs against `parseConfig` itself, one variable at a time.
 */
import type { Miniflare } from "miniflare";
import { afterAll, describe, expect, inject, it } from "vitest";
import { CONFIG_RANGES, CONFIG_VARIABLES, parseConfig } from "../../src/lib/config/env";
import { ConfigError } from "../../src/lib/errors";
import { reportTried, useCatalogue } from "../helpers/bad-input-fixture";
import { startWorker } from "../helpers/worker";

const ADMIN = "env-catalogue-admin-token";
const SECRET = "s3cr3t-upstash-token-never-shown";
type Binding = string | number | boolean | object;

const RANGED = Object.entries(CONFIG_RANGES) as [
  keyof typeof CONFIG_RANGES,
  readonly [number, number],
][];

/** Bad values per variable: wrong types (TOML numbers, booleans, objects) and out of range. */
function badValues(name: string): Binding[] {
  const range = (CONFIG_RANGES as Record<string, readonly [number, number]>)[name];
  if (range) {
    const [min, max] = range;
    const above = max === Number.MAX_SAFE_INTEGER ? "9007199254740992" : String(max + 1);
    return [
      "abc",
      String(min - 1),
      above,
      "1.5",
      "1e3",
      "0x10",
      " ",
      "--1",
      2.5,
      true,
      { n: 1 },
      [1],
    ];
  }
  switch (name) {
    case "UPSTASH_REDIS_REST_URL":
    case "TARGET_URL":
      return [
        ...["not a url", "ftp://example.com/x", "redis://127.0.0.1:6379", "http://", 42, true],
        `htps://x.example/hook?token=${SECRET}`,
        `https://user:${SECRET}@x.example:99999/`,
        `https://u%zz:${SECRET}@x.example/hook`,
        `https://user:${SECRET}%2@x.example/hook#${SECRET}`,
      ];
    case "STREAM":
    case "GROUP":
    case "DLQ_STREAM":
    case "QUEUE_BODY_FIELD":
      return ["with\nnewline", "tab\there", "x".repeat(257), "\u0085nel", true, { a: 1 }];
    case "STREAMS":
      return ["not json", "[]", "{}", 42, true, '[{"stream":"a"}]', [{ stream: "a" }]];
    case "GROUP_START_ID":
      return [
        ...["latest", "-1", "1-2-3", ">", "$0", true],
        ...["18446744073709551616-0", "1-18446744073709551616", "18446744073709551616"],
      ];
    case "NOACK":
      return ["maybe", "yes", "2", "-1", { on: true }];
    case "TRIM":
      return ["always", "maxlen:0", "maxlen:-5", "maxlen:abc", "minid:5", true];
    case "RETRY_BACKOFF":
      return ["linear", "EXPONENTIAL!", "", 5].filter((v) => v !== "");
    case "DRAIN_MODE":
      return ["always", "Continuous!", "queue", 1, true];
    case "CONSUME_CRON":
    case "SWEEP_CRON":
      return [
        ...["every minute", "* * * *", "* * * * * *", true, "a b c d e", "60 * * * *"],
        ...["* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 0", "* * * * MON#6", "*/0 * * * *"],
      ];
    case "UPSTASH_REDIS_REST_TOKEN":
    case "ADMIN_TOKEN":
    case "PUBLISH_TOKEN":
      return [true, { token: SECRET }, `${SECRET} two`, `"${SECRET}"`, `${SECRET}\n`, `é${SECRET}`];
    default:
      return [];
  }
}

const VALID: Record<string, Binding> = {
  UPSTASH_REDIS_REST_URL: "http://127.0.0.1:1",
  UPSTASH_REDIS_REST_TOKEN: SECRET,
  STREAM: "orders",
  GROUP: "g",
};

describe("parseConfig: every variable, one at a time", () => {
  it("names the variable for every wrong type and out-of-range value, never a secret", () => {
    let tried = 0;
    for (const { name } of CONFIG_VARIABLES) {
      const values = badValues(name);
      expect({ name, count: values.length > 0 }).toEqual({ name, count: true });
      for (const value of values) {
        tried++;
        let error: unknown;
        try {
          parseConfig({ ...VALID, [name]: value });
        } catch (e) {
          error = e;
        }
        expect({ name, value, error: error instanceof ConfigError }).toEqual({
          name,
          value,
          error: true,
        });
        const e = error as ConfigError;
        expect(e.variables).toContain(name);
        expect(e.message).toContain(name);
        expect(e.message).not.toContain(SECRET);
      }
    }
    // Missing required ones, each alone.
    for (const name of ["UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN", "STREAM", "GROUP"]) {
      tried++;
      expect(() => parseConfig({ ...VALID, [name]: undefined })).toThrow(
        new RegExp(`${name} is required`),
      );
    }
    tried++;
    expect(() => parseConfig({ ...VALID, DLQ_STREAM: "orders" })).toThrow(/DLQ_STREAM must differ/);
    // Each alone in range, too few requests together: a sweep page and the trim after it.
    for (const trim of ["acked", "maxlen:10"]) {
      tried++;
      const [least] = CONFIG_RANGES.MAX_REQUESTS;
      expect(() => parseConfig({ ...VALID, TRIM: trim, MAX_REQUESTS: least })).toThrow(
        new RegExp(`^MAX_REQUESTS must be at least \\d+ with TRIM=${trim}:`),
      );
    }
    reportTried("bad-input-env (parseConfig)", tried);
  });
});

describe("through the Worker", () => {
  const catalogue = useCatalogue("bad-env", "bad-input-env (Worker)");
  afterAll(async () => {
    expect(await catalogue.now()).toEqual(catalogue.before);
  });

  /** Profiles: every variable of a profile is bad at once, so one Worker checks them all. */
  const profiles: [string, Record<string, Binding | undefined>][] = [
    ["non-numeric text", Object.fromEntries(RANGED.map(([n]) => [n, "abc"]))],
    ["below the minimum", Object.fromEntries(RANGED.map(([n, [min]]) => [n, String(min - 1)]))],
    [
      "above the maximum",
      Object.fromEntries(
        RANGED.map(([n, [, max]]) => [
          n,
          max === Number.MAX_SAFE_INTEGER ? "9007199254740992" : String(max + 1),
        ]),
      ),
    ],
    ["fractions, as TOML numbers", Object.fromEntries(RANGED.map(([n]) => [n, 1.5]))],
    [
      "booleans and objects",
      Object.fromEntries(RANGED.map(([n], i) => [n, i % 2 ? true : { v: 1 }])),
    ],
    [
      "the other variables",
      {
        GROUP_START_ID: "latest",
        NOACK: "maybe",
        TRIM: "maxlen:0",
        RETRY_BACKOFF: "linear",
        CONSUME_CRON: "every minute",
        SWEEP_CRON: "* * * *",
        TARGET_URL: "ftp://example.com/hook",
        DLQ_STREAM: "bad\nname",
      },
    ],
    [
      "values a shallow check let through",
      {
        GROUP_START_ID: "18446744073709551616-0",
        CONSUME_CRON: "a b c d e",
        SWEEP_CRON: "* * * * 8",
        TARGET_URL: `https://u%zz:${SECRET}@x.example/hook?token=${SECRET}#${SECRET}`,
        MIN_IDLE_MS: "100",
        MAX_REQUESTS: "9",
      },
    ],
    [
      "required ones missing or malformed",
      {
        UPSTASH_REDIS_REST_URL: "not a url",
        UPSTASH_REDIS_REST_TOKEN: undefined,
        GROUP: "x".repeat(257),
      },
    ],
  ];

  it.each(profiles)(
    "%s: /stats answers 500 CONFIG_INVALID naming each, the cron is skipped in one line naming each",
    async (_, bad) => {
      const logs: string[] = [];
      const bindings = {
        STREAM: catalogue.stream,
        GROUP: "g",
        ADMIN_TOKEN: ADMIN,
        TARGET_URL: "http://127.0.0.1:9/never",
        ...bad,
      } as Record<string, string | undefined>; // Miniflare takes JSON bindings: numbers, booleans, objects
      const mf: Miniflare = await startWorker(bindings, logs);
      try {
        const names = Object.keys(bad);
        catalogue.tried += names.length;
        const res = await mf.dispatchFetch("http://worker/stats", {
          headers: { authorization: `Bearer ${ADMIN}` },
        });
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(res.status).toBe(500);
        expect(body.error.code).toBe("CONFIG_INVALID");
        const cron = await (await mf.getWorker()).scheduled({
          cron: "* * * * *",
          scheduledTime: new Date(),
        });
        expect(cron.outcome).toBe("ok");
        const skipped = logs.filter((l) => l.includes('"cron_skipped"'));
        expect(skipped).toHaveLength(1);
        expect(logs.filter((l) => /^\s+at /.test(l))).toEqual([]);
        const line = skipped[0] ?? "";
        for (const name of names) {
          expect(body.error.message).toContain(name);
          expect(line).toContain(name);
        }
        // Without the token, a bad env is nobody else's business.
        const anonymous = await mf.dispatchFetch("http://worker/stats");
        expect(anonymous.status).toBe(401);
        await anonymous.arrayBuffer();
        const all = logs.join("\n");
        expect(all).not.toContain(ADMIN);
        expect(all).not.toContain(inject("bridgeToken"));
        expect(`${all}${body.error.message}`).not.toContain(SECRET);
      } finally {
        await mf.dispose();
      }
    },
  );
});
