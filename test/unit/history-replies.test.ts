import { describe, expect, it } from "vitest";
import { emptyReport } from "../../src/lib/drain/report";
import { ReplyShapeError } from "../../src/lib/errors";
import { jobRecord, parseJobRecord } from "../../src/lib/history/job-record";
import { parseHistoryList, parseLastJobs } from "../../src/lib/history/read";
import { minuteOf, parseSnapshot } from "../../src/lib/history/snapshot";
import { noPages } from "../../src/lib/sweep/pages";
import type { SweepReport } from "../../src/lib/sweep/sweep";

const T = 1_767_225_600_000;

describe("parseSnapshot", () => {
  it("reads the ten fields of a stored line in order", () => {
    expect(parseSnapshot(`${T} 120 15 4 2 300 296 4 1 3`)).toEqual({
      t: T,
      length: 120,
      backlog: 15,
      pending: 4,
      dlq: 2,
      read: 300,
      acked: 296,
      failed: 4,
      deadLettered: 1,
      jobs: 3,
    });
  });

  it("reads a dash as an unknown backlog", () => {
    expect(parseSnapshot(`${T} 0 - 0 0 0 0 0 0 1`).backlog).toBeNull();
  });

  it("refuses a line with a field missing", () => {
    expect(() => parseSnapshot(`${T} 120 15 4 2 300 296 4 1`)).toThrow(ReplyShapeError);
  });

  it("refuses a line with a field too many", () => {
    expect(() => parseSnapshot(`${T} 1 1 1 1 1 1 1 1 1 1`)).toThrow(ReplyShapeError);
  });

  it("refuses a dash anywhere but the backlog", () => {
    expect(() => parseSnapshot(`${T} - 15 4 2 300 296 4 1 3`)).toThrow(ReplyShapeError);
  });

  it("refuses a negative number", () => {
    expect(() => parseSnapshot(`${T} 120 -1 4 2 300 296 4 1 3`)).toThrow(ReplyShapeError);
  });

  it("refuses a fractional number", () => {
    expect(() => parseSnapshot(`${T} 120 1.5 4 2 300 296 4 1 3`)).toThrow(ReplyShapeError);
  });

  it("refuses a number past 2^53 - 1", () => {
    expect(() => parseSnapshot(`${T} 9007199254740993 0 0 0 0 0 0 0 1`)).toThrow(ReplyShapeError);
  });

  it("refuses two spaces in a row (an empty field)", () => {
    expect(() => parseSnapshot(`${T}  120 15 4 2 300 296 4 1`)).toThrow(ReplyShapeError);
  });

  it("refuses a reply that is not a string", () => {
    expect(() => parseSnapshot(42)).toThrow(ReplyShapeError);
  });
});

describe("minuteOf", () => {
  it("is the start of the minute a time falls in", () => {
    expect(minuteOf(T + 59_999)).toBe(T);
    expect(minuteOf(T + 60_000)).toBe(T + 60_000);
  });
});

describe("parseHistoryList", () => {
  it("turns the stored newest-first lines oldest first", () => {
    const raw = [`${T + 60_000} 3 0 0 0 3 3 0 0 1`, `${T} 5 2 1 0 4 4 0 0 2`];
    expect(parseHistoryList(raw).map((s) => s.t)).toEqual([T, T + 60_000]);
  });

  it("refuses a reply that is not a list", () => {
    expect(() => parseHistoryList("x")).toThrow(ReplyShapeError);
  });
});

const drainReport = {
  ...emptyReport("cron-1"),
  read: 50,
  acked: 48,
  failed: 2,
  deadLettered: 1,
  requests: 4,
  durationMs: 812,
  stoppedBy: "max" as const,
};

const sweepReport: SweepReport = {
  consumer: "sweep-1",
  ...noPages("0-0", "error"),
  claimed: 7,
  retried: 7,
  acked: 5,
  failed: 2,
  deadLettered: 0,
  deletedConsumers: 0,
  trimmed: 0,
  trimHeldBack: 0,
  trimHeldReason: null,
  trimHeldBy: null,
  requests: 9,
  durationMs: 30,
  error: { code: "REDIS_ERROR", message: "XACK failed: ERR" },
};

describe("jobRecord", () => {
  it("keeps a drain's counts, limits and end time", () => {
    expect(jobRecord("drain", drainReport, T)).toEqual({
      job: "drain",
      at: T,
      consumer: "cron-1",
      read: 50,
      acked: 48,
      failed: 2,
      deadLettered: 1,
      stoppedBy: "max",
      durationMs: 812,
      requests: 4,
      error: null,
    });
  });

  it("counts a sweep's claimed entries as read", () => {
    expect(jobRecord("sweep", sweepReport, T).read).toBe(7);
  });

  it("keeps only the message of a report's error", () => {
    expect(jobRecord("sweep", sweepReport, T).error).toBe("XACK failed: ERR");
  });
});

describe("parseJobRecord", () => {
  it("reads back what jobRecord stored as JSON", () => {
    const record = jobRecord("drain", drainReport, T);
    expect(parseJobRecord(JSON.stringify(record), "drain")).toEqual(record);
  });

  it("refuses text that is not JSON", () => {
    expect(() => parseJobRecord("{not json", "drain")).toThrow(ReplyShapeError);
  });

  it("refuses a record of the other job", () => {
    const record = jobRecord("drain", drainReport, T);
    expect(() => parseJobRecord(JSON.stringify(record), "sweep")).toThrow(ReplyShapeError);
  });

  it("refuses a count that is not a number", () => {
    const record = { ...jobRecord("drain", drainReport, T), acked: "48" };
    expect(() => parseJobRecord(JSON.stringify(record), "drain")).toThrow(ReplyShapeError);
  });
});

describe("parseLastJobs", () => {
  it("reads the drain and the sweep fields of the hash", () => {
    const drain = jobRecord("drain", drainReport, T);
    const sweep = jobRecord("sweep", sweepReport, T + 1);
    const raw = ["sweep", JSON.stringify(sweep), "drain", JSON.stringify(drain)];
    expect(parseLastJobs(raw)).toEqual({ lastDrain: drain, lastSweep: sweep });
  });

  it("answers null jobs for an empty hash", () => {
    expect(parseLastJobs([])).toEqual({ lastDrain: null, lastSweep: null });
  });

  it("refuses a hash of an odd number of elements", () => {
    expect(() => parseLastJobs(["drain"])).toThrow(ReplyShapeError);
  });
});
