import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { moveToDeadLetter } from "../../src/lib/dead-letter/move";
import {
  parseXInfoConsumers,
  parseXInfoGroups,
  parseXReadGroup,
} from "../../src/lib/replies/index";
import { parseXPendingSummary } from "../helpers/pending-summary";
import { upstash, useKeyspace } from "../helpers/redis";
import { startWorker } from "../helpers/worker";

const TOKEN = "data-admin-token";
const auth = { authorization: `Bearer ${TOKEN}` };

// One Worker and one key prefix for the file (STREAM is a binding); each test starts from an
// empty prefix.
const ks = useKeyspace("http", { scope: "suite" });
const { d } = ks;
const stream = ks.key("orders");
const dlq = `${stream}:dlq`;
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

const cmd = (...args: string[]) => d.sendCommand(args);

async function call<T>(method: string, path: string): Promise<{ status: number; body: T }> {
  const res = await mf.dispatchFetch(`http://worker${path}`, { method, headers: auth });
  return { status: res.status, body: (await res.json()) as T };
}

/** `n` entries read by consumer c of group g (all pending). */
async function pendingEntries(n: number): Promise<string[]> {
  await cmd("XGROUP", "CREATE", stream, "g", "$", "MKSTREAM");
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push(String(await cmd("XADD", stream, "*", "orderID", `A-${i}`, "amount", "007")));
  }
  await cmd("XREADGROUP", "GROUP", "g", "c", "STREAMS", stream, ">");
  return ids;
}

/** Three dead letters, oldest first, moved the way the drain and sweep move them. */
async function deadLetters(): Promise<string[]> {
  const ids = await pendingEntries(3);
  await moveToDeadLetter({
    redis: upstash(),
    stream,
    group: "g",
    consumer: "c",
    dlqStream: dlq,
    dlqMaxLen: 1000,
    entries: ids.map((id, i) => ({
      id,
      fields: { orderID: `A-${i}`, amount: "007" },
      reason: "permanent_error" as const,
      error: "bad amount",
    })),
  });
  return ids;
}

type Snapshot = {
  stream: { length: number; firstEntryId: string | null; lastEntryId: string | null };
  groups: { name: string; pending: number; consumers: { name: string; pending: number }[] }[];
  dlq: { length: number };
  requests: number;
};

describe("GET /stats", () => {
  it("reports what XINFO and XPENDING say on a direct connection", async () => {
    const ids = await pendingEntries(4);
    await cmd("XACK", stream, "g", ids[0] ?? "");
    await cmd("XADD", stream, "*", "late", "1");
    const { status, body } = await call<Snapshot & { groups: Record<string, unknown>[] }>(
      "GET",
      "/stats",
    );
    expect(status).toBe(200);
    const [group] = parseXInfoGroups(await cmd("XINFO", "GROUPS", stream));
    const consumers = parseXInfoConsumers(await cmd("XINFO", "CONSUMERS", stream, "g"));
    const summary = parseXPendingSummary(await cmd("XPENDING", stream, "g"));
    expect(body.stream).toMatchObject({ length: 5, firstEntryId: ids[0] });
    expect(body.groups[0]).toMatchObject({
      name: group?.name,
      consumerCount: group?.consumers,
      pending: group?.pending,
      lastDeliveredId: group?.lastDeliveredId,
      oldestPendingId: summary.minId,
      // Upstash (and the bridge's default profile) reports neither: null, not an error.
      lag: null,
      entriesRead: null,
    });
    expect(body.groups[0]?.pending).toBe(3);
    expect(body.groups[0]?.consumers).toMatchObject(
      consumers.map((c) => ({ name: c.name, pending: c.pending, alert: false })),
    );
    expect(body.requests).toBe(2);
  });

  it("answers zeros for a stream that does not exist yet", async () => {
    const { status, body } = await call<Snapshot>("GET", "/stats");
    expect(status).toBe(200);
    expect(body.stream).toMatchObject({ length: 0, firstEntryId: null, lastEntryId: null });
    expect(body.groups).toEqual([]);
    expect(body.dlq.length).toBe(0);
  });
});

