/**
 * @module The dashboard (hono, server-rendered HTML): login, the overview, a stream's page,
 * dead letters, and the actions, all behind ADMIN_TOKEN with a session cookie.
 */
import { Hono } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { parseAdminToken } from "../../lib/config/env";
import {
  countDeadLetters,
  listDeadLetters,
  parseStreamConfigs,
  type ResolvedConfig,
  readDeadLetter,
} from "../../lib/index";
import { tokensEqual } from "../auth";
import { redisFor } from "../client";
import { toErrorAnswer } from "../http-errors";
import { log } from "../log";
import { parseStart } from "../query";
import type { HandlerOptions } from "../streams";
import { mountActions } from "./actions";
import { readOverview, readStream } from "./data";
import {
  adminToken,
  type DashboardEnv,
  field,
  requireSession,
  securityHeaders,
  selected,
  sessionOf,
} from "./guard";
import { newSession, SESSION_COOKIE, SESSION_TTL_MS } from "./session";
import { SCRIPT, STYLE } from "./views/assets";
import { deadLetterListPage, deadLetterPage } from "./views/dead-letters";
import { loginPage, messagePage } from "./views/layout";
import { overviewPage } from "./views/overview";
import { streamPage } from "./views/stream";

/** Minutes of history a stream's page charts: 24 h. */
const CHART_MINUTES = 1440;

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** The dashboard's routes, mounted at `/` by the HTTP API. */
export function createDashboard(options: HandlerOptions = {}): Hono<DashboardEnv> {
  const app = new Hono<DashboardEnv>();
  app.use("/dashboard", securityHeaders);
  app.use("/dashboard/*", securityHeaders);

  app.get("/dashboard/assets/style.css", (c) =>
    c.body(STYLE, 200, { "content-type": "text/css; charset=utf-8" }),
  );
  app.get("/dashboard/assets/live.js", (c) =>
    c.body(SCRIPT, 200, { "content-type": "text/javascript; charset=utf-8" }),
  );

  // `/` leads a logged-in browser to the dashboard; for anyone else it stays a 404.
  app.get("/", async (c) => {
    let token: string | undefined;
    try {
      token = parseAdminToken(c.env);
    } catch {
      // A malformed ADMIN_TOKEN logs nobody in: `/` stays a 404 and /dashboard says why.
    }
    if (token !== undefined && (await sessionOf(c, token)) !== undefined) {
      return c.redirect("/dashboard", 303);
    }
    return c.json({ error: { code: "NOT_FOUND", message: "no route GET /" } }, 404);
  });

  app.post("/dashboard/login", async (c) => {
    const token = adminToken(c.env);
    const given = field(await c.req.parseBody(), "token") ?? "";
    if (given === "" || !(await tokensEqual(given, token))) {
      log("dashboard_login", { ok: false });
      return c.html(loginPage("That is not the admin token (ADMIN_TOKEN)."), 401);
    }
    const secure = !LOOPBACK.has(new URL(c.req.url).hostname);
    setCookie(c, SESSION_COOKIE, await newSession(token), {
      httpOnly: true,
      secure,
      sameSite: "Strict",
      path: "/",
      maxAge: SESSION_TTL_MS / 1000,
    });
    log("dashboard_login", { ok: true });
    return c.redirect("/dashboard", 303);
  });

  app.post("/dashboard/logout", requireSession, (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return c.redirect("/dashboard", 303);
  });

  app.get("/dashboard", requireSession, async (c) => {
    const configs = parseStreamConfigs(c.env);
    const first = configs[0] as ResolvedConfig;
    const redis = redisFor(first.url, first.token);
    const now = Date.now();
    const views = await readOverview(redis, configs);
    const requests = views.reduce((n, v) => n + v.requests, 0);
    log("dashboard_overview", { streams: views.length, requests });
    return c.html(overviewPage(views, c.var.csrf, now));
  });

  app.get("/dashboard/stream", requireSession, async (c) => {
    const { config, redis } = selected(c.env, c.req.query("stream"), c.req.query("group"));
    const now = Date.now();
    const view = await readStream(redis, config, { minutes: CHART_MINUTES, allGroups: true });
    log("dashboard_stream", {
      stream: config.stream,
      group: config.group,
      requests: view.requests,
    });
    return c.html(streamPage(view, c.var.csrf, now));
  });

  app.get("/dashboard/dlq", requireSession, async (c) => {
    const { config, redis } = selected(c.env, c.req.query("stream"), c.req.query("group"));
    const start = parseStart(c.req.query("start"));
    const [page, length] = await Promise.all([
      listDeadLetters({ redis, dlqStream: config.dlqStream, start }),
      countDeadLetters({ redis, dlqStream: config.dlqStream }),
    ]);
    return c.html(deadLetterListPage({ target: config, length, ...page, csrf: c.var.csrf }));
  });

  app.get("/dashboard/dlq/entry", requireSession, async (c) => {
    const { config, redis } = selected(c.env, c.req.query("stream"), c.req.query("group"));
    const id = c.req.query("id") ?? "";
    const entry = await readDeadLetter({ redis, dlqStream: config.dlqStream, id });
    if (entry === null) {
      const back = `/dashboard/dlq?${new URLSearchParams({ stream: config.stream, group: config.group })}`;
      return c.html(
        messagePage("Not found", `No dead letter ${id} (moved or deleted?)`, c.var.csrf, back),
        404,
      );
    }
    return c.html(deadLetterPage(config, entry, c.var.csrf));
  });

  mountActions(app, options);

  // Errors answer as pages, with the same statuses and codes as the JSON API.
  app.onError((err, c) => {
    const { status, code, message } = toErrorAnswer(err);
    log("dashboard_error", { method: c.req.method, path: c.req.path, status, code });
    return c.html(messagePage(code, message, undefined, "/dashboard"), status);
  });
  return app;
}
