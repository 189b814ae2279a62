import { describe, expect, it } from "vitest";
import { niceCeiling, pathOf } from "../../src/handlers/dashboard/views/charts";
import { payloadText } from "../../src/handlers/dashboard/views/dead-letters";
import { ago, count, duration, idTime } from "../../src/handlers/dashboard/views/format";
import { bucketed, onGrid } from "../../src/handlers/dashboard/views/history-charts";
import type { Snapshot } from "../../src/lib/index";

const snap = (t: number, acked: number, pending: number): Snapshot => ({
  t,
  length: 10,
  backlog: 1,
  pending,
  dlq: 0,
  read: acked,
  acked,
  failed: 0,
  deadLettered: 0,
  jobs: 1,
});

describe("payloadText", () => {
  it("pretty-prints a JSON object", () => {
    expect(payloadText('{"a":1,"b":[2]}')).toBe('{\n  "a": 1,\n  "b": [\n    2\n  ]\n}');
  });

  it("keeps text that only looks like JSON as it is", () => {
    expect(payloadText("{not json")).toBe("{not json");
  });

  it("keeps a plain value as it is, markup included (the view escapes it)", () => {
    expect(payloadText("<script>alert(1)</script>")).toBe("<script>alert(1)</script>");
  });
});

describe("chart helpers", () => {
  it("rounds the y axis up to 1, 2 or 5 times a power of ten", () => {
    expect([0, 1, 3, 7, 42, 180, 501].map(niceCeiling)).toEqual([1, 1, 5, 10, 50, 200, 1000]);
  });

  it("breaks a line where a value is missing", () => {
    const d = pathOf(
      [
        [0, 1],
        [1, null],
        [2, 3],
      ],
      (t) => t,
      (v) => v,
    );
    expect(d).toBe("M0.0 1.0M2.0 3.0");
  });

  it("sums counters and keeps the last gauge per bucket, oldest first", () => {
    const out = bucketed([snap(120_000, 5, 9), snap(0, 1, 2), snap(60_000, 2, 4)], 600_000);
    expect(out).toEqual([{ ...snap(0, 8, 9), read: 8, jobs: 3 }]);
  });
});

describe("onGrid", () => {
  it("counts a minute without a snapshot as idle: no throughput, the gauges unchanged", () => {
    const points = onGrid([snap(60_000, 5, 9), snap(180_000, 2, 4)], 60_000, 180_000, 60_000);
    expect(points.map((p) => [p.t, p.acked, p.pending])).toEqual([
      [60_000, 5, 9],
      [120_000, 0, 9],
      [180_000, 2, 4],
    ]);
  });

  it("carries the last gauges from before the window, and none before any snapshot", () => {
    expect(onGrid([snap(0, 1, 7)], 120_000, 120_000, 60_000)[0]?.pending).toBe(7);
    expect(onGrid([], 0, 0, 60_000)[0]?.pending).toBeNull();
  });
});

describe("formatting", () => {
  it("writes durations in their largest sensible unit", () => {
    expect([850, 42_000, 420_000, 11_100_000, 190_800_000].map(duration)).toEqual([
      "850 ms",
      "42 s",
      "7 min",
      "3 h 5 min",
      "2 d 5 h",
    ]);
  });

  it("says never for a job that never ran, and unknown numbers as a dash", () => {
    expect(ago(null, 0)).toBe("never");
    expect(count(null)).toBe("–");
  });

  it("reads the time of a stream id", () => {
    expect(idTime("1795709122566-3")).toBe(1_795_709_122_566);
    expect(idTime("nope")).toBeNull();
  });
});
