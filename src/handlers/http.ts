/** @module The HTTP API (hono): thin routes that parse, call the library and answer JSON. */
import { Hono } from "hono";
import { redisFor } from "./client";

export type Env = Record<string, unknown>;

export const app = new Hono<{ Bindings: Env }>();

app.get("/health", async (c) => {
  const url = c.env.UPSTASH_REDIS_REST_URL;
  const token = c.env.UPSTASH_REDIS_REST_TOKEN;
  if (typeof url !== "string" || typeof token !== "string" || url === "" || token === "") {
    return c.json(
      { ok: false, redis: "down", error: "UPSTASH_REDIS_REST_URL/_TOKEN not set" },
      503,
    );
  }
  try {
    await redisFor(url, token).ping();
    return c.json({ ok: true, redis: "up" });
  } catch {
    return c.json({ ok: false, redis: "down" }, 503);
  }
});

app.notFound((c) =>
  c.json({ error: { code: "NOT_FOUND", message: `no route ${c.req.method} ${c.req.path}` } }, 404),
);
