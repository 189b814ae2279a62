import { describe, expect, it } from "vitest";
import { IdPastEndError } from "../../src/lib/errors";
import { ensureGroup } from "../../src/lib/group/ensure";
import { parseLastGeneratedId, resetGroup } from "../../src/lib/group/reset";
import {
  GroupNotFoundError,
  RedisCommandError,
  RequestBudget,
  streamKeys,
} from "../../src/lib/index";
import { upstash, useKeyspace } from "../helpers/redis";

const ks = useKeyspace("group");
const redis = upstash();

describe("ensureGroup", () => {
  it("creates the stream and the group at 0, recording that it started after 0-0", async () => {
    const stream = ks.key("orders");
    const made = await ensureGroup({ redis, stream, group: "g", startId: "0", force: true });
    expect(made).toEqual({
      created: true,
      requested: true,
      recreated: false,
      startId: "0",
      startedAfter: "0-0",
    });
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

describe("resetGroup", () => {
  /** A stream of 2 entries, its group created after them at `$`; returns the last id. */
  async function twoEntries(stream: string): Promise<string> {
    await ks.d.sendCommand(["XADD", stream, "5-1", "n", "1"]);
    const last = String(await ks.d.sendCommand(["XADD", stream, "5-2", "n", "2"]));
    await ks.d.sendCommand(["XGROUP", "CREATE", stream, "g", "$"]);
    return last;
  }

  const lastDelivered = async (stream: string) =>
    ((await ks.d.sendCommand(["XINFO", "GROUPS", stream])) as string[][])[0]?.[7];

  it("refuses an id past the stream's last id, naming both, and leaves the group where it was", async () => {
    const stream = ks.key("orders");
    const last = await twoEntries(stream);
    const run = resetGroup({ redis, stream, group: "g", id: "5-3" });
    await expect(run).rejects.toBeInstanceOf(IdPastEndError);
    await expect(run).rejects.toMatchObject({ id: "5-3", lastId: last });
    expect(await lastDelivered(stream)).toBe("5-2");
  });

  it("compares against the last id ever generated, deleted entries included", async () => {
    const stream = ks.key("orders");
    await twoEntries(stream);
    await ks.d.sendCommand(["XDEL", stream, "5-2"]);
    const report = await resetGroup({ redis, stream, group: "g", id: "5-2" });
    expect(report).toEqual({ stream, group: "g", id: "5-2", previousLastDeliveredId: "5-2" });
  });

  it("moves the group to the last id, to 0 and to $", async () => {
    const stream = ks.key("orders");
    await twoEntries(stream);
    expect((await resetGroup({ redis, stream, group: "g", id: "0" })).id).toBe("0");
    expect(await lastDelivered(stream)).toBe("0-0");
    await resetGroup({ redis, stream, group: "g", id: "5-2" });
    expect(await lastDelivered(stream)).toBe("5-2");
    await resetGroup({ redis, stream, group: "g", id: "0" });
    await resetGroup({ redis, stream, group: "g", id: "$" });
    expect(await lastDelivered(stream)).toBe("5-2");
  });

  it("says the group is missing when the stream is", async () => {
    const run = resetGroup({ redis, stream: ks.key("orders"), group: "g", id: "0" });
    await expect(run).rejects.toBeInstanceOf(GroupNotFoundError);
  });
});

describe("parseLastGeneratedId", () => {
  it("reads last-generated-id from an XINFO STREAM reply", () => {
    const raw = [
      ...["length", 2, "radix-tree-keys", 1, "radix-tree-nodes", 2],
      ...["last-generated-id", "1795709122567-0", "max-deleted-entry-id", "0-0"],
      ...["entries-added", 2, "recorded-first-entry-id", "1795709122566-0", "groups", 1],
      ...[
        "first-entry",
        ["1795709122566-0", ["n", "1"]],
        "last-entry",
        ["1795709122567-0", ["n", "2"]],
      ],
    ];
    expect(parseLastGeneratedId(raw)).toBe("1795709122567-0");
  });

  it("refuses a reply without it", () => {
    expect(() => parseLastGeneratedId(["length", 2])).toThrow(/last-generated-id/);
  });
});