type Page = {
  dlqStream: string;
  entries: { id: string; originalId: string }[];
  next: string | null;
};

describe("GET /dlq", () => {
  it("lists dead letters newest first with a cursor to the next page", async () => {
    const ids = await deadLetters();
    const first = await call<Page>("GET", "/dlq?count=2");
    expect(first.status).toBe(200);
    expect(first.body.dlqStream).toBe(dlq);
    expect(first.body.entries.map((e) => e.originalId)).toEqual([ids[2], ids[1]]);
    const second = await call<Page>("GET", `/dlq?count=2&start=${first.body.next}`);
    expect(second.body.entries.map((e) => e.originalId)).toEqual([ids[0]]);
    expect(second.body.next).toBeNull();
  });

  it("answers an empty list when there are no dead letters", async () => {
    const { status, body } = await call<Page>("GET", "/dlq");
    expect(status).toBe(200);
    expect(body).toEqual({ dlqStream: dlq, entries: [], unreadable: [], next: null });
  });
});

type Redrive = { dryRun: boolean; moved: { originalId: string; newId: string | null }[] };

describe("POST /dlq/redrive", () => {
  it("moves the oldest dead letters back to the stream", async () => {
    const ids = await deadLetters();
    const { status, body } = await call<Redrive>("POST", "/dlq/redrive?count=2");
    expect(status).toBe(200);
    expect(body.moved.map((m) => m.originalId)).toEqual([ids[0], ids[1]]);
    expect(await cmd("XLEN", dlq)).toBe(1);
    expect(await cmd("XLEN", stream)).toBe(5);
  });

  it("changes nothing on a dry run", async () => {
    await deadLetters();
    const { status, body } = await call<Redrive>("POST", "/dlq/redrive?dryRun=true");
    expect(status).toBe(200);
    expect(body.dryRun).toBe(true);
    expect(body.moved.map((m) => m.newId)).toEqual([null, null, null]);
    expect(await cmd("XLEN", dlq)).toBe(3);
    expect(await cmd("XLEN", stream)).toBe(3);
  });
});

describe("POST /group/reset", () => {
  it("replays the whole stream with id=0", async () => {
    const ids = await pendingEntries(2);
    await cmd("XACK", stream, "g", ...ids);
    const { status, body } = await call("POST", "/group/reset?id=0");
    expect(status).toBe(200);
    expect(body).toEqual({ stream, group: "g", id: "0", previousLastDeliveredId: ids[1] });
    const again = parseXReadGroup(
      await cmd("XREADGROUP", "GROUP", "g", "c2", "STREAMS", stream, ">"),
    );
    expect(again.map((e) => e.id)).toEqual(ids);
  });

  it("skips to now with id=$", async () => {
    await cmd("XGROUP", "CREATE", stream, "g", "0", "MKSTREAM");
    await cmd("XADD", stream, "*", "n", "1");
    expect((await call("POST", "/group/reset?id=$")).status).toBe(200);
    expect(await cmd("XREADGROUP", "GROUP", "g", "c", "STREAMS", stream, ">")).toBeNull();
  });

  it("answers 404 NOGROUP when the group does not exist", async () => {
    await cmd("XADD", stream, "*", "n", "1");
    const { status, body } = await call("POST", "/group/reset?id=0");
    expect(status).toBe(404);
    expect(body).toEqual({
      error: {
        code: "NOGROUP",
        message: `no consumer group "g" on stream ${JSON.stringify(stream)}`,
      },
    });
  });

  it("answers 404 NOGROUP when the stream does not exist", async () => {
    const { status, body } = await call<{ error: { code: string } }>("POST", "/group/reset?id=0");
    expect(status).toBe(404);
    expect(body.error.code).toBe("NOGROUP");
  });
});
