/**
 * The cron entry in process: `createScheduled()` with a plain env, a ScheduledController and
 * an ExecutionContext of its own. A cron that cannot run writes one `cron_skipped` line.
 */
import { afterEach, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { createScheduled } from "../../src/handlers/scheduled";

const ENV = {
  UPSTASH_REDIS_REST_URL: inject("bridgeUrl"),
  UPSTASH_REDIS_REST_TOKEN: inject("bridgeToken"),
  STREAM: "rsw-test:scheduled:never-read",
  GROUP: "g",
};

/** Runs the cron `cron` once with `env`; returns the lines it logged. */
async function fire(env: Record<string, unknown>, cron = "* * * * *"): Promise<string[]> {
  const waits: Promise<unknown>[] = [];
  const controller = { cron, scheduledTime: Date.now(), noRetry: () => {} };
  const ctx = {
    waitUntil: (p: Promise<unknown>) => void waits.push(p),
    passThroughOnException() {},
  };
  await createScheduled()(
    controller as unknown as ScheduledController,
    env,
    ctx as unknown as ExecutionContext,
  );
  await Promise.all(waits);
  return lines;
}

let lines: string[] = [];
beforeEach(() => {
  lines = [];
  const keep = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  vi.spyOn(console, "log").mockImplementation(keep);
  vi.spyOn(console, "error").mockImplementation(keep);
});
afterEach(() => {
  vi.restoreAllMocks();
});

const skipped = (logs: string[]) =>
  logs
    .filter((l) => l.includes('"cron_skipped"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("cron_skipped", () => {
  it("shows a refused TARGET_URL without its query string or credentials", async () => {
    const logs = await fire({
      ...ENV,
      TARGET_URL: "htps://user:hunter2@x.example/hook?token=hunter2",
    });
    expect(skipped(logs)).toEqual([
      expect.objectContaining({
        code: "CONFIG_INVALID",
        variables: ["TARGET_URL"],
        error: expect.stringMatching(/got "htps:\/\/<redacted>@x\.example\/hook\?<redacted>"$/),
      }),
    ]);
    expect(logs.join("\n")).not.toContain("hunter2");
  });

  it("names the cron variable and the field of five junk fields", async () => {
    const logs = await fire({
      ...ENV,
      TARGET_URL: "http://127.0.0.1:9/",
      CONSUME_CRON: "a b c d e",
    });
    const [line] = skipped(logs);
    expect(line?.variables).toEqual(["CONSUME_CRON"]);
    expect(line?.error).toMatch(/CONSUME_CRON must be .*: the minute field "a" is not valid$/);
  });

  it("names ADMIN_TOKEN, never its value, when it cannot be a bearer token", async () => {
    const logs = await fire({
      ...ENV,
      TARGET_URL: "http://127.0.0.1:9/",
      ADMIN_TOKEN: "open sesame",
    });
    expect(skipped(logs).map((l) => l.variables)).toEqual([["ADMIN_TOKEN"]]);
    expect(logs.join("\n")).not.toContain("sesame");
  });
});
