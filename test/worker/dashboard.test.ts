import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { useKeyspace } from "../helpers/redis";
import { startWorker } from "../helpers/worker";

const TOKEN = "dashboard-admin-token";
const ks = useKeyspace("dash", { scope: "suite" });
const { d } = ks;
const stream = ks.key("orders<b>");
let mf: Miniflare;

beforeAll(async () => {
  mf = await startWorker({ STREAM: stream, GROUP: "g", ADMIN_TOKEN: TOKEN });
});
afterAll(async () => {
  await mf.dispose();
});
beforeEach(async () => {
  await ks.cleanup();
});

type Init = { method?: string; headers?: Record<string, string>; body?: string };

function fetchAt(path: string, init: Init = {}, origin = "http://worker.example") {
  return mf.dispatchFetch(`${origin}${path}`, { redirect: "manual", ...init });
}

const form = (fields: Record<string, string>) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields).toString(),
});

/** Logs in and answers the session cookie (`name=value`). */
async function login(): Promise<string> {
  const res = await fetchAt("/dashboard/login", form({ token: TOKEN }));
  const cookie = res.headers.get("set-cookie") ?? "";
  return cookie.split(";")[0] ?? "";
}

/** The CSRF token a page served to `cookie` carries. */
async function csrfOf(cookie: string): Promise<string> {
  const page = await (await fetchAt("/dashboard", { headers: { cookie } })).text();
  return /name="_csrf" value="([0-9a-f]+)"/.exec(page)?.[1] ?? "";
}

describe("without a session", () => {
  it("answers the login form and no stream data", async () => {
    await d.sendCommand(["XADD", stream, "*", "k", "v"]);
    const res = await fetchAt("/dashboard");
    const page = await res.text();
    expect(res.status).toBe(401);
    expect(page).toContain('name="token"');
    expect(page).not.toContain("orders");
  });

  it("keeps `/` a 404", async () => {
    const res = await fetchAt("/");
    expect(res.status).toBe(404);
  });

  it("refuses a wrong token without setting a cookie", async () => {
    const res = await fetchAt("/dashboard/login", form({ token: "wrong" }));
    expect(res.status).toBe(401);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(await res.text()).toContain("not the admin token");
  });

  it("refuses a forged session cookie", async () => {
    const forged = `rsw_session=${Date.now() + 3_600_000}.${"0".repeat(64)}`;
    const res = await fetchAt("/dashboard", { headers: { cookie: forged } });
    expect(res.status).toBe(401);
  });

  it("refuses an action, as any POST without a session", async () => {
    const res = await fetchAt("/dashboard/actions/drain", form({ confirm: "1" }));
    expect(res.status).toBe(401);
  });
});

describe("logging in", () => {
  it("sets an HttpOnly, Secure, SameSite=Strict session cookie", async () => {
    const res = await fetchAt("/dashboard/login", form({ token: TOKEN }));
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard");
    expect(cookie).toMatch(/^rsw_session=\d+\.[0-9a-f]{64};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\//);
  });

  it("leaves Secure off on loopback, where plain http is the rule", async () => {
    const res = await fetchAt("/dashboard/login", form({ token: TOKEN }), "http://127.0.0.1");
    expect(res.headers.get("set-cookie") ?? "").not.toMatch(/Secure/);
  });

  it("sends a logged-in browser from `/` to the dashboard", async () => {
    const cookie = await login();
    const res = await fetchAt("/", { headers: { cookie } });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard");
  });

  it("serves pages under a Content-Security-Policy without inline scripts", async () => {
    const cookie = await login();
    const res = await fetchAt("/dashboard", { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await res.text()).not.toMatch(/<script>/);
  });

  it("escapes a stream name that looks like markup", async () => {
    const cookie = await login();
    const page = await (await fetchAt("/dashboard", { headers: { cookie } })).text();
    expect(page).toContain("orders&lt;b&gt;");
    expect(page).not.toContain("orders<b>");
  });

  it("does not open the JSON API: its routes still want the bearer token", async () => {
    const cookie = await login();
    const res = await fetchAt("/stats", { headers: { cookie } });
    expect(res.status).toBe(401);
  });
});

describe("CSRF", () => {
  it("refuses a POST without the CSRF token and changes nothing", async () => {
    await d.sendCommand(["XGROUP", "CREATE", stream, "g", "$", "MKSTREAM"]);
    await d.sendCommand(["XADD", stream, "1-1", "k", "v"]);
    const cookie = await login();
    const res = await fetchAt("/dashboard/actions/reset", {
      ...form({ id: "1-1", confirm: "1" }),
      headers: { ...form({}).headers, cookie },
    });
    const groups = (await d.sendCommand(["XINFO", "GROUPS", stream])) as unknown[][];
    expect(res.status).toBe(403);
    expect(groups[0]).toContain("0-0");
  });

  it("refuses the CSRF token of another session", async () => {
    const mine = await login();
    await new Promise((r) => setTimeout(r, 5));
    const theirs = await login();
    expect(theirs).not.toBe(mine);
    const res = await fetchAt("/dashboard/logout", {
      ...form({ _csrf: await csrfOf(theirs) }),
      headers: { ...form({}).headers, cookie: mine },
    });
    expect(res.status).toBe(403);
  });

  it("runs a POST that carries its session's token", async () => {
    const cookie = await login();
    const csrf = await csrfOf(cookie);
    const res = await fetchAt("/dashboard/logout", {
      ...form({ _csrf: csrf }),
      headers: { ...form({}).headers, cookie },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("set-cookie") ?? "").toMatch(/rsw_session=;/);
  });
});

describe("bad input", () => {
  it("answers 400 naming `start` when a dead-letter page starts at no stream id", async () => {
    const cookie = await login();
    const res = await fetchAt("/dashboard/dlq?start=abc", { headers: { cookie } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("start");
  });
});

describe("without ADMIN_TOKEN", () => {
  it("is off, as the admin API is", async () => {
    const off = await startWorker({ STREAM: stream, GROUP: "g" });
    try {
      const res = await off.dispatchFetch("http://worker/dashboard");
      expect(res.status).toBe(403);
      expect(await res.text()).toContain("ADMIN_TOKEN is not set");
    } finally {
      await off.dispose();
    }
  });
});
