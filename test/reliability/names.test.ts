/**
 * Stream and group names with spaces, unicode and numeric looks work end to end through the
 * bundled Worker (drain, stats, DLQ, redrive, reset, cron): a group named "123" stays the
 * string "123" everywhere. Also the regression test of the leading-BOM fix
 * (src/handlers/client.ts): a field starting with U+FEFF reaches the target intact.
 */
import { randomInt } from "node:crypto";
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useDirect } from "../helpers/redis";
import { startTarget, type Target } from "../helpers/target";
import { startWorker } from "../helpers/worker";

const ADMIN = "names-admin-token";
/** Numeric names cannot carry the usual test prefix: random digits, deleted afterwards. */
const digits = () => `9${randomInt(1e9)}${randomInt(1e9)}`;
const CASES: [string, string, string | number][] = [
  ["spaces and unicode", `rsw-test:names:orders payments ✓ 日本語 ${digits()}`, "123"],
  ["a numeric stream, a group with a leading zero", digits(), "007"],
  ["a group given as a TOML number", `rsw-test:names:ünïcødé ${digits()}`, 123],
  ["exponent- and space-looking names", `rsw-test:names: lead ${digits()}`, "1e3 two words"],
];
const BOM_FIELDS = { status: "200", "\uFEFFbom": "\uFEFFvalue", amount: "007", json: '{"a":1}' };

const d = useDirect();
let target: Target;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(async () => {
  await target.close();
});

describe.each(CASES)("%s", (_, stream, groupBinding) => {
  const group = String(groupBinding);
  let mf: Miniflare;
  const keys = [stream, `${stream}:dlq`, `${stream}:${group}:sweep-cursor`];
  beforeAll(async () => {
    mf = await startWorker({
      STREAM: stream,
      GROUP: groupBinding as string, // a number binding is what wrangler.toml `GROUP = 123` gives
      ADMIN_TOKEN: ADMIN,
      TARGET_URL: target.url,
      MIN_IDLE_MS: "1000",
      DRAIN_MODE: "cron",
    });
  });
  afterAll(async () => {
    await mf.dispose();
    await d.del(keys);
  });

  const call = async (method: string, path: string) => {
    const res = await mf.dispatchFetch(`http://worker${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it("drains, dead-letters, lists, redrives and resets under that name", async () => {
    target.deliveries.length = 0;
    await d.sendCommand(["XGROUP", "CREATE", stream, group, "$", "MKSTREAM"]);
    const ok = String(
      await d.sendCommand(["XADD", stream, "*", ...Object.entries(BOM_FIELDS).flat()]),
    );
    await d.sendCommand(["XADD", stream, "*", "status", "400"]);

    const drain = await call("POST", "/drain");
    expect(drain.status).toBe(200);
    expect(drain.body).toMatchObject({ read: 2, acked: 1, deadLettered: 1 });
    const first = target.deliveries.find((x) => x.id === ok);
    expect(first?.fields).toEqual(BOM_FIELDS);
    // Header values are bytes: a unicode stream name travels as its UTF-8 bytes, the same
    // bytes on every retry, which is what deduplicating on the key needs.
    const key = String(first?.headers["idempotency-key"]);
    expect(Buffer.from(key, "latin1").toString("utf8")).toBe(`${stream}:${ok}`);

    const stats = await call("GET", "/stats");
    expect(stats.status).toBe(200);
    const groups = stats.body.groups as { name: unknown; pending: number }[];
    expect(groups.map((g) => g.name)).toEqual([group]);

    const dlq = await call("GET", "/dlq");
    const entries = dlq.body.entries as { group: unknown; originalStream: string }[];
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ group, originalStream: stream, reason: "permanent_error" });

    const redrive = await call("POST", "/dlq/redrive?count=10");
    expect(redrive.status).toBe(200);
    expect((redrive.body.moved as unknown[]).length).toBe(1);

    const reset = await call("POST", "/group/reset?id=0");
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ stream, group, id: "0" });

    // The cron drains the replay (all three entries again) under the same names.
    target.deliveries.length = 0;
    const cron = await (await mf.getWorker()).scheduled({
      cron: "* * * * *",
      scheduledTime: new Date(),
    });
    expect(cron.outcome).toBe("ok");
    // The target keeps the whole JSON body; `group` is in it, not in the helper's type.
    const sent = target.deliveries.map((x) => (x as unknown as { group: unknown }).group);
    expect(sent).toEqual([group, group, group]);
    expect(sent.every((g) => typeof g === "string")).toBe(true);
    expect(target.deliveries.find((x) => x.id === ok)?.fields).toEqual(BOM_FIELDS);
  });
});
