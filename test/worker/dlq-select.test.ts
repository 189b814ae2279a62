import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { deadLettersOf, streamIds } from "../helpers/dead-letter-fixture";
import { linesOf } from "../helpers/log-lines";
import { upstash, useKeyspace } from "../helpers/redis";
import { startWorker } from "../helpers/worker";

const TOKEN = "dlq-select-admin-token";
const auth = { authorization: `Bearer ${TOKEN}` };

// One Worker and one key prefix for the file (STREAM is a binding); each test starts from an
// empty prefix.
const ks = useKeyspace("dlq-select", { scope: "suite" });
const { d } = ks;
const stream = ks.key("orders");
const dlq = `${stream}:dlq`;
const logs: string[] = [];
let mf: Miniflare;

beforeAll(async () => {
  mf = await startWorker({ STREAM: stream, GROUP: "g", ADMIN_TOKEN: TOKEN }, logs);
});
afterAll(async () => {
  await mf.dispose();
});
beforeEach(async () => {
  await ks.cleanup();
  logs.length = 0;
});

type ErrorBody = { error: { code: string; message: string } };

async function call<T>(
  method: string,
  path: string,
  headers: Record<string, string> = auth,
): Promise<{ status: number; body: T; allow: string | null }> {
  const res = await mf.dispatchFetch(`http://worker${path}`, { method, headers });
  return { status: res.status, body: (await res.json()) as T, allow: res.headers.get("allow") };
}

/** `n` dead letters, moved the way the drain and sweep move them. */
const deadLetters = (n: number) =>
  deadLettersOf(
    d,
    upstash(),
    { stream, dlq },
    Array.from({ length: n }, (_, i) => ["orderID", `A-${i}`, "amount", "007"]),
  );

const xlen = async (key: string) => Number(await d.sendCommand(["XLEN", key]));

type Redrive = {
  dryRun: boolean;
  moved: { dlqId: string; originalId: string; newId: string | null }[];
  skipped: { id: string; reason: string }[];
  next: string | null;
};

describe("POST /dlq/redrive?ids=", () => {
  it("moves only the dead letters named, in the order given", async () => {
    const { originals, dlqIds } = await deadLetters(3);
    const [d0 = "", d1 = "", d2 = ""] = dlqIds;
    const { status, body } = await call<Redrive>("POST", `/dlq/redrive?ids=${d2},${d0}`);
    expect(status).toBe(200);
    expect(body.moved.map((m) => m.originalId)).toEqual([originals[2], originals[0]]);
    expect(body.next).toBeNull();
    expect(await streamIds(d, dlq)).toEqual([d1]);
    expect(await xlen(stream)).toBe(5);
  });

  it("lists the ids on a dry run and changes nothing", async () => {
    const { dlqIds } = await deadLetters(2);
    const { body } = await call<Redrive>("POST", `/dlq/redrive?ids=${dlqIds[1]}&dryRun=true`);
    expect(body).toMatchObject({ dryRun: true, moved: [{ dlqId: dlqIds[1], newId: null }] });
    expect(await xlen(dlq)).toBe(2);
    expect(await xlen(stream)).toBe(2);
  });

  it("reports an id the dead-letter stream does not hold as skipped not_found", async () => {
    const { dlqIds } = await deadLetters(1);
    const { body } = await call<Redrive>("POST", `/dlq/redrive?ids=1-1,${dlqIds[0]}`);
    expect(body.skipped).toEqual([{ id: "1-1", reason: "not_found" }]);
    expect(body.moved.map((m) => m.dlqId)).toEqual(dlqIds);
  });

  it("answers 400 INVALID_QUERY naming a malformed id, and moves nothing", async () => {
    const { dlqIds } = await deadLetters(1);
    const { status, body } = await call<ErrorBody>("POST", `/dlq/redrive?ids=${dlqIds[0]},abc`);
    expect(status).toBe(400);
    expect(body.error).toEqual({
      code: "INVALID_QUERY",
      message: 'ids must be stream ids like "1700000000000-0", got "abc"',
    });
    expect(await xlen(dlq)).toBe(1);
  });

  it("answers 400 for more than 100 ids, naming the limit", async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `1-${i}`).join(",");
    const { status, body } = await call<ErrorBody>("POST", `/dlq/redrive?ids=${ids}`);
    expect(status).toBe(400);
    expect(body.error.message).toBe("ids must hold 1 to 100 dead-letter ids, got 101");
  });

  it("answers 400 for an empty ids= rather than redriving the oldest", async () => {
    await deadLetters(1);
    const { status, body } = await call<ErrorBody>("POST", "/dlq/redrive?ids=");
    expect(status).toBe(400);
    expect(body.error.message).toBe("ids must hold 1 to 100 dead-letter ids, got none");
    expect(await xlen(dlq)).toBe(1);
  });

  it("answers 400 for ids together with start", async () => {
    const { status, body } = await call<ErrorBody>("POST", "/dlq/redrive?ids=1-1&start=1-0");
    expect(status).toBe(400);
    expect(body.error.code).toBe("INVALID_QUERY");
    expect(body.error.message).toMatch(/^ids and start cannot be given together/);
  });

  it("answers 401 without a bearer token", async () => {
    const { dlqIds } = await deadLetters(1);
    const { status, body } = await call<ErrorBody>("POST", `/dlq/redrive?ids=${dlqIds[0]}`, {});
    expect(status).toBe(401);
    expect(body.error.code).toBe("UNAUTHORIZED");
    expect(await xlen(dlq)).toBe(1);
  });

  it("logs one dlq_redrive line with the number of ids", async () => {
    const { dlqIds } = await deadLetters(2);
    await call("POST", `/dlq/redrive?ids=${dlqIds.join(",")}`);
    const lines = linesOf(logs, "dlq_redrive");
    expect(lines).toEqual([expect.objectContaining({ ids: 2, moved: 2, skipped: 0 })]);
  });
});

