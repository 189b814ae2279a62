import { describe, expect, it } from "vitest";
import { DEFAULTS, withDefaults } from "../../src/lib/config/defaults";
import { configRange, RANGES, validateOptions } from "../../src/lib/config/ranges";
import { CONFIG_RANGES } from "../../src/lib/config/variables";
import { resolveDrainOptions } from "../../src/lib/drain/options";
import { ConfigError, RequestBudgetError } from "../../src/lib/errors";
import { RequestBudget } from "../../src/lib/redis/budget";
import { request } from "../../src/lib/redis/calls";
import { resolveSweepOptions, sweepMinRequests } from "../../src/lib/sweep/options";
import { upstash } from "../helpers/redis";
import { refusal as refusalOf } from "../helpers/refusal";

const refusal = (call: () => unknown) => refusalOf(ConfigError, call);

const job = { redis: upstash(), stream: "s", group: "g", consumer: "c", handler: () => {} };

describe("one set of ranges", () => {
  it("gives the env variables the library's ranges", () => {
    expect(CONFIG_RANGES.TIME_BUDGET_MS).toEqual(RANGES.timeBudgetMs);
    expect(CONFIG_RANGES.BATCH_SIZE).toEqual(RANGES.batchSize);
  });

  it("holds MIN_IDLE_MS to its configMin of 1 s, the library to 1 ms", () => {
    expect(CONFIG_RANGES.MIN_IDLE_MS).toEqual([1000, RANGES.minIdleMs[1]]);
    expect(configRange(RANGES.minIdleMs)).toEqual(CONFIG_RANGES.MIN_IDLE_MS);
    expect(resolveSweepOptions({ ...job, minIdleMs: 100 }).minIdleMs).toBe(100);
  });

  it("starts MAX_REQUESTS where one sweep page fits; the drain keeps its own minimum of 3", () => {
    const least = sweepMinRequests({ kind: "none" }, DEFAULTS.sweepPageSize);
    expect(CONFIG_RANGES.MAX_REQUESTS).toEqual([least, RANGES.maxRequests[1]]);
    expect(resolveDrainOptions({ ...job, maxRequests: 3 }).maxRequests).toBe(3);
  });

  it("refuses the same time budget in the drain and the sweep as in the env", () => {
    const [min] = RANGES.timeBudgetMs;
    expect(refusal(() => resolveDrainOptions({ ...job, timeBudgetMs: min - 1 })).variable).toBe(
      "timeBudgetMs",
    );
    expect(refusal(() => resolveSweepOptions({ ...job, timeBudgetMs: min - 1 })).variable).toBe(
      "timeBudgetMs",
    );
    expect(resolveDrainOptions({ ...job, timeBudgetMs: min }).timeBudgetMs).toBe(min);
    expect(resolveSweepOptions({ ...job, timeBudgetMs: min }).timeBudgetMs).toBe(min);
  });
});

