import { describe, expect, it } from "vitest";
import { ensureGroup } from "../../src/lib/group/ensure";
import { RedisCommandError, RequestBudget, streamKeys } from "../../src/lib/index";
import { upstash, useKeyspace } from "../helpers/redis";

const ks = useKeyspace("group");
const redis = upstash();

describe("ensureGroup", () => {
  it("creates the stream and the group at 0, recording that it started after 0-0", async () => {
    const stream = ks.key("orders");
    const made = await ensureGroup({ redis, stream, group: "g", startId: "0", force: true });
    expect(made).toEqual({ created: true, requested: true, startId: "0", startedAfter: "0-0" });
    const start = await ks.d.hGetAll(streamKeys(stream, "g").groupStart);
    expect(start).toMatchObject({ start_id: "0", started_after: "0-0" });
  });

  it("leaves an existing group and its start record alone", async () => {
    const stream = ks.key("orders");
    await ks.d.sendCommand(["XGROUP", "CREATE", stream, "g", "$", "MKSTREAM"]);
    const budget = new RequestBudget();
    const made = await ensureGroup({ redis, stream, group: "g", force: true, budget });
    expect(made).toEqual({ created: false, requested: true });
    expect(budget.used).toBe(1);
    expect(await ks.d.exists(streamKeys(stream, "g").groupStart)).toBe(0);
  });

  it("asks Redis once per isolate unless forced", async () => {
    // A key this isolate has never seen: the first call asks Redis.
    const stream = ks.key("orders");
    expect(await ensureGroup({ redis, stream, group: "g" })).toMatchObject({ created: true });
    const budget = new RequestBudget();
    expect(await ensureGroup({ redis, stream, group: "g", budget })).toEqual({
      created: false,
      requested: false,
    });
    expect(budget.used).toBe(0);
  });

  it("fails naming the script when the key is not a stream", async () => {
    const stream = ks.key("orders");
    await ks.d.set(stream, "not a stream");
    const run = ensureGroup({ redis, stream, group: "g", force: true });
    await expect(run).rejects.toBeInstanceOf(RedisCommandError);
    await expect(run).rejects.toThrow(/group-create failed: .*WRONGTYPE/);
  });
});
