import { describe, expect, it } from "vitest";
import { extraConsumerName } from "../../src/handlers/fanout";
import { ReplyShapeError } from "../../src/lib/errors";
import { parseBacklog } from "../../src/lib/fanout/backlog";
import {
  arrivalRate,
  type FanOutInput,
  planFanOut,
  splitRequests,
} from "../../src/lib/fanout/plan";

/** A drain that read 1,000 in 2 s (0.5 per ms) and has 10 s left: it clears 5,000 more. */
const behind = (o: Partial<FanOutInput>): FanOutInput => ({
  backlog: 0,
  readSoFar: 1000,
  elapsedMs: 2000,
  remainingMs: 10_000,
  liveSlots: 1,
  maxDrains: 8,
  ...o,
});

describe("planFanOut", () => {
  it("asks for none when the drain clears the backlog in time", () => {
    expect(planFanOut(behind({ backlog: 5000 }))).toBe(0);
  });

  it("asks for one more as soon as the backlog exceeds what the drain can clear", () => {
    expect(planFanOut(behind({ backlog: 5001 }))).toBe(1);
  });

  it("asks for ceil(backlog / capacity) - 1 with the drain running alone", () => {
    expect(planFanOut(behind({ backlog: 20_000 }))).toBe(3);
    expect(planFanOut(behind({ backlog: 20_001 }))).toBe(4);
  });

  it("counts the drains already running as helpers", () => {
    expect(planFanOut(behind({ backlog: 20_000, liveSlots: 3 }))).toBe(1);
    expect(planFanOut(behind({ backlog: 20_000, liveSlots: 4 }))).toBe(0);
  });

  it("never asks for more than the free slots", () => {
    expect(planFanOut(behind({ backlog: 1_000_000, maxDrains: 4 }))).toBe(3);
    expect(planFanOut(behind({ backlog: 1_000_000, maxDrains: 4, liveSlots: 3 }))).toBe(1);
  });

  it("asks for none when the table is full or over-full", () => {
    expect(planFanOut(behind({ backlog: 1_000_000, maxDrains: 4, liveSlots: 4 }))).toBe(0);
    expect(planFanOut(behind({ backlog: 1_000_000, maxDrains: 4, liveSlots: 6 }))).toBe(0);
  });

  it("asks for none with MAX_PARALLEL_DRAINS at 1", () => {
    expect(planFanOut(behind({ backlog: 1_000_000, maxDrains: 1 }))).toBe(0);
  });

  it("counts the drain itself even when it holds no slot", () => {
    expect(planFanOut(behind({ backlog: 1_000_000, maxDrains: 4, liveSlots: 0 }))).toBe(3);
  });

  it("asks for none without a backlog, or before anything was read", () => {
    expect(planFanOut(behind({ backlog: 0 }))).toBe(0);
    expect(planFanOut(behind({ backlog: 50_000, readSoFar: 0 }))).toBe(0);
  });

  it("asks for none when no time is left: helpers run for the drain's remaining time", () => {
    expect(planFanOut(behind({ backlog: 1_000_000, remainingMs: 0 }))).toBe(0);
    expect(planFanOut(behind({ backlog: 1_000_000, remainingMs: -50 }))).toBe(0);
  });

  it("takes a drain 0 ms old as 1 ms old", () => {
    // 50 per ms × 100 ms = 5,000: just enough.
    expect(
      planFanOut(behind({ backlog: 5000, readSoFar: 50, elapsedMs: 0, remainingMs: 100 })),
    ).toBe(0);
    expect(
      planFanOut(behind({ backlog: 5001, readSoFar: 50, elapsedMs: 0, remainingMs: 100 })),
    ).toBe(1);
  });
});

describe("parseBacklog", () => {
  it("reads a count", () => {
    expect(parseBacklog(42)).toBe(42);
    expect(parseBacklog(0)).toBe(0);
    expect(parseBacklog("7")).toBe(7);
  });

  it("reads -1 as no stream or group", () => {
    expect(parseBacklog(-1)).toBeNull();
  });

  it("refuses anything else", () => {
    expect(() => parseBacklog(-2)).toThrow(ReplyShapeError);
    expect(() => parseBacklog("many")).toThrow(ReplyShapeError);
    expect(() => parseBacklog(null)).toThrow(ReplyShapeError);
    expect(() => parseBacklog([1])).toThrow(ReplyShapeError);
  });
});

