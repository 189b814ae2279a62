/** @module The HTTP API (hono): `/health`, the admin routes, the dashboard, JSON errors, 404 and 405. */
import { Hono } from "hono";
import { type AdminOptions, createAdmin } from "./admin";
import { redisFor } from "./client";
import { createDashboard } from "./dashboard/routes";
import type { Env } from "./env";
import { toErrorAnswer } from "./http-errors";
import { createInternal } from "./internal";
import { log, logError } from "./log";
import { createPublish } from "./publish";

export type { Env } from "./env";

/**
 * The HTTP API: `/health` and the admin routes, JSON errors, 404 and 405.
 * `options.handler` is what /drain and /sweep run (default: the webhook handler, TARGET_URL).
 */
export function createApp(options: AdminOptions = {}): Hono<{ Bindings: Env }> {
  const app = new Hono<{ Bindings: Env }>();

  /** Liveness for uptime checks: no auth, no config beyond the Redis endpoint. */
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

  app.route("/", createAdmin(options));
  app.route("/", createInternal(options));
  app.route("/", createPublish(options));
  app.route("/", createDashboard(options));

  app.onError((err, c) => {
    const { status, code, message, headers } = toErrorAnswer(err);
    log("http_error", { method: c.req.method, path: c.req.path, status, code });
    if (status >= 500 && code === "INTERNAL") {
      // Only the name: an unknown error's text may quote URLs or values.
      logError("http_internal_error", { name: (err as Error)?.name });
    }
    return c.json({ error: { code, message } }, status, headers);
  });

  /**
   * 405 when the path exists under another method, else 404. Reads the registered routes, so
   * routes added later get their 405 without touching this.
   */
  app.notFound((c) => {
    const { path, method } = c.req;
    const allowed = [
      ...new Set(
        app.routes.filter((r) => r.path === path && r.method !== "ALL").map((r) => r.method),
      ),
    ];
    if (allowed.length > 0) {
      return c.json(
        {
          error: {
            code: "METHOD_NOT_ALLOWED",
            message: `${method} ${path}: use ${allowed.join(", ")}`,
          },
        },
        405,
        { allow: allowed.join(", ") },
      );
    }
    return c.json({ error: { code: "NOT_FOUND", message: `no route ${method} ${path}` } }, 404);
  });

  return app;
}
