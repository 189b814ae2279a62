/**
 * The HTTP API in process: hono's `app.request()` with plain-object bindings, no Miniflare.
 * Routing, auth, query and configuration errors are answered before Redis is asked; the
 * requests that reach Redis go to the shared bridge, under a random key prefix per test.
 */
import { afterEach, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { createApp } from "../../src/handlers/http";
import { fill, pendingCount } from "../helpers/drain-fixture";
import { useKeyspace } from "../helpers/redis";

const TOKEN = "routing-admin-token-5c1e9b";
const WRONG = "routing-wrong-token-a73f20";
const ADMIN = { authorization: `Bearer ${TOKEN}` };

const ks = useKeyspace("http-routing");
const { d } = ks;

type Bindings = Record<string, string | undefined>;
type Answer = {
  status: number;
  headers: Headers;
  /** The raw body, for "never contains" checks. */
  text: string;
  body: { error?: { code?: string; message?: string } } & Record<string, unknown>;
};

/** A working deploy's bindings (the shared bridge, this test's stream), with `changes` applied. */
function bindings(changes: Bindings = {}): Record<string, string> {
  const all: Bindings = {
    UPSTASH_REDIS_REST_URL: inject("bridgeUrl"),
    UPSTASH_REDIS_REST_TOKEN: inject("bridgeToken"),
    STREAM: ks.key("orders"),
    GROUP: "g",
    ADMIN_TOKEN: TOKEN,
    ...changes,
  };
  const set: Record<string, string> = {};
  for (const [name, value] of Object.entries(all)) {
    if (value !== undefined) {
      set[name] = value;
    }
  }
  return set;
}

/** One request through `createApp().request()`; as the admin unless `headers` say otherwise. */
async function call(
  method: string,
  path: string,
  options: {
    headers?: Record<string, string>;
    env?: Bindings;
    app?: ReturnType<typeof createApp>;
  } = {},
): Promise<Answer> {
  const app = options.app ?? createApp();
  const res = await app.request(
    path,
    { method, headers: options.headers ?? ADMIN },
    bindings(options.env),
  );
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    body: JSON.parse(text) as Answer["body"],
  };
}

/** Everything an answer shows: status, headers and body. */
const shown = (a: Answer) => `${a.status} ${JSON.stringify([...a.headers])} ${a.text}`;