describe("GET /dlq/<id>", () => {
  it("answers the one dead letter, with its payload", async () => {
    const { originals, dlqIds } = await deadLetters(2);
    const { status, body } = await call("GET", `/dlq/${dlqIds[1]}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      id: dlqIds[1],
      originalId: originals[1],
      originalStream: stream,
      reason: "permanent_error",
      error: "bad amount",
      payload: { orderID: "A-1", amount: "007" },
      pairs: [
        ["orderID", "A-1"],
        ["amount", "007"],
      ],
    });
  });

  it("answers 404 NOT_FOUND JSON for an id the dead-letter stream does not hold", async () => {
    await deadLetters(1);
    const { status, body } = await call<ErrorBody>("GET", "/dlq/1-1");
    expect(status).toBe(404);
    expect(body.error).toEqual({
      code: "NOT_FOUND",
      message: `no dead letter "1-1" in ${JSON.stringify(dlq)}`,
    });
  });

  it("answers 400 INVALID_QUERY for an id past 2^64 - 1", async () => {
    const { status, body } = await call<ErrorBody>("GET", "/dlq/18446744073709551616-0");
    expect(status).toBe(400);
    expect(body.error.message).toMatch(/^id must be a stream id/);
  });

  it("answers 401 without a bearer token", async () => {
    const { dlqIds } = await deadLetters(1);
    const { status } = await call("GET", `/dlq/${dlqIds[0]}`, {});
    expect(status).toBe(401);
  });

  it("answers 405 allowing GET and DELETE for another method", async () => {
    const { status, allow } = await call("PUT", "/dlq/1-1");
    expect(status).toBe(405);
    expect(allow).toBe("GET, DELETE");
  });

  it("logs one dlq_read line saying whether it was found", async () => {
    const { dlqIds } = await deadLetters(1);
    await call("GET", `/dlq/${dlqIds[0]}`);
    expect(linesOf(logs, "dlq_read")).toEqual([
      expect.objectContaining({ dlqStream: dlq, id: dlqIds[0], found: true }),
    ]);
  });

  it("leaves GET /dlq/redrive a 405 allowing POST", async () => {
    const { status, allow } = await call("GET", "/dlq/redrive");
    expect(status).toBe(405);
    expect(allow).toBe("POST");
  });
});

describe("DELETE /dlq/<id>", () => {
  it("deletes the one dead letter and answers deleted true", async () => {
    const { dlqIds } = await deadLetters(3);
    const { status, body } = await call("DELETE", `/dlq/${dlqIds[1]}`);
    expect(status).toBe(200);
    expect(body).toEqual({ deleted: true });
    expect(await streamIds(d, dlq)).toEqual([dlqIds[0], dlqIds[2]]);
  });

  it("answers 404 NOT_FOUND for an id the dead-letter stream does not hold", async () => {
    await deadLetters(1);
    const { status, body } = await call<ErrorBody>("DELETE", "/dlq/1-1");
    expect(status).toBe(404);
    expect(body.error.code).toBe("NOT_FOUND");
    expect(await xlen(dlq)).toBe(1);
  });

  it("answers 401 without a bearer token and deletes nothing", async () => {
    const { dlqIds } = await deadLetters(1);
    const { status } = await call("DELETE", `/dlq/${dlqIds[0]}`, {});
    expect(status).toBe(401);
    expect(await xlen(dlq)).toBe(1);
  });

  it("logs one dlq_delete line", async () => {
    const { dlqIds } = await deadLetters(1);
    await call("DELETE", `/dlq/${dlqIds[0]}`);
    expect(linesOf(logs, "dlq_delete")).toEqual([
      expect.objectContaining({ dlqStream: dlq, id: dlqIds[0], deleted: true }),
    ]);
  });
});
