import { describe, expect, it } from "vitest";
import {
  type DrainEvent,
  type DrainOptions,
  drain,
  RequestBudget,
  recordGroupPosition,
} from "../../src/lib/index";
import { add } from "../helpers/drain-fixture";
import { upstash, useKeyspace } from "../helpers/redis";

const ks = useKeyspace("recreate");
const redis = upstash();
const GROUP = "g";

/** Drains everything there is with a handler that succeeds, recording ids and events. */
async function drainAll(overrides: Partial<DrainOptions> = {}) {
  const seen: string[] = [];
  const events: DrainEvent[] = [];
  const report = await drain({
    redis,
    stream: ks.key("orders"),
    group: GROUP,
    consumer: "c1",
    handler: (m) => {
      seen.push(m.fields.n ?? "");
    },
    batchSize: 100,
    maxMessages: 10_000,
    onEvent: (e) => events.push(e),
    ...overrides,
  });
  return { seen, events, report };
}

describe("a group that vanished", () => {
  it("creates a group the first time at GROUP_START_ID $, skipping the history", async () => {
    await add(ks.d, ks.key("orders"), 5);
    const { seen, events } = await drainAll();
    expect(seen).toEqual([]);
    expect(events.map((e) => e.event)).toEqual(["group_created"]);
  });

  it("recreates a destroyed group at 0 when no position was recorded, delivering what arrived", async () => {
    const stream = ks.key("orders");
    await drainAll();
    await add(ks.d, stream, 3);
    await ks.d.sendCommand(["XGROUP", "DESTROY", stream, GROUP]);
    await add(ks.d, stream, 4, 3);
    const { seen, events } = await drainAll({ consumer: "c2" });
    expect(seen).toEqual(["0", "1", "2", "3", "4", "5", "6"]);
    expect(events).toContainEqual(
      expect.objectContaining({ event: "group_recreated", startId: "0", group: GROUP }),
    );
  });

  it("recreates a destroyed group after its recorded position: only the unfinished come again", async () => {
    const stream = ks.key("orders");
    await drainAll();
    const ids = await add(ks.d, stream, 6);
    // Two read and acked, one read and left pending, three unread.
    await ks.d.sendCommand([
      "XREADGROUP",
      "GROUP",
      GROUP,
      "x",
      "COUNT",
      "3",
      "STREAMS",
      stream,
      ">",
    ]);
    await ks.d.sendCommand(["XACK", stream, GROUP, ids[0] ?? "", ids[1] ?? ""]);
    const at = await recordGroupPosition({
      redis,
      stream,
      group: GROUP,
      budget: new RequestBudget(),
    });
    await ks.d.sendCommand(["XGROUP", "DESTROY", stream, GROUP]);
    const { seen, events } = await drainAll({ consumer: "c2" });
    expect(seen).toEqual(["2", "3", "4", "5"]);
    expect(events).toContainEqual(
      expect.objectContaining({ event: "group_recreated", startId: at }),
    );
  });

  it("delivers what the producer wrote after the stream was deleted", async () => {
    const stream = ks.key("orders");
    await drainAll();
    await add(ks.d, stream, 10);
    await drainAll();
    await recordGroupPosition({ redis, stream, group: GROUP, budget: new RequestBudget() });
    await ks.d.del(stream);
    await add(ks.d, stream, 300, 10);
    const { seen, events } = await drainAll({ consumer: "c2" });
    expect(seen).toHaveLength(300);
    expect(seen[0]).toBe("10");
    expect(events.map((e) => e.event)).toContain("group_recreated");
  });

  it("recreates at 0 a group made elsewhere once a drain has read from it", async () => {
    const stream = ks.key("orders");
    await ks.d.sendCommand(["XGROUP", "CREATE", stream, GROUP, "$", "MKSTREAM"]);
    await add(ks.d, stream, 2);
    // Reads both, and notes in the same requests that the group exists.
    await drainAll({ batchSize: 1 });
    await ks.d.sendCommand(["XGROUP", "DESTROY", stream, GROUP]);
    await add(ks.d, stream, 2, 2);
    const { seen, events } = await drainAll({ consumer: "c2" });
    expect(seen).toEqual(["0", "1", "2", "3"]);
    expect(events).toContainEqual(
      expect.objectContaining({ event: "group_recreated", startId: "0" }),
    );
  });

  it("notes the group on a request it sends anyway: an empty drain costs one request", async () => {
    const stream = ks.key("orders");
    await ks.d.sendCommand(["XGROUP", "CREATE", stream, GROUP, "$", "MKSTREAM"]);
    const { report } = await drainAll();
    expect(report.requests).toBe(1);
    expect(await ks.d.exists(`${stream}:${GROUP}:group-start`)).toBe(0);
  });

  it("records nothing for a group that does not exist", async () => {
    const stream = ks.key("orders");
    await add(ks.d, stream, 1);
    const at = await recordGroupPosition({
      redis,
      stream,
      group: GROUP,
      budget: new RequestBudget(),
    });
    expect(at).toBeNull();
    expect(await ks.d.exists(`${stream}:${GROUP}:group-start`)).toBe(0);
  });

  it("records the last-delivered-id when nothing is pending", async () => {
    const stream = ks.key("orders");
    await drainAll();
    const ids = await add(ks.d, stream, 3);
    await drainAll();
    const at = await recordGroupPosition({
      redis,
      stream,
      group: GROUP,
      budget: new RequestBudget(),
    });
    expect(at).toBe(ids[2]);
  });
});
