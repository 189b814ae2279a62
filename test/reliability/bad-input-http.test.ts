/**
 * Bad-input catalogue, HTTP: every route with missing, wrong and malformed tokens, bad and
 * oversized query values, wrong methods and unknown paths. Each answers a clear 4xx JSON error,
 * the Worker keeps answering, Redis data is untouched and the token never reaches the logs.
 */
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { tokensEqual } from "../../src/handlers/auth";
import { useCatalogue } from "../helpers/bad-input-fixture";
import { startWorker } from "../helpers/worker";

const TOKEN = "Adm1n-t0ken-for-bad-input-catalogue";
const GROUP = "g";
const ROUTES = [
  ["GET", "/stats"],
  ["GET", "/dlq"],
  ["POST", "/dlq/redrive"],
  ["POST", "/group/reset"],
  ["POST", "/drain"],
  ["POST", "/sweep"],
] as const;

type Answer = { status: number; body: { error?: { code?: string; message?: string } } };

const catalogue = useCatalogue("bad-http", "bad-input-http", GROUP);
let mf: Miniflare;
const logs: string[] = [];

beforeAll(async () => {
  mf = await startWorker(
    {
      STREAM: catalogue.stream,
      GROUP,
      ADMIN_TOKEN: TOKEN,
      TARGET_URL: "http://127.0.0.1:9/never-called",
      MAX_MESSAGES: "500",
    },
    logs,
  );
});

afterAll(async () => {
  await mf?.dispose();
});

