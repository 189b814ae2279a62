import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker } from "../helpers/worker";

const TOKEN = "admin-s3cret-token";
const ADMIN_ROUTES = [
  ["GET", "/stats"],
  ["GET", "/dlq"],
  ["POST", "/dlq/redrive?dryRun=true"],
  ["POST", "/group/reset?id=$"],
] as const;

type ErrorBody = { error: { code: string; message: string } };

/** One Worker per describe block: starting Miniflare is the slow part. */
function useWorker(bindings: Record<string, string | undefined>): () => Miniflare {
  let mf: Miniflare | undefined;
  beforeAll(async () => {
    mf = await startWorker(bindings);
  });
  afterAll(async () => {
    await mf?.dispose();
  });
  return () => {
    if (!mf) {
      throw new Error("worker not started");
    }
    return mf;
  };
}

async function call(mf: Miniflare, method: string, path: string, token?: string) {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: token };
  const res = await mf.dispatchFetch(`http://worker${path}`, { method, headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as ErrorBody };
}

describe("HTTP API auth and routing", () => {
  const worker = useWorker({
    STREAM: "rsw-test:http:never-created",
    GROUP: "g",
    ADMIN_TOKEN: TOKEN,
  });

  it.each(ADMIN_ROUTES)("answers %s %s without a token with 401", async (method, path) => {
    const res = await call(worker(), method, path);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("UNAUTHORIZED");
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("answers a wrong token with 401", async () => {
    const res = await call(worker(), "GET", "/stats", "Bearer wrong-token");
    expect(res.status).toBe(401);
    expect(res.body.error).toEqual({ code: "UNAUTHORIZED", message: "invalid bearer token" });
  });

  it("answers a token that is only a prefix of the right one with 401", async () => {
    const res = await call(worker(), "GET", "/stats", `Bearer ${TOKEN.slice(0, -1)}`);
    expect(res.status).toBe(401);
  });

  it("answers another auth scheme with 401", async () => {
    const res = await call(worker(), "GET", "/stats", `Basic ${btoa(`admin:${TOKEN}`)}`);
    expect(res.status).toBe(401);
  });

  it("lets the right token through", async () => {
    const res = await call(worker(), "GET", "/stats", `Bearer ${TOKEN}`);
    expect(res.status).toBe(200);
  });

  it("never echoes the token in an answer", async () => {
    const res = await call(worker(), "GET", "/stats", `Bearer ${TOKEN}x`);
    expect(JSON.stringify(res.body)).not.toContain(TOKEN);
  });

  it("answers /health without a token", async () => {
    expect((await call(worker(), "GET", "/health")).status).toBe(200);
  });

  it("answers an unknown route with 404 JSON", async () => {
    const res = await call(worker(), "GET", "/nope");
    expect(res.status).toBe(404);
    expect(res.body.error).toEqual({ code: "NOT_FOUND", message: "no route GET /nope" });
  });

  it.each([
    ["POST", "/stats", "GET"],
    ["GET", "/dlq/redrive", "POST"],
    ["DELETE", "/group/reset", "POST"],
    ["POST", "/health", "GET"],
  ])("answers %s %s with 405 allowing %s", async (method, path, allowed) => {
    const res = await call(worker(), method, path, `Bearer ${TOKEN}`);
    expect(res.status).toBe(405);
    expect(res.body.error.code).toBe("METHOD_NOT_ALLOWED");
    expect(res.headers.get("allow")).toBe(allowed);
  });

  it.each([
    ["GET", "/dlq?count=0", "count", '"0"'],
    ["GET", "/dlq?count=1001", "count", '"1001"'],
    ["GET", "/dlq?count=abc", "count", '"abc"'],
    ["GET", "/dlq?start=latest", "start", '"latest"'],
    ["POST", "/dlq/redrive?count=-1", "count", '"-1"'],
    ["POST", "/dlq/redrive?dryRun=yes", "dryRun", '"yes"'],
    ["POST", "/group/reset?id=latest", "id", '"latest"'],
  ])("answers %s %s with 400 naming %s and %s", async (method, path, parameter, value) => {
    const res = await call(worker(), method, path, `Bearer ${TOKEN}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("INVALID_QUERY");
    expect(res.body.error.message).toMatch(new RegExp(`^${parameter} must be .*, got ${value}$`));
  });

  it("answers /group/reset without id with 400 saying it is required", async () => {
    const res = await call(worker(), "POST", "/group/reset", `Bearer ${TOKEN}`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^id is required/);
  });
});

describe("HTTP API with ADMIN_TOKEN unset", () => {
  const worker = useWorker({ STREAM: "rsw-test:http:off", GROUP: "g" });

  it.each(ADMIN_ROUTES)("answers %s %s with 403", async (method, path) => {
    const res = await call(worker(), method, path, `Bearer ${TOKEN}`);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("ADMIN_DISABLED");
  });

  it("still answers /health with 200", async () => {
    expect((await call(worker(), "GET", "/health")).status).toBe(200);
  });
});

describe("HTTP API with an invalid env", () => {
  const worker = useWorker({ GROUP: "g", BATCH_SIZE: "lots", ADMIN_TOKEN: TOKEN });

  it("answers 500 CONFIG_INVALID naming every bad variable", async () => {
    const res = await call(worker(), "GET", "/stats", `Bearer ${TOKEN}`);
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe("CONFIG_INVALID");
    expect(res.body.error.message).toMatch(/STREAM is required/);
    expect(res.body.error.message).toMatch(
      /BATCH_SIZE must be an integer between 1 and 10000, got "lots"/,
    );
  });

  it("keeps secrets out of the message", async () => {
    const res = await call(worker(), "GET", "/dlq", `Bearer ${TOKEN}`);
    expect(JSON.stringify(res.body)).not.toContain(TOKEN);
  });

  it("shows configuration errors only after auth", async () => {
    const res = await call(worker(), "GET", "/stats");
    expect(res.status).toBe(401);
  });
});
