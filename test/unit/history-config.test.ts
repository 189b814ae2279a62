import { describe, expect, it } from "vitest";
import { DEFAULTS } from "../../src/lib/config/defaults";
import { parseConfig } from "../../src/lib/config/env";
import { parseStreamConfigs } from "../../src/lib/config/streams";
import { ConfigError } from "../../src/lib/errors";
import { streamKeys } from "../../src/lib/redis/keys";
import { refusal } from "../helpers/refusal";

const BASE = {
  UPSTASH_REDIS_REST_URL: "http://127.0.0.1:8079",
  UPSTASH_REDIS_REST_TOKEN: "s3cret-token",
  STREAM: "orders",
  GROUP: "g",
};

describe("HISTORY_MINUTES", () => {
  it("keeps 24 h of snapshots by default", () => {
    expect(parseConfig(BASE).historyMinutes).toBe(1440);
    expect(DEFAULTS.historyMinutes).toBe(1440);
  });

  it("takes 0, which turns recording off", () => {
    expect(parseConfig({ ...BASE, HISTORY_MINUTES: "0" }).historyMinutes).toBe(0);
  });

  it("takes 7 days at most", () => {
    expect(parseConfig({ ...BASE, HISTORY_MINUTES: "10080" }).historyMinutes).toBe(10_080);
  });

  it("refuses more than 7 days, naming the variable and the range", () => {
    const error = refusal(ConfigError, () => parseConfig({ ...BASE, HISTORY_MINUTES: "10081" }));
    expect(error.message).toBe(
      'HISTORY_MINUTES must be an integer between 0 and 10080, got "10081"',
    );
  });

  it("applies the Worker-wide value to every stream of STREAMS", () => {
    const { STREAM: _s, GROUP: _g, ...env } = BASE;
    const streams = JSON.stringify([
      { stream: "a", group: "g" },
      { stream: "b", group: "g" },
    ]);
    const configs = parseStreamConfigs({ ...env, STREAMS: streams, HISTORY_MINUTES: "60" });
    expect(configs.map((c) => c.historyMinutes)).toEqual([60, 60]);
  });
});

describe("history keys", () => {
  it("names the snapshot list after stream and group", () => {
    expect(streamKeys("orders", "g").history).toBe("orders:g:history");
  });

  it("names the last-jobs hash after stream and group", () => {
    expect(streamKeys("orders", "g").lastJobs).toBe("orders:g:last-jobs");
  });
});
