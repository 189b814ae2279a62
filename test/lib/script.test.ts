import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { RedisCommandError } from "../../src/lib/errors";
import { RequestBudget } from "../../src/lib/redis/budget";
import { LuaScript } from "../../src/lib/redis/script";
import { upstash } from "../helpers/redis";

const redis = upstash();

/**
 * A source no other test has loaded stands in for a Redis that lost its script cache
 * (restart, SCRIPT FLUSH) without flushing the shared Redis under other test files.
 */
const fresh = (body: string) => new LuaScript("probe", `-- ${randomUUID()}\n${body}`);

describe("LuaScript", () => {
  it("loads a script Redis lacks with EVAL after EVALSHA answers NOSCRIPT", async () => {
    const script = fresh("return {KEYS[1], ARGV[1]}");
    const budget = new RequestBudget();
    expect(await script.run(redis, ["k"], ["v"], budget)).toEqual(["k", "v"]);
    expect(budget.used).toBe(2);
  });

  it("runs by SHA alone once Redis has the script", async () => {
    const script = fresh("return ARGV[1]");
    await script.run(redis, [], ["warm"], new RequestBudget());
    const budget = new RequestBudget();
    expect(await script.run(redis, [], ["again"], budget)).toBe("again");
    expect(budget.used).toBe(1);
  });

  it("reports a Lua error as a RedisCommandError naming the script", async () => {
    const script = fresh("return redis.call('NOT_A_COMMAND')");
    const run = script.run(redis, [], [], new RequestBudget());
    await expect(run).rejects.toBeInstanceOf(RedisCommandError);
    await expect(run).rejects.toThrow(/EVAL probe failed/);
  });
});
