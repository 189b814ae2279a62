import type { Miniflare } from "miniflare";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { add, fill } from "../helpers/drain-fixture";
import { linesOf } from "../helpers/log-lines";
import { useKeyspace } from "../helpers/redis";
import { startTarget, type Target } from "../helpers/target";
import { startWorker, TICK_VARS } from "../helpers/worker";

const CONSUME = "* * * * *";
const SWEEP = "*/5 * * * *";

const ks = useKeyspace("log-levels");
const { d } = ks;
let stream: string;
let target: Target;
let mf: Miniflare | undefined;
let logs: string[] = [];
let errors: string[] = [];

beforeAll(async () => {
  target = await startTarget();
});
afterAll(async () => {
  await target.close();
});
beforeEach(() => {
  stream = ks.key("orders");
});
afterEach(async () => {
  await mf?.dispose();
  mf = undefined;
});

async function worker(vars: Record<string, string> = {}): Promise<Miniflare> {
  logs = [];
  errors = [];
  mf = await startWorker(
    { STREAM: stream, GROUP: "g", TARGET_URL: target.url, ...TICK_VARS, ...vars },
    logs,
    { errors },
  );
  return mf;
}

const tick = async (m: Miniflare, cron: string) =>
  (await m.getWorker()).scheduled({ cron, scheduledTime: new Date() });

describe("log levels", () => {
  it("writes a recreated group at error level, the drain's report at info level", async () => {
    const m = await worker();
    await fill(d, stream, 2);
    await tick(m, CONSUME);
    await tick(m, SWEEP);
    await d.sendCommand(["XGROUP", "DESTROY", stream, "g"]);
    await add(d, stream, 1, 2);
    await tick(m, CONSUME);
    expect(linesOf(errors, "group_recreated")).toHaveLength(1);
    expect(linesOf(logs, "drain").length).toBeGreaterThan(0);
    expect(linesOf(errors, "drain")).toEqual([]);
  });

  it("writes a skipped cron at error level, naming the variable", async () => {
    const m = await worker({ BATCH_SIZE: "0" });
    await tick(m, CONSUME);
    const [skipped] = linesOf(errors, "cron_skipped");
    expect(skipped?.variables).toEqual(["BATCH_SIZE"]);
  });

  it("writes a full dead-letter stream at error level", async () => {
    const m = await worker({ DLQ_MAXLEN: "1" });
    await d.sendCommand(["XADD", `${stream}:dlq`, "*", "filler", "1"]);
    await fill(d, stream, 0);
    await d.sendCommand(["XADD", stream, "*", "status", "422"]);
    await tick(m, CONSUME);
    expect(linesOf(errors, "dlq_full")).toHaveLength(1);
    expect(linesOf(errors, "handler_failed")).toEqual([]);
  });
});
