import { describe, expect, it } from "vitest";
import { DEFAULTS } from "../../src/lib/config/defaults";
import { parseConfig } from "../../src/lib/config/env";
import { MAX_STREAMS, parseStreamConfigs, STREAM_SETTINGS } from "../../src/lib/config/streams";
import { ConfigError } from "../../src/lib/errors";
import { refusal } from "../helpers/refusal";

const WORKER = {
  UPSTASH_REDIS_REST_URL: "http://127.0.0.1:8079",
  UPSTASH_REDIS_REST_TOKEN: "s3cret-token",
};

const withStreams = (streams: unknown, vars: Record<string, unknown> = {}) => ({
  ...WORKER,
  STREAMS: streams,
  ...vars,
});

const refused = (env: Record<string, unknown>) =>
  refusal(ConfigError, () => parseStreamConfigs(env));

describe("parseStreamConfigs", () => {
  it("reads STREAM and GROUP as one stream, exactly as parseConfig does", () => {
    const env = { ...WORKER, STREAM: "orders", GROUP: "g", BATCH_SIZE: "7" };
    expect(parseStreamConfigs(env)).toEqual([parseConfig(env)]);
  });

  it("reads each entry as the Worker-wide variables with the entry's settings over them", () => {
    const configs = parseStreamConfigs(
      withStreams(
        [
          { stream: "orders:payments", group: "pay", batchSize: 20, maxDeliveries: 5 },
          { stream: "emails", group: "mail", targetUrl: "https://hooks.example.com/mail" },
        ],
        { BATCH_SIZE: "40", CONCURRENCY: "3" },
      ),
    );
    expect(configs.map((c) => [c.stream, c.group, c.batchSize, c.maxDeliveries])).toEqual([
      ["orders:payments", "pay", 20, 5],
      ["emails", "mail", 40, DEFAULTS.maxDeliveries],
    ]);
    expect(configs.map((c) => c.concurrency)).toEqual([3, 3]);
    expect(configs[1]?.targetUrl).toBe("https://hooks.example.com/mail");
    expect(configs.map((c) => c.dlqStream)).toEqual(["orders:payments:dlq", "emails:dlq"]);
  });

  it("takes STREAMS as a JSON string, as an environment variable carries it", () => {
    const json = JSON.stringify([{ stream: "a", group: "g", noAck: true, trim: "acked" }]);
    const [config] = parseStreamConfigs(withStreams(json));
    expect(config?.noAck).toBe(true);
    expect(config?.trim).toEqual({ kind: "acked" });
  });

  it("reads the same settings under the entry as under the variable, for every setting", () => {
    const values: Record<string, unknown> = {
      stream: "s",
      group: "g",
      groupStartId: "0",
      dlqStream: "s:dead",
      noAck: "true",
      trim: "maxlen:10",
      targetUrl: "https://t.example/x",
      retryBackoff: "fixed",
      pollMinMs: 100,
      pollMaxMs: 200,
      concurrency: 7,
      maxDeliveries: 9,
      maxParallelDrains: 2,
    };
    const entry = Object.fromEntries(
      Object.keys(STREAM_SETTINGS).map((key) => [key, values[key] ?? 1234]),
    );
    const asVariables = Object.fromEntries(
      Object.entries(STREAM_SETTINGS).map(([key, name]) => [name, entry[key]]),
    );
    expect(parseStreamConfigs(withStreams([entry]))).toEqual([
      parseConfig({ ...WORKER, ...asVariables }),
    ]);
  });

  it("names the entry and the field of a bad value, with what it expects", () => {
    const e = refused(
      withStreams([
        { stream: "a", group: "g" },
        { stream: "b", group: "g" },
        { stream: "c", group: "g", batchSize: 0 },
      ]),
    );
    expect(e.variables).toEqual(["STREAMS[2].batchSize"]);
    expect(e.message).toBe("STREAMS[2].batchSize must be an integer between 1 and 10000, got 0");
  });

  it("names the entry of a missing stream or group", () => {
    const e = refused(withStreams([{ stream: "a" }, { group: "g" }]));
    expect(e.variables).toEqual(["STREAMS[0].group", "STREAMS[1].stream"]);
    expect(e.message).toMatch(/^STREAMS\[0\]\.group is required: /);
  });

  it("names a Worker-wide variable once, however many entries read it", () => {
    const e = refused(
      withStreams(
        [
          { stream: "a", group: "g" },
          { stream: "b", group: "g" },
        ],
        { CONCURRENCY: "lots" },
      ),
    );
    expect(e.variables).toEqual(["CONCURRENCY"]);
    expect(e.message.match(/CONCURRENCY must be/g)).toHaveLength(1);
  });

  it("names both fields of a bad combination within an entry", () => {
    const e = refused(withStreams([{ stream: "a", group: "g", pollMinMs: 400, pollMaxMs: 300 }]));
    expect(e.message).toBe(
      "STREAMS[0].pollMinMs must not exceed STREAMS[0].pollMaxMs, got 400 and 300",
    );
  });

  it("refuses a dead-letter stream equal to the entry's own stream, naming the field", () => {
    const e = refused(withStreams([{ stream: "a", group: "g", dlqStream: "a" }]));
    expect(e.message).toBe('STREAMS[0].dlqStream must differ from STREAMS[0].stream, got "a"');
  });

  it("refuses a key that is not a per-stream setting, listing the ones that are", () => {
    const e = refused(withStreams([{ stream: "a", group: "g", batchsize: 5 }]));
    expect(e.variables).toEqual(["STREAMS[0].batchsize"]);
    expect(e.message).toMatch(
      /^STREAMS\[0\]\.batchsize is not a per-stream setting: an entry may set stream, group, groupStartId, batchSize/,
    );
  });

  it("says a Worker-wide variable set in an entry is Worker-wide", () => {
    const e = refused(withStreams([{ stream: "a", group: "g", maxRequests: 50 }]));
    expect(e.message).toContain(
      "STREAMS[0].maxRequests is not a per-stream setting: MAX_REQUESTS is Worker-wide",
    );
  });

  it("refuses the same stream and group twice, naming both entries", () => {
    const e = refused(
      withStreams([
        { stream: "a", group: "g" },
        { stream: "b", group: "g" },
        { stream: "a", group: "g", dlqStream: "x" },
      ]),
    );
    expect(e.variables).toContain("STREAMS[2].group");
    expect(e.message).toContain('STREAMS[2] has the stream "a" and group "g" of STREAMS[0]');
  });

  it("refuses a dead-letter stream that is another entry's stream", () => {
    const e = refused(
      withStreams([
        { stream: "a", group: "g", dlqStream: "b" },
        { stream: "b", group: "g" },
      ]),
    );
    expect(e.variables).toEqual(["STREAMS[0].dlqStream"]);
    expect(e.message).toContain('STREAMS[0].dlqStream "b" is the stream of STREAMS[1]');
  });

  it("refuses two entries sharing a dead-letter stream, as two groups of one stream would by default", () => {
    const e = refused(
      withStreams([
        { stream: "a", group: "g1" },
        { stream: "a", group: "g2" },
      ]),
    );
    expect(e.variables).toEqual(["STREAMS[1].dlqStream"]);
    expect(e.message).toContain(
      'STREAMS[1].dlqStream "a:dlq" is also the dead-letter stream of STREAMS[0]',
    );
  });

  it("takes two groups of one stream with a dead-letter stream each", () => {
    const configs = parseStreamConfigs(
      withStreams([
        { stream: "a", group: "g1" },
        { stream: "a", group: "g2", dlqStream: "a:g2:dlq" },
      ]),
    );
    expect(configs.map((c) => c.group)).toEqual(["g1", "g2"]);
  });

  it("refuses a MAX_REQUESTS that leaves a stream less than one sweep page", () => {
    const entries = [1, 2, 3].map((i) => ({ stream: `s${i}`, group: "g" }));
    const e = refused(withStreams(entries, { MAX_REQUESTS: "30" }));
    expect(e.variables).toEqual(["MAX_REQUESTS"]);
    expect(e.message).toMatch(/^MAX_REQUESTS must be at least 39 for 3 streams: .*got 30$/);
  });

  it("refuses STREAMS beside STREAM or GROUP, naming them", () => {
    const e = refused(withStreams([{ stream: "a", group: "g" }], { STREAM: "a" }));
    expect(e.variables).toEqual(["STREAMS", "STREAM"]);
    expect(e.message).toMatch(/^STREAMS is set beside STREAM: /);
  });

  it.each([
    ["not JSON", "[{stream:", /not valid JSON$/],
    ["an object", { stream: "a", group: "g" }, /got a value of type object$/],
    ["empty", "[]", /got an array of 0 entries$/],
    ["a number", 42, /got 42$/],
  ])("refuses STREAMS that is %s, saying what it must be", (_, value, why) => {
    const e = refused(withStreams(value));
    expect(e.variables).toEqual(["STREAMS"]);
    expect(e.message).toMatch(
      /^STREAMS must be a JSON array of 1 to 50 objects, each with stream and group, got /,
    );
    expect(e.message).toMatch(why);
  });

  it(`refuses more than ${MAX_STREAMS} entries`, () => {
    const entries = Array.from({ length: MAX_STREAMS + 1 }, (_, i) => ({
      stream: `s${i}`,
      group: "g",
    }));
    expect(refused(withStreams(entries)).message).toMatch(/got an array of 51 entries$/);
  });

  it("names an entry that is not an object, and still reads the others", () => {
    const e = refused(withStreams([{ stream: "a", group: "g", batchSize: -1 }, "b"]));
    expect(e.variables).toEqual(["STREAMS[1]", "STREAMS[0].batchSize"]);
    expect(e.message).toContain(
      'STREAMS[1] must be an object with stream, group and per-stream settings, got "b"',
    );
  });

  it("never shows a secret or a URL's credentials given in an entry", () => {
    const e = refused(
      withStreams([
        { stream: "a", group: "g", targetUrl: "https://user:hunter2@x.example:99999/h?k=hunter3" },
      ]),
    );
    expect(e.message).toMatch(/^STREAMS\[0\]\.targetUrl must be/);
    expect(e.message).not.toContain("hunter2");
    expect(e.message).not.toContain("hunter3");
  });
});

describe("parseConfig with STREAMS", () => {
  it("reads a STREAMS of one entry as that stream", () => {
    expect(parseConfig(withStreams([{ stream: "a", group: "g" }])).stream).toBe("a");
  });

  it("refuses a STREAMS of several entries, pointing at parseStreamConfigs", () => {
    const e = refusal(ConfigError, () =>
      parseConfig(
        withStreams([
          { stream: "a", group: "g" },
          { stream: "b", group: "g" },
        ]),
      ),
    );
    expect(e.message).toBe(
      "STREAMS has 2 entries: parseConfig reads one stream, parseStreamConfigs reads them all",
    );
  });
});
