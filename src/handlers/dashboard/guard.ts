/**
 * @module What every dashboard request passes through: security headers, the login session,
 * CSRF on POSTs, and the stream a request is about.
 */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { parseAdminToken } from "../../lib/config/env";
import { parseStreamConfigs, type ResolvedConfig } from "../../lib/index";
import { redisFor } from "../client";
import type { Env } from "../env";
import { HttpError } from "../http-errors";
import { log } from "../log";
import { selectStream } from "../streams";
import { csrfToken, isCsrfToken, isSession, SESSION_COOKIE } from "./session";
import { loginPage } from "./views/layout";

/** Hono env of the dashboard's routes once the session is checked. */
export type DashboardEnv = {
  Bindings: Env;
  Variables: { token: string; session: string; csrf: string };
};

/**
 * The page's own code only: no inline script or style, no framing, forms post back here. An
 * injected `<script>` would not run even if escaping ever failed.
 */
const HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "cache-control": "no-store",
};

export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  for (const [k, v] of Object.entries(HEADERS)) {
    c.res.headers.set(k, v);
  }
};

/**
 * ADMIN_TOKEN, which the dashboard is behind.
 * @throws HttpError 403 when it is unset: the dashboard is off, as the admin API is
 */
export function adminToken(env: Env): string {
  const token = parseAdminToken(env);
  if (token === undefined) {
    throw new HttpError(403, "ADMIN_DISABLED", "ADMIN_TOKEN is not set: the dashboard is off");
  }
  return token;
}

/** The session cookie when it is valid, else undefined. */
export async function sessionOf(c: Context, token: string): Promise<string | undefined> {
  const value = getCookie(c, SESSION_COOKIE);
  return (await isSession(token, value)) ? value : undefined;
}

/**
 * Lets only a logged-in browser through. A page without a session gets the login form (401,
 * no data); a POST without one is refused, as is a POST whose `_csrf` is not its session's.
 */
export const requireSession: MiddlewareHandler<DashboardEnv> = async (c, next) => {
  const token = adminToken(c.env);
  const session = await sessionOf(c, token);
  if (session === undefined) {
    if (c.req.method === "GET") {
      return c.html(loginPage(), 401);
    }
    throw new HttpError(401, "UNAUTHORIZED", "not logged in: log in at /dashboard first");
  }
  if (c.req.method === "POST") {
    // `all`: the first parse is cached, and the redrive form sends `ids` several times.
    const form = await c.req.parseBody({ all: true });
    const given = typeof form._csrf === "string" ? form._csrf : undefined;
    if (!(await isCsrfToken(token, session, given))) {
      log("dashboard_csrf_refused", { path: c.req.path });
      throw new HttpError(403, "CSRF", "missing or wrong CSRF token: reload the page and retry");
    }
  }
  c.set("token", token);
  c.set("session", session);
  c.set("csrf", await csrfToken(token, session));
  await next();
};

/** The configured stream a request names (`stream`, `group` in its query or form). */
export type Selected = {
  configs: ResolvedConfig[];
  index: number;
  config: ResolvedConfig;
  redis: ReturnType<typeof redisFor>;
};

/** Picks the stream of `stream`/`group` (400 naming the configured ones when unknown). */
export function selected(env: Env, stream?: string, group?: string): Selected {
  const configs = parseStreamConfigs(env);
  const index = selectStream(configs, stream, group);
  const config = configs[index] as ResolvedConfig;
  return { configs, index, config, redis: redisFor(config.url, config.token) };
}

/** `name` of a parsed form: its one string value, or undefined. */
export function field(form: Record<string, unknown>, name: string): string | undefined {
  const v = form[name];
  return typeof v === "string" ? v : undefined;
}
