/**
 * Bad-input catalogue, the local Upstash REST bridge: malformed bodies, refused commands,
 * wrong methods, paths and tokens. Each gets a 4xx naming the problem, the bridge keeps
 * serving, and no key changes.
 */
import { request } from "node:http";
import { describe, expect, inject, it } from "vitest";
import { useCatalogue } from "../helpers/bad-input-fixture";

const catalogue = useCatalogue("bad-bridge", "bad-input-bridge");

async function send(
  path: string,
  body: string | Uint8Array,
  init: { method?: string; token?: string | null } = {},
): Promise<{ status: number; error: string }> {
  catalogue.tried++;
  const token = init.token === undefined ? inject("bridgeToken") : init.token;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== null) {
    headers.authorization = `Bearer ${token}`;
  }
  const method = init.method ?? "POST";
  const res = await fetch(`${inject("bridgeUrl")}${path}`, {
    method,
    headers,
    body: method === "GET" || method === "HEAD" ? undefined : body,
  });
  const text = await res.text();
  let error = "";
  try {
    error = String((JSON.parse(text) as { error?: unknown }).error ?? "");
  } catch {
    error = `not JSON: ${text.slice(0, 80)}`;
  }
  return { status: res.status, error };
}

/** A POST on a fresh connection that is closed afterwards. */
function oneShot(body: string): Promise<{ status: number }> {
  catalogue.tried++;
  const url = new URL(inject("bridgeUrl"));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: "/",
        method: "POST",
        agent: false,
        headers: {
          authorization: `Bearer ${inject("bridgeToken")}`,
          "content-type": "application/json",
          connection: "close",
        },
      },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0 });
        req.destroy();
      },
    );
    // The bridge answers before the body is in and stops reading: the rest of the upload may
    // meet a reset, with or without the 413 read first. Either way the body was refused.
    req.on("error", (e: NodeJS.ErrnoException) =>
      e.code === "EPIPE" || e.code === "ECONNRESET" ? resolve({ status: 0 }) : reject(e),
    );
    req.end(body);
  });
}

describe("malformed bodies", () => {
  const key = () => catalogue.ks.key("orders");
  const single = (): string[] => [
    "",
    "{",
    "null",
    "{}",
    '"GET"',
    "42",
    "[]",
    "[[]]",
    "[null]",
    "[true]",
    '["SET", null, "x"]',
    `["SET", "${key()}", {"a": 1}]`,
    `["SET", "${key()}", ["nested"]]`,
    `["DEL", "${key()}", {}]`,
    `["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "${key()}", ">"]`,
    `["XREAD", "block", "10", "STREAMS", "${key()}", "0"]`,
    `["BLPOP", "${key()}", "0"]`,
    '["MULTI"]',
    '["EXEC"]',
    '["SUBSCRIBE", "c"]',
    '["SELECT", "1"]',
    '["MONITOR"]',
    '["[1,2]"]'.replace('"[1,2]"', "[1,2]"),
    '["\\u0000"]',
    `["DEL", "${key()}"`,
    '["DEL"]\u0000',
  ];
  const pipelines = (): string[] => [
    "[]",
    `["GET", "${key()}"]`,
    `[["GET", "${key()}"], "DEL"]`,
    `[["GET", "${key()}"], []]`,
    `[["DEL", "${key()}"], null]`,
    `[["DEL", "${key()}"], ["BLPOP", "x", "0"]]`,
    `[["XADD", "${key()}", "*", "a", "1"], {"cmd": "DEL"}]`,
    "{",
  ];

  it("POST / answers 400 naming the problem for each", async () => {
    for (const body of single()) {
      const res = await send("/", body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.error.length).toBeGreaterThan(5);
    }
  });

  it("POST /pipeline and /multi-exec refuse the whole body before running any of it", async () => {
    for (const path of ["/pipeline", "/multi-exec"]) {
      for (const body of pipelines()) {
        const res = await send(path, body);
        expect({ path, body, status: res.status }).toEqual({ path, body, status: 400 });
      }
    }
  });

  it("refuses invalid UTF-8 and a body over Upstash's 10 MiB request limit", async () => {
    const res = await send("/", new Uint8Array([0x5b, 0xff, 0xfe, 0x5d]));
    expect(res.status).toBe(400);
    // The bridge reads the whole body (so it can say how large it was) and answers 413.
    const huge = await oneShot(
      `["SET", "${catalogue.ks.key("huge")}", "${"x".repeat(11 * 1024 * 1024)}"]`,
    );
    expect(huge.status).toBe(413);
  });
});

describe("methods, paths and tokens", () => {
  it("answers 404, 405 and 401 as it should", async () => {
    for (const path of ["/nope", "/pipeline/x", "/PIPELINE", "/multi-exec/", "/x/%2e%2e/y"]) {
      expect((await send(path, '["PING"]')).status).toBe(404);
    }
    for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
      expect((await send("/", '["PING"]', { method })).status).toBe(405);
    }
    const del = `["DEL", "${catalogue.ks.key("orders")}"]`;
    for (const token of [
      null,
      "",
      "wrong",
      `${inject("bridgeToken")}x`,
      inject("bridgeToken").slice(1),
    ]) {
      expect((await send("/", del, { token })).status).toBe(401);
      expect((await send("/pipeline", `[${del}]`, { token })).status).toBe(401);
    }
  });
});

describe("after the whole catalogue", () => {
  it("the bridge still serves and no key changed", async () => {
    const res = await send("/", '["PING"]');
    catalogue.tried--; // the control request is not a bad input
    expect(res.status).toBe(200);
    expect(await catalogue.now()).toEqual(catalogue.before);
  });
});
