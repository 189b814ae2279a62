import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ReportServer, startReports } from "../helpers/handler-reports";
import { useKeyspace } from "../helpers/redis";
import { startWorker } from "../helpers/worker";

const TOKEN = "streams-http-admin";
const PUBLISHER = "streams-http-publisher";

// One Worker for the file: its streams live under the suite's prefix.
const ks = useKeyspace("streams-http", { scope: "suite" });
const { d } = ks;
const payments = ks.key("payments");
const emails = ks.key("emails");
const listed = `"${payments}", "${emails}"`;
let reports: ReportServer;
let mf: Miniflare;

beforeAll(async () => {
  reports = await startReports();
  mf = await startWorker(
    {
      TEST_PREFIX: ks.prefix,
      STREAMS: JSON.stringify([
        { stream: payments, group: "pay" },
        { stream: emails, group: "mail", dlqStream: `${emails}:dead` },
      ]),
      ADMIN_TOKEN: TOKEN,
      PUBLISH_TOKEN: PUBLISHER,
      GROUP_START_ID: "0",
      DRAIN_MODE: "cron",
    },
    undefined,
    { script: inject("streamsWorkerScript") },
  );
});
afterAll(async () => {
  await mf.dispose();
  await reports.close();
});

type Answer = {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
};

async function call(
  method: string,
  path: string,
  init: { token?: string; body?: unknown } = {},
): Promise<Answer> {
  const res = await mf.dispatchFetch(`http://worker${path}`, {
    method,
    headers: {
      authorization: `Bearer ${init.token ?? TOKEN}`,
      ...(init.body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: res.status, body: (await res.json()) as Answer["body"] };
}

const xlen = async (key: string) => Number(await d.sendCommand(["XLEN", key]));

describe("the HTTP API with several streams", () => {
  it.each([
    ["GET", "/stats?group=pay"],
    ["GET", "/dlq"],
    ["POST", "/dlq/redrive"],
    ["POST", "/group/reset?id=0"],
    ["POST", "/drain"],
    ["POST", "/sweep"],
    ["POST", "/internal/drain"],
  ])(
    "answers %s %s without ?stream= with 400 STREAM_REQUIRED listing the streams",
    async (method, path) => {
      const a = await call(method, path);
      expect(a.status).toBe(400);
      expect(a.body.error).toEqual({
        code: "STREAM_REQUIRED",
        message: `several streams are configured: add ?stream= with one of ${listed}`,
      });
    },
  );

  it("answers 400 UNKNOWN_STREAM listing the streams for a stream that is not configured", async () => {
    const a = await call("GET", "/dlq?stream=nope");
    expect(a.status).toBe(400);
    expect(a.body.error).toEqual({
      code: "UNKNOWN_STREAM",
      message: `stream "nope" is not configured: use one of ${listed}`,
    });
  });

  it("lists the dead letters of the stream named, from its own dead-letter stream", async () => {
    const a = await call("GET", `/dlq?stream=${encodeURIComponent(emails)}`);
    expect(a.status).toBe(200);
    expect(a.body.dlqStream).toBe(`${emails}:dead`);
  });

  it("answers /stats without ?stream= with every stream, their lengths as Redis has them", async () => {
    await d.sendCommand(["XADD", payments, "*", "n", "1"]);
    const a = await call("GET", "/stats");
    expect(a.status).toBe(200);
    const streams = a.body.streams as {
      stream: { key: string; length: number };
      dlq: { key: string };
    }[];
    expect(streams.map((s) => s.stream.key)).toEqual([payments, emails]);
    expect(streams.map((s) => s.stream.length)).toEqual([await xlen(payments), await xlen(emails)]);
    expect(streams.map((s) => s.dlq.key)).toEqual([`${payments}:dlq`, `${emails}:dead`]);
  });

  it("drains only the stream named", async () => {
    await d.sendCommand(["XADD", emails, "*", "report", reports.url]);
    await d.sendCommand(["XADD", payments, "*", "report", reports.url]);
    const a = await call("POST", `/drain?stream=${encodeURIComponent(emails)}`);
    expect(a.status).toBe(200);
    expect(reports.handlersOf(emails)).toEqual(["send"]);
    expect(reports.handlersOf(payments)).toEqual([]);
  });

  it("publishes to the stream named, and refuses a publish that names none", async () => {
    const before = await xlen(emails);
    const body = { fields: { kind: "welcome" } };
    const named = await call("POST", `/publish?stream=${encodeURIComponent(emails)}`, {
      token: PUBLISHER,
      body,
    });
    expect(named.status).toBe(201);
    expect(await xlen(emails)).toBe(before + 1);
    const unnamed = await call("POST", "/publish", { token: PUBLISHER, body });
    expect(unnamed.status).toBe(400);
    expect(unnamed.body.error?.code).toBe("STREAM_REQUIRED");
  });

  it("answers /health as with one stream", async () => {
    const res = await mf.dispatchFetch("http://worker/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, redis: "up" });
  });
});
