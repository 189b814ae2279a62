import { describe, expect, it } from "vitest";
import { isRipe, reclaimAfterMs } from "../../src/lib/sweep/backoff";
import { nextStreamId } from "../../src/lib/sweep/cursor";
import { isExhausted, unrecordedDeliveryLimit } from "../../src/lib/sweep/settle";

const exp = { retryBackoff: "exponential", minIdleMs: 1000, maxBackoffMs: 60_000 } as const;

describe("reclaimAfterMs", () => {
  it("doubles MIN_IDLE_MS with each delivery after the first", () => {
    expect([1, 2, 3, 4].map((d) => reclaimAfterMs(d, exp))).toEqual([1000, 2000, 4000, 8000]);
  });

  it("stops growing at MAX_BACKOFF_MS, even for huge counters", () => {
    expect(reclaimAfterMs(7, exp)).toBe(60_000);
    expect(reclaimAfterMs(5000, exp)).toBe(60_000);
  });

  it("never asks for less than MIN_IDLE_MS", () => {
    expect(reclaimAfterMs(3, { ...exp, maxBackoffMs: 10 })).toBe(1000);
  });

  it("waits MIN_IDLE_MS whatever the counter with fixed backoff", () => {
    expect(reclaimAfterMs(9, { ...exp, retryBackoff: "fixed" })).toBe(1000);
  });

  it("calls an entry ripe once its idle time reaches the threshold", () => {
    expect(isRipe(1999, 2, exp)).toBe(false);
    expect(isRipe(2000, 2, exp)).toBe(true);
  });
});

describe("isExhausted", () => {
  it("dead-letters once MAX_DELIVERIES handler runs are recorded as failed", () => {
    expect(isExhausted({ deliveries: 3, failures: 2 }, 3)).toBe(false);
    expect(isExhausted({ deliveries: 4, failures: 3 }, 3)).toBe(true);
  });

  it("does not count deliveries that ran no handler (lost replies) as failed runs", () => {
    expect(isExhausted({ deliveries: 6, failures: 1 }, 3)).toBe(false);
  });

  it("gives up on a message whose runs never finish, after twice MAX_DELIVERIES + 2 deliveries", () => {
    // The counter includes the claim just made: 8 deliveries came before it.
    expect(unrecordedDeliveryLimit(3)).toBe(8);
    expect(isExhausted({ deliveries: 9, failures: 0 }, 3)).toBe(false);
    expect(isExhausted({ deliveries: 10, failures: 0 }, 3)).toBe(true);
  });
});

describe("nextStreamId", () => {
  it("is the next sequence number, rolling over to the next millisecond", () => {
    expect(nextStreamId("5-3")).toBe("5-4");
    expect(nextStreamId("5-18446744073709551615")).toBe("6-0");
  });

  it("rejects what is not an id", () => {
    expect(() => nextStreamId("5")).toThrow(/not a stream id/);
  });
});
