import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { parseStreamConfigs } from "../../src/lib/config/streams";

// wrangler's own reading of the example: a TOML array of tables under [vars] reaches the
// Worker as JSON, which is what parseStreamConfigs is given.
const config = unstable_readConfig({ config: "examples/multi-stream/wrangler.toml" });
const env = {
  ...(config.vars as Record<string, unknown>),
  UPSTASH_REDIS_REST_URL: "https://example.upstash.io",
  UPSTASH_REDIS_REST_TOKEN: "t",
};

describe("the three-stream example's wrangler.toml", () => {
  it("reaches the Worker as one STREAMS list of three entries", () => {
    expect(Array.isArray(config.vars.STREAMS)).toBe(true);
    expect(parseStreamConfigs(env).map((c) => `${c.stream}/${c.group}`)).toEqual([
      "orders:payments/payment-processors",
      "emails/mailers",
      "webhooks:github/forwarders",
    ]);
  });

  it("gives each stream its own settings over the Worker-wide ones", () => {
    const [payments, emails, webhooks] = parseStreamConfigs(env);
    expect([payments?.batchSize, payments?.maxDeliveries, payments?.dlqStream]).toEqual([
      20,
      5,
      "orders:payments:dead",
    ]);
    expect([emails?.concurrency, emails?.retryBackoff, emails?.batchSize]).toEqual([
      4,
      "fixed",
      50,
    ]);
    expect([webhooks?.targetUrl, webhooks?.trim]).toEqual([
      "https://hooks.example.com/github",
      { kind: "acked" },
    ]);
  });
});