async function call(
  method: string,
  path: string,
  authorization?: string,
  body?: string,
): Promise<Answer> {
  catalogue.tried++;
  const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
  const res = await mf.dispatchFetch(`http://worker${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: Answer["body"] = {};
  try {
    parsed = JSON.parse(text) as Answer["body"];
  } catch {
    parsed = { error: { code: "NOT_JSON", message: text.slice(0, 100) } };
  }
  return { status: res.status, body: parsed };
}

const BAD_TOKENS = [
  undefined,
  "",
  "Bearer",
  "Bearer ",
  "Bearer\t",
  `Basic ${Buffer.from(`admin:${TOKEN}`).toString("base64")}`,
  "Bearer wrong",
  `Bearer ${TOKEN.slice(0, -1)}`,
  `Bearer ${TOKEN}x`,
  `Bearer ${TOKEN.toUpperCase()}`,
  `Bearer ${TOKEN} extra`,
  `Bearer  ${TOKEN}${TOKEN}`,
  `Token ${TOKEN}`,
  TOKEN,
  `Bearer "${TOKEN}"`,
  `Bearer ${"a".repeat(8000)}`,
  "Bearer \u00e9\u00e8\u00ff",
  `Bearer ${TOKEN.slice(1)}`,
  "Bearer null",
  "Bearer undefined",
];

describe("auth", () => {
  it.each(ROUTES)(
    "%s %s refuses every missing, wrong or malformed token with 401",
    async (method, path) => {
      for (const token of BAD_TOKENS) {
        const res = await call(method, path, token);
        expect({
          token: token?.slice(0, 40),
          status: res.status,
          code: res.body.error?.code,
        }).toEqual({
          token: token?.slice(0, 40),
          status: 401,
          code: "UNAUTHORIZED",
        });
      }
      // A token in the query string is not a token.
      const res = await call(method, `${path}?token=${TOKEN}&access_token=${TOKEN}`);
      expect(res.status).toBe(401);
    },
  );

  it("compares in constant time: both sides are hashed, every digest byte is compared", async () => {
    const spy = { inputs: [] as string[] };
    const original = crypto.subtle.digest.bind(crypto.subtle);
    const patched = (alg: Parameters<typeof crypto.subtle.digest>[0], data: Uint8Array) => {
      spy.inputs.push(new TextDecoder().decode(data as Uint8Array));
      return original(alg, data);
    };
    crypto.subtle.digest = patched as typeof crypto.subtle.digest;
    try {
      expect(await tokensEqual("x", TOKEN)).toBe(false);
      expect(await tokensEqual(TOKEN, TOKEN)).toBe(true);
      // Lengths differ, yet both are digested: neither length nor prefix can short-circuit.
      expect(spy.inputs).toEqual(["x", TOKEN, TOKEN, TOKEN]);
    } finally {
      crypto.subtle.digest = original;
    }
    // A mismatch at the first byte and at the last take the same path (coarse timing guard).
    const long = "k".repeat(100_000);
    const time = async (given: string) => {
      const t0 = performance.now();
      for (let i = 0; i < 200; i++) {
        await tokensEqual(given, long);
      }
      return performance.now() - t0;
    };
    await time(`x${long.slice(1)}`);
    const early = await time(`x${long.slice(1)}`);
    const late = await time(`${long.slice(1)}x`);
    expect(Math.max(early, late) / Math.min(early, late)).toBeLessThan(3);
  });
});

const COUNTS = [
  "0",
  "-1",
  "1001",
  "99999999999999999999",
  "1e3",
  "abc",
  " 5",
  "5.0",
  "+5",
  "0x10",
  "1_000",
  "NaN",
  "Infinity",
  "%00",
  "5%20",
  "٣",
];
const IDS = [
  "abc",
  "-",
  "+",
  "1-2-3",
  "-1-0",
  "99999999999999999999999-0",
  "1-",
  "-1",
  "0-x",
  "$$",
  "1.5-0",
  " 0",
];

describe("query values", () => {
  const auth = `Bearer ${TOKEN}`;
  const cases: [string, string, string][] = [
    ...COUNTS.map((v): [string, string, string] => ["GET", `/dlq?count=${v}`, "count"]),
    ...COUNTS.map((v): [string, string, string] => ["POST", `/dlq/redrive?count=${v}`, "count"]),
    ...IDS.filter((v) => v !== "+" && v !== "-").map((v): [string, string, string] => [
      "GET",
      `/dlq?start=${encodeURIComponent(v)}`,
      "start",
    ]),
    ...["maybe", "yes", "2", "TRUE1", "-1", "null"].map((v): [string, string, string] => [
      "POST",
      `/dlq/redrive?dryRun=${v}`,
      "dryRun",
    ]),
    ...IDS.map((v): [string, string, string] => [
      "POST",
      `/group/reset?id=${encodeURIComponent(v)}`,
      "id",
    ]),
    ["POST", "/group/reset", "id"],
    ["POST", "/group/reset?id=", "id"],
    ...["0", "-1", "501", "1000000000", "abc", "1e2", "-0"].map((v): [string, string, string] => [
      "POST",
      `/drain?max=${v}`,
      "max",
    ]),
    ...["0", "-5", "900001", "1e5", "abc", "99999999999999999999"].map(
      (v): [string, string, string] => ["POST", `/drain?budgetMs=${v}`, "budgetMs"],
    ),
    ...["18446744073709551616-0", "0-18446744073709551616"].map((v): [string, string, string] => [
      "POST",
      `/group/reset?id=${v}`,
      "id",
    ]),
    // Repeated: which value was meant is a guess, so none is used.
    ["GET", "/dlq?count=5&count=500", "count"],
    ["GET", "/dlq?count=5&count=5", "count"],
    ["GET", "/dlq?start=0-1&count=1&start=0-2", "start"],
    ["POST", "/dlq/redrive?dryRun=true&dryRun=false", "dryRun"],
    ["POST", "/dlq/redrive?count=1&count=", "count"],
    ["POST", "/group/reset?id=$&id=0", "id"],
    ["POST", "/drain?max=1&max=500", "max"],
    ["POST", "/drain?budgetMs=100&budgetMs=900000", "budgetMs"],
  ];

  it(`answers 400 INVALID_QUERY naming the parameter for ${cases.length} bad values`, async () => {
    for (const [method, path, parameter] of cases) {
      const res = await call(method, path, auth);
      expect({ path, status: res.status, code: res.body.error?.code }).toEqual({
        path,
        status: 400,
        code: "INVALID_QUERY",
      });
      expect(res.body.error?.message).toMatch(new RegExp(`^${parameter}\\b`));
    }
  });
});

describe("ids past the end of the stream", () => {
  it("answers /group/reset 400 ID_PAST_END naming the id and the last id, moving nothing", async () => {
    for (const id of ["99999999999999-0", "18446744073709551615-18446744073709551615"]) {
      const res = await call("POST", `/group/reset?id=${id}`, `Bearer ${TOKEN}`);
      expect({ id, status: res.status, code: res.body.error?.code }).toEqual({
        id,
        status: 400,
        code: "ID_PAST_END",
      });
      expect(res.body.error?.message).toMatch(
        new RegExp(`^id "${id}" is past the end of the stream, whose last id is "\\d+-\\d+"`),
      );
    }
  });
});

describe("methods and paths", () => {
  const wrongMethods: [string, string][] = [
    ["GET", "/drain"],
    ["GET", "/sweep"],
    ["PUT", "/drain"],
    ["POST", "/stats"],
    ["DELETE", "/stats"],
    ["PUT", "/dlq"],
    ["DELETE", "/dlq"],
    ["GET", "/dlq/redrive"],
    ["PATCH", "/dlq/redrive"],
    ["GET", "/group/reset"],
    ["DELETE", "/group/reset"],
    ["POST", "/health"],
    ["DELETE", "/health"],
  ];
  const unknown = [
    "/",
    "/nope",
    "/stats/",
    "/STATS",
    "/dlq/",
    "/dlq/redrive/now",
    "/drain/",
    "/x/%2e%2e/nope",
    "/health%00",
    "/drain;x",
    `/${"a".repeat(4000)}`,
    "/__scheduled",
    "/dlq/..%2fstats",
    "/group",
  ];

  it("answers 405 with Allow for a known path under another method", async () => {
    for (const [method, path] of wrongMethods) {
      const res = await call(method, path, `Bearer ${TOKEN}`);
      expect({ method, path, status: res.status, code: res.body.error?.code }).toEqual({
        method,
        path,
        status: 405,
        code: "METHOD_NOT_ALLOWED",
      });
    }
  });

  it("answers 404 for unknown paths, with or without a token", async () => {
    for (const path of unknown) {
      for (const token of [undefined, `Bearer ${TOKEN}`]) {
        const res = await call("GET", path, token);
        expect({ path: path.slice(0, 30), status: res.status, code: res.body.error?.code }).toEqual(
          {
            path: path.slice(0, 30),
            status: 404,
            code: "NOT_FOUND",
          },
        );
      }
    }
    // Malformed bodies on routes that take none change nothing either.
    for (const body of ["{", "\u0000\u0001", "x".repeat(2000)]) {
      const res = await call("POST", "/dlq/redrive?count=0", `Bearer ${TOKEN}`, body);
      expect(res.status).toBe(400);
    }
  });
});

describe("after the whole catalogue", () => {
  it("the Worker still answers, Redis data is unchanged, and no token was logged", async () => {
    const health = await mf.dispatchFetch("http://worker/health");
    expect(health.status).toBe(200);
    await health.arrayBuffer();
    expect(await catalogue.now()).toEqual(catalogue.before);
    const all = logs.join("\n");
    expect(logs.length).toBeGreaterThan(catalogue.tried / 2); // every refusal logs a line
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(TOKEN.slice(0, 12));
    expect(all).not.toContain(inject("bridgeToken"));
    expect(all).not.toMatch(/http_internal_error/);
  });
});