// The app logs one JSON line per request; kept here, to be read and to keep the output quiet.
let logs: string[] = [];
beforeEach(() => {
  logs = [];
  const keep = (...args: unknown[]) => void logs.push(args.map(String).join(" "));
  vi.spyOn(console, "log").mockImplementation(keep);
  vi.spyOn(console, "error").mockImplementation(keep);
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("routing", () => {
  it("answers 404 NOT_FOUND naming the method and path for an unknown path", async () => {
    const a = await call("GET", "/nope");
    expect(a.status).toBe(404);
    expect(a.body).toEqual({ error: { code: "NOT_FOUND", message: "no route GET /nope" } });
  });

  it("answers 404, not 401, for an unknown path requested without a token", async () => {
    const a = await call("POST", "/admin/secrets", { headers: {} });
    expect(a.status).toBe(404);
    expect(a.body.error?.code).toBe("NOT_FOUND");
  });

  it.each([
    ["GET", "/drain", "POST"],
    ["GET", "/sweep", "POST"],
    ["POST", "/stats", "GET"],
    ["DELETE", "/dlq", "GET"],
    ["GET", "/group/reset", "POST"],
  ])("answers 405 with an allow header for %s %s (allow: %s)", async (method, path, allow) => {
    const a = await call(method, path);
    expect(a.status).toBe(405);
    expect(a.headers.get("allow")).toBe(allow);
    expect(a.body.error).toEqual({
      code: "METHOD_NOT_ALLOWED",
      message: `${method} ${path}: use ${allow}`,
    });
  });
});

describe("admin auth", () => {
  it("answers 403 ADMIN_DISABLED when ADMIN_TOKEN is unset, whatever token is sent", async () => {
    const a = await call("GET", "/stats", { env: { ADMIN_TOKEN: undefined } });
    expect(a.status).toBe(403);
    expect(a.body.error).toEqual({
      code: "ADMIN_DISABLED",
      message: "ADMIN_TOKEN is not set: admin endpoints are off",
    });
  });

  it("answers 401 UNAUTHORIZED with a www-authenticate challenge to a missing token", async () => {
    const a = await call("GET", "/stats", { headers: {} });
    expect(a.status).toBe(401);
    expect(a.headers.get("www-authenticate")).toBe('Bearer realm="redis-streams-worker"');
    expect(a.body.error).toEqual({
      code: "UNAUTHORIZED",
      message: "missing bearer token: send Authorization: Bearer <ADMIN_TOKEN>",
    });
  });

  it("answers 401 UNAUTHORIZED with a www-authenticate challenge to a wrong token", async () => {
    const a = await call("POST", "/drain", { headers: { authorization: `Bearer ${WRONG}` } });
    expect(a.status).toBe(401);
    expect(a.headers.get("www-authenticate")).toBe('Bearer realm="redis-streams-worker"');
    expect(a.body.error).toEqual({ code: "UNAUTHORIZED", message: "invalid bearer token" });
  });

  it("never shows the admin token, the Upstash token or a wrong token in an answer", async () => {
    const upstashToken = inject("bridgeToken");
    const answers = [
      await call("GET", "/stats"),
      await call("GET", "/stats", { headers: { authorization: `Bearer ${WRONG}` } }),
      await call("GET", "/stats", { headers: { authorization: `Basic ${TOKEN}` } }),
      await call("GET", "/dlq?count=0"),
      await call("POST", "/drain?max=0"),
      await call("GET", "/stats", { env: { GROUP: undefined } }),
      await call("GET", "/stats", {
        env: { UPSTASH_REDIS_REST_URL: `ftp://default:${upstashToken}@127.0.0.1/` },
      }),
      await call("GET", "/nope"),
      await call("GET", "/drain"),
      await call("GET", "/health"),
    ];
    expect(answers.map((a) => a.status)).toEqual([
      200, 401, 401, 400, 400, 500, 500, 404, 405, 200,
    ]);
    for (const a of answers) {
      expect(shown(a)).not.toContain(TOKEN);
      expect(shown(a)).not.toContain(upstashToken);
      expect(shown(a)).not.toContain(WRONG);
    }
  });

  it("never writes the admin token or a wrong token to the logs", async () => {
    await call("GET", "/stats");
    await call("POST", "/sweep", { headers: { authorization: `Bearer ${WRONG}` } });
    await call("GET", "/dlq?count=0");
    expect(logs.length).toBeGreaterThanOrEqual(3);
    expect(logs.join("\n")).not.toContain(TOKEN);
    expect(logs.join("\n")).not.toContain(WRONG);
  });
});

describe("query parameters", () => {
  it.each([
    ["GET", "/dlq?count=0", "count"],
    ["GET", "/dlq?count=abc", "count"],
    ["POST", "/dlq/redrive?count=1001", "count"],
    ["GET", "/dlq?start=yesterday", "start"],
    ["POST", "/dlq/redrive?dryRun=maybe", "dryRun"],
    ["POST", "/group/reset", "id"],
    ["POST", "/group/reset?id=latest", "id"],
    ["POST", "/drain?max=0", "max"],
    ["POST", "/drain?max=1e3", "max"],
    ["POST", "/drain?budgetMs=900001", "budgetMs"],
    ["POST", "/drain?budgetMs=-5", "budgetMs"],
  ])("answers 400 INVALID_QUERY to %s %s, naming %s", async (method, path, parameter) => {
    const a = await call(method, path);
    expect(a.status).toBe(400);
    expect(a.body.error?.code).toBe("INVALID_QUERY");
    expect(a.body.error?.message).toMatch(new RegExp(`^${parameter} (must be|is required)`));
  });

  it("quotes the refused value in the 400 message", async () => {
    const a = await call("GET", "/dlq?count=1.5");
    expect(a.body.error?.message).toBe('count must be an integer between 1 and 1000, got "1.5"');
  });

  it.each([
    ["GET", "/dlq?count=5&count=500", "count"],
    ["GET", "/dlq?start=1-0&start=2-0", "start"],
    ["POST", "/dlq/redrive?dryRun=true&dryRun=false", "dryRun"],
    ["POST", "/group/reset?id=$&id=0", "id"],
    ["POST", "/drain?max=1&max=500", "max"],
    ["POST", "/drain?budgetMs=1000&budgetMs=1000", "budgetMs"],
  ])(
    "answers 400 to %s %s, a repeated %s, rather than use one of its values",
    async (method, path, parameter) => {
      const a = await call(method, path);
      expect(a.status).toBe(400);
      expect(a.body.error).toEqual({
        code: "INVALID_QUERY",
        message: `${parameter} must be given once, got it 2 times`,
      });
    },
  );

  it("touches no key when a query parameter is refused", async () => {
    await call("POST", "/group/reset?id=latest");
    await call("POST", "/drain?max=0");
    expect(await d.keys(`${ks.prefix}*`)).toEqual([]);
  });
});

describe("configuration", () => {
  it.each([
    ["STREAM", { STREAM: undefined }, /(^|; )STREAM is required/],
    ["GROUP", { GROUP: undefined }, /(^|; )GROUP is required/],
    ["UPSTASH_REDIS_REST_URL", { UPSTASH_REDIS_REST_URL: "not a url" }, /UPSTASH_REDIS_REST_URL/],
    ["BATCH_SIZE", { BATCH_SIZE: "abc" }, /BATCH_SIZE must be .*, got "abc"/],
  ])(
    "answers 500 CONFIG_INVALID naming %s when it is missing or malformed",
    async (_, env, message) => {
      const a = await call("GET", "/stats", { env });
      expect(a.status).toBe(500);
      expect(a.body.error?.code).toBe("CONFIG_INVALID");
      expect(a.body.error?.message).toMatch(message);
    },
  );

  it("answers 401, not the configuration error, to a request without the admin token", async () => {
    const a = await call("GET", "/stats", { env: { STREAM: undefined }, headers: {} });
    expect(a.status).toBe(401);
    expect(a.text).not.toContain("STREAM");
  });

  it.each([
    ["a query string", "htps://x.example/hook?token=hunter2-query"],
    ["a fragment", "ftp://x.example/hook#hunter2-fragment"],
    ["credentials", "https://user:hunter2-pass@x.example:99999/hook"],
  ])("never shows a TARGET_URL's %s in the 500 answer or the logs", async (_, url) => {
    const a = await call("GET", "/stats", { env: { TARGET_URL: url } });
    expect(a.status).toBe(500);
    expect(a.body.error?.message).toMatch(/^TARGET_URL must be .*, got ".*<redacted>.*"$/);
    expect(shown(a)).not.toContain("hunter2");
    expect(logs.join("\n")).not.toContain("hunter2");
  });

  it("answers /drain 500 CONFIG_INVALID for a TARGET_URL whose user part is not percent-decodable", async () => {
    const a = await call("POST", "/drain", {
      env: { TARGET_URL: "https://hunter2%zz:pass@x.example/hook" },
    });
    expect(a.status).toBe(500);
    expect(a.body.error?.code).toBe("CONFIG_INVALID");
    expect(a.body.error?.message).toMatch(/^TARGET_URL must be .*malformed percent-escape/);
    expect(shown(a)).not.toContain("hunter2");
    expect(await d.keys(`${ks.prefix}*`)).toEqual([]);
  });

  it("answers /drain 500 CONFIG_INVALID for a GROUP_START_ID past 64 bits, reading nothing", async () => {
    await fill(d, ks.key("orders"), 1);
    const app = createApp({ handler: () => {} });
    const a = await call("POST", "/drain", {
      app,
      env: { GROUP_START_ID: "18446744073709551616-0" },
    });
    expect(a.status).toBe(500);
    expect(a.body.error?.message).toMatch(/^GROUP_START_ID must be .*above 18446744073709551615/);
    expect(await pendingCount(d, ks.key("orders"))).toBe(0);
  });

  it.each([
    ["with the token's first word", { authorization: `Bearer ${TOKEN.split("-")[0]}` }],
    ["without a token", {}],
  ])(
    "answers 500 CONFIG_INVALID naming ADMIN_TOKEN, not its value, when it holds a space (%s)",
    async (_, headers) => {
      const spaced = "routing admin token";
      const a = await call("GET", "/stats", { env: { ADMIN_TOKEN: spaced }, headers });
      expect(a.status).toBe(500);
      expect(a.body.error).toEqual({
        code: "CONFIG_INVALID",
        message:
          "ADMIN_TOKEN must be a bearer token (RFC 6750): letters, digits and - . _ ~ + / only, then any = padding, got <redacted>",
      });
      expect(`${shown(a)}${logs.join("\n")}`).not.toContain("routing admin");
    },
  );

  it("answers a Redis failure with 502 naming the command and Redis's code, not the keys it quotes", async () => {
    // A stream without the group: XPENDING answers NOGROUP, whose text names the key.
    const stream = ks.key("orders");
    await d.sendCommand(["XADD", stream, "*", "n", "1"]);
    const app = createApp({ handler: () => {} });
    const a = await call("POST", "/sweep", { app });
    expect(a.status).toBe(502);
    expect(a.body.error).toEqual({ code: "REDIS_ERROR", message: "XPENDING failed: NOGROUP" });
    expect(shown(a)).not.toContain(stream);
    expect(logs.join("\n")).not.toContain(stream);
  });

  it("answers 500 CONFIG_INVALID naming TARGET_URL to /drain when no handler is given", async () => {
    const a = await call("POST", "/drain");
    expect(a.status).toBe(500);
    expect(a.body.error?.code).toBe("CONFIG_INVALID");
    expect(a.body.error?.message).toMatch(/^TARGET_URL is not set/);
  });
});

describe("POST /group/reset against Redis", () => {
  it("answers 400 ID_PAST_END naming the id and the stream's last id, and moves nothing", async () => {
    const stream = ks.key("orders");
    const [, last = ""] = await fill(d, stream, 2);
    const [ms = "0"] = last.split("-");
    const past = `${BigInt(ms) + 1n}-0`;
    const a = await call("POST", `/group/reset?id=${past}`);
    expect(a.status).toBe(400);
    expect(a.body.error).toEqual({
      code: "ID_PAST_END",
      message: `id "${past}" is past the end of the stream, whose last id is "${last}": use "$" to skip to the end`,
    });
    const [group] = (await d.sendCommand(["XINFO", "GROUPS", stream])) as unknown[][];
    expect(group?.[7]).not.toBe(past);
  });

  it("takes the stream's last id itself, and $", async () => {
    const stream = ks.key("orders");
    const [, last = ""] = await fill(d, stream, 2);
    expect((await call("POST", `/group/reset?id=${last}`)).status).toBe(200);
    expect((await call("POST", "/group/reset?id=$")).status).toBe(200);
  });

  it("answers 400 to an id past 64 bits before asking Redis", async () => {
    const a = await call("POST", "/group/reset?id=18446744073709551616-0");
    expect(a.status).toBe(400);
    expect(a.body.error?.code).toBe("INVALID_QUERY");
  });
});

describe("/health", () => {
  it("answers 503 redis down when UPSTASH_REDIS_REST_URL is unset", async () => {
    const a = await call("GET", "/health", { env: { UPSTASH_REDIS_REST_URL: undefined } });
    expect(a.status).toBe(503);
    expect(a.body).toEqual({
      ok: false,
      redis: "down",
      error: "UPSTASH_REDIS_REST_URL/_TOKEN not set",
    });
  });

  it("answers 200 redis up through the bridge, without a token", async () => {
    const a = await call("GET", "/health", { headers: {} });
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ ok: true, redis: "up" });
  });
});

describe("admin routes against Redis", () => {
  it("GET /stats answers 200 with the configured stream's key", async () => {
    await fill(d, ks.key("orders"), 2);
    const a = await call("GET", "/stats");
    expect(a.status).toBe(200);
    expect(a.body.stream).toMatchObject({ key: ks.key("orders"), exists: true, length: 2 });
  });

  it("GET /dlq answers 200 with an empty page of the default dead-letter stream", async () => {
    const a = await call("GET", "/dlq?count=5");
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ dlqStream: ks.key("orders:dlq"), entries: [] });
  });

  it("POST /drain runs the handler given to createApp on new messages and acks them", async () => {
    const stream = ks.key("orders");
    await fill(d, stream, 3);
    const seen: string[] = [];
    const app = createApp({ handler: (m) => void seen.push(m.fields.n ?? "") });
    const a = await call("POST", "/drain?max=10", { app });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ read: 3, acked: 3 });
    expect(seen.sort()).toEqual(["0", "1", "2"]);
    expect(await pendingCount(d, stream)).toBe(0);
  });
});
