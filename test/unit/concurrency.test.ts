import { describe, expect, it } from "vitest";
import { Limiter } from "../../src/lib/handling/limiter";
import { sleep } from "../helpers/sleep";

describe("Limiter", () => {
  it("never runs more than the limit at once", async () => {
    const limiter = new Limiter(3);
    let now = 0;
    let seen = 0;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limiter.run(async () => {
          now++;
          seen = Math.max(seen, now);
          await sleep(i % 4);
          now--;
        }),
      ),
    );
    expect(seen).toBe(3);
    expect(limiter.peak).toBe(3);
    expect(limiter.inFlight).toBe(0);
  });

  it("starts the next task as soon as one slot frees, not when the whole group is done", async () => {
    const limiter = new Limiter(2);
    const order: string[] = [];
    const slow = limiter.run(async () => {
      await sleep(100);
      order.push("slow");
    });
    const fast = Array.from({ length: 3 }, (_, i) =>
      limiter.run(async () => {
        await sleep(5);
        order.push(`fast${i}`);
      }),
    );
    await Promise.all([slow, ...fast]);
    expect(order).toEqual(["fast0", "fast1", "fast2", "slow"]);
  });

  it("frees the slot when a task throws", async () => {
    const limiter = new Limiter(1);
    await expect(limiter.run(async () => Promise.reject(new Error("boom")))).rejects.toThrow(
      "boom",
    );
    expect(await limiter.run(async () => "ok")).toBe("ok");
  });

  it("rejects a limit below 1", () => {
    expect(() => new Limiter(0)).toThrow(/concurrency must be an integer >= 1, got 0/);
  });
});