describe("the sweep's options", () => {
  it("applies the documented defaults", () => {
    const o = resolveSweepOptions(job);
    expect(o).toMatchObject({
      minIdleMs: DEFAULTS.minIdleMs,
      maxDeliveries: DEFAULTS.maxDeliveries,
      count: DEFAULTS.maxMessages,
      timeBudgetMs: DEFAULTS.timeBudgetMs,
      consumerRetentionMs: DEFAULTS.consumerRetentionMs,
      retryBackoff: DEFAULTS.retryBackoff,
      maxBackoffMs: DEFAULTS.maxBackoffMs,
      concurrency: DEFAULTS.concurrency,
      maxRequests: DEFAULTS.maxRequests,
      dlqMaxLen: DEFAULTS.dlqMaxLen,
      pageSize: DEFAULTS.sweepPageSize,
      trim: { kind: "none" },
    });
  });

  it.each([
    [{ pageSize: 0 }, "pageSize", /pageSize must be an integer between 1 and 10000, got 0/],
    [{ count: 1.5 }, "count", /count must be an integer between 1 and 1000000, got 1.5/],
    [{ maxRequests: 2 }, "maxRequests", /maxRequests must be an integer between 3 and 100000/],
    [{ maxDeliveries: 0 }, "maxDeliveries", /maxDeliveries must be an integer between 1 and/],
    [
      { retryBackoff: "linear" },
      "retryBackoff",
      /retryBackoff must be one of "fixed", "exponential", got "linear"/,
    ],
    [{ consumer: "" }, "consumer", /consumer must be a non-empty string, got ""/],
    [{ handler: "no" }, "handler", /handler must be a function/],
  ])("refuses %o naming the option", (bad, name, message) => {
    const e = refusal(() => resolveSweepOptions({ ...job, ...bad } as never));
    expect(e.variables).toContain(name);
    expect(e.message).toMatch(message);
  });

  it("refuses a maxRequests too small for one page, which would never retry anything", () => {
    const least = sweepMinRequests({ kind: "none" }, DEFAULTS.sweepPageSize);
    const e = refusal(() => resolveSweepOptions({ ...job, maxRequests: least - 1 }));
    expect(e.variables).toEqual(["maxRequests"]);
    expect(e.message).toBe(
      `maxRequests must be at least ${least} for a sweep to claim and settle one page (cursor read, claim, dead letters, ack, then hygiene and trim), got ${least - 1}`,
    );
    expect(resolveSweepOptions({ ...job, maxRequests: least }).maxRequests).toBe(least);
  });

  it("counts the trim and the first page's size in the sweep's minimum", () => {
    const acked = sweepMinRequests({ kind: "acked" }, DEFAULTS.sweepPageSize);
    expect(
      refusal(() =>
        resolveSweepOptions({ ...job, trim: { kind: "acked" }, maxRequests: acked - 1 }),
      ).variable,
    ).toBe("maxRequests");
    const big = sweepMinRequests({ kind: "none" }, 1000);
    expect(big).toBeGreaterThan(sweepMinRequests({ kind: "none" }, 100));
    expect(
      refusal(() =>
        resolveSweepOptions({ ...job, pageSize: 1000, count: 1000, maxRequests: big - 1 }),
      ).variable,
    ).toBe("maxRequests");
    expect(
      resolveSweepOptions({ ...job, pageSize: 1000, count: 5, maxRequests: big - 1 }).count,
    ).toBe(5);
  });

  it("lists every bad option in one error", () => {
    const e = refusal(() => resolveSweepOptions({ ...job, pageSize: 0, minIdleMs: -1 }));
    expect(e.variables).toEqual(["minIdleMs", "pageSize"]);
  });
});

describe("validateOptions", () => {
  it("lets an unset option pass, so its default applies", () => {
    expect(() => validateOptions({}, { integers: ["batchSize"], strings: [] })).not.toThrow();
  });

  it("checks an option against a range of another name", () => {
    const e = refusal(() =>
      validateOptions({ count: 0 }, { integers: [["count", "maxMessages"]], strings: [] }),
    );
    expect(e.message).toBe("count must be an integer between 1 and 1000000, got 0");
  });

  it("says an unbounded range has only a minimum", () => {
    const e = refusal(() =>
      validateOptions({ maxBackoffMs: 0 }, { integers: ["maxBackoffMs"], strings: [] }),
    );
    expect(e.message).toBe("maxBackoffMs must be an integer of at least 1, got 0");
  });
});

describe("withDefaults", () => {
  it("fills unset options from DEFAULTS and keeps set ones, 0 and false included", () => {
    const o = withDefaults(
      { batchSize: undefined, concurrency: 0, noAck: false } as {
        batchSize?: number;
        concurrency?: number;
        noAck?: boolean;
      },
      ["batchSize", "concurrency", "noAck"],
    );
    expect(o).toEqual({ batchSize: DEFAULTS.batchSize, concurrency: 0, noAck: false });
  });
});

describe("RequestBudget", () => {
  it("fits what is left, with the reserve kept back", () => {
    const budget = new RequestBudget(5);
    budget.spend();
    budget.spend();
    expect(budget.used).toBe(2);
    expect(budget.fits(3)).toBe(true);
    expect(budget.fits(4)).toBe(false);
    expect(budget.fits(1, 2)).toBe(true);
    expect(budget.fits(2, 2)).toBe(false);
  });

  it("is unlimited without a cap", () => {
    expect(new RequestBudget().fits(1_000_000)).toBe(true);
  });

  it("refuses the request that would pass the cap, sending nothing", async () => {
    const budget = new RequestBudget(1);
    let sent = 0;
    const send = async () => {
      sent++;
      return "OK";
    };
    expect(await request(budget, "GET", send)).toBe("OK");
    await expect(request(budget, "GET", send)).rejects.toBeInstanceOf(RequestBudgetError);
    await expect(request(budget, "GET", send)).rejects.toThrow(
      "GET not sent: all 1 requests of this run are used",
    );
    expect(sent).toBe(1);
    expect(budget.used).toBe(1);
  });
});