describe("splitRequests", () => {
  const split = (maxRequests: number, maxDrains: number, inProcess: boolean) =>
    splitRequests({ maxRequests, maxDrains, inProcess });

  it("gives everything to the drain with MAX_PARALLEL_DRAINS at 1", () => {
    expect(split(1000, 1, false)).toEqual({ drain: 1000, fanOut: 0, starts: 0, extraDrain: 0 });
    expect(split(1000, 1, true)).toEqual({ drain: 1000, fanOut: 0, starts: 0, extraDrain: 0 });
  });

  it("with SELF keeps a tenth, at most 100, for estimates and one subrequest per start", () => {
    expect(split(1000, 4, false)).toEqual({ drain: 894, fanOut: 100, starts: 6, extraDrain: 0 });
    expect(split(50, 4, false)).toEqual({ drain: 40, fanOut: 5, starts: 5, extraDrain: 0 });
    expect(split(5000, 250, false)).toEqual({
      drain: 4402,
      fanOut: 100,
      starts: 498,
      extraDrain: 0,
    });
  });

  it("in-process splits the rest equally between at most 3 drains", () => {
    expect(split(1000, 4, true)).toEqual({ drain: 300, fanOut: 100, starts: 2, extraDrain: 300 });
    expect(split(1000, 2, true)).toEqual({ drain: 450, fanOut: 100, starts: 1, extraDrain: 450 });
    expect(split(50, 8, true)).toEqual({ drain: 15, fanOut: 5, starts: 2, extraDrain: 15 });
  });

  it("never lets the shares add up past MAX_REQUESTS", () => {
    for (const max of [3, 40, 41, 50, 99, 1000, 1001, 100_000]) {
      for (const drains of [1, 2, 3, 4, 250]) {
        for (const inProcess of [false, true]) {
          const s = split(max, drains, inProcess);
          const extras = inProcess ? s.starts * s.extraDrain : s.starts;
          expect(s.drain + s.fanOut + extras).toBeLessThanOrEqual(max);
        }
      }
    }
  });

  it("turns fan-out off when the shares would be too small to be of use", () => {
    expect(split(39, 4, false)).toEqual({ drain: 39, fanOut: 0, starts: 0, extraDrain: 0 });
    expect(split(20, 4, true)).toEqual({ drain: 20, fanOut: 0, starts: 0, extraDrain: 0 });
  });
});

describe("extraConsumerName", () => {
  it("numbers an invocation's extra drains after its own consumer", () => {
    expect(extraConsumerName("cron-1795709122000-3f9a1c", 2)).toBe("cron-1795709122000-3f9a1c-p2");
  });

  it("cuts the name it extends so the whole stays within 64 characters", () => {
    const name = extraConsumerName("c".repeat(64), 3);
    expect(name).toBe(`${"c".repeat(61)}-p3`);
    expect(name).toHaveLength(64);
  });
});

describe("arrivals", () => {
  it("counts what keeps arriving, not only what is behind now", () => {
    // Alone it clears 10,000 in the time left; 500 behind, but 2 more arrive per ms.
    const base = { backlog: 500, readSoFar: 1000, elapsedMs: 1000, remainingMs: 10_000 };
    expect(planFanOut({ ...base, liveSlots: 1, maxDrains: 8 })).toBe(0);
    expect(planFanOut({ ...base, liveSlots: 1, maxDrains: 8, arrivalRate: 2 })).toBe(2);
  });

  it("reads the arrival rate from the backlog's change plus what was read meanwhile", () => {
    const prev = { backlog: 1000, readSoFar: 2000, at: 1000 };
    expect(arrivalRate(prev, { backlog: 1500, readSoFar: 3000, at: 2000 })).toBe(1.5);
    expect(arrivalRate(prev, { backlog: 100, readSoFar: 2100, at: 2000 })).toBe(0);
    expect(arrivalRate(prev, { backlog: 1500, readSoFar: 3000, at: 1000 })).toBe(0);
  });
});
