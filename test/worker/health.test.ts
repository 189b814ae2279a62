import type { Miniflare } from "miniflare";
import { afterEach, describe, expect, it } from "vitest";

import { startBridge } from "../../dev/bridge/server";
import { startWorker } from "../helpers/worker";
import { freePort } from "../setup/find-redis";

let mf: Miniflare | undefined;
afterEach(async () => {
  await mf?.dispose();
  mf = undefined;
});

describe("GET /health on the bundled Worker", () => {
  it("answers redis up through the bridge", async () => {
    mf = await startWorker();
    const res = await mf.dispatchFetch("http://worker/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, redis: "up" });
  });

  it("answers redis down with 503 when the bridge cannot reach Redis", async () => {
    const deadRedis = `redis://127.0.0.1:${await freePort()}`;
    const bridge = await startBridge({ redisUrl: deadRedis, token: "t", port: 0, log: () => {} });
    try {
      mf = await startWorker({ UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: "t" });
      const res = await mf.dispatchFetch("http://worker/health");
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ ok: false, redis: "down" });
    } finally {
      await bridge.close();
    }
  });

  it("answers redis down when nothing listens at the REST URL", async () => {
    mf = await startWorker({ UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${await freePort()}` });
    const res = await mf.dispatchFetch("http://worker/health");
    expect(res.status).toBe(503);
    expect(((await res.json()) as { redis: string }).redis).toBe("down");
  });

  it("does not leak the token when it is wrong", async () => {
    mf = await startWorker({ UPSTASH_REDIS_REST_TOKEN: "sekrit-wrong-token" });
    const res = await mf.dispatchFetch("http://worker/health");
    expect(res.status).toBe(503);
    expect(await res.text()).not.toContain("sekrit");
  });
});
