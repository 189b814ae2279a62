/**
 * The fault run: the bundled Worker drains a live stream into a flaky webhook target through
 * a bridge that drops requests before and after they ran, while its group is destroyed and its
 * stream deleted, with 1 MiB, 5,000-field and invalid-UTF-8 messages among the rest. After the
 * faults stop and the PEL empties, nothing is lost, nothing altered, and no dead letter is one
 * the target accepted or one with fewer than MAX_DELIVERIES handler runs.
 * CI size in `npm test`; `npm run soak` (SOAK=1) runs the full size and writes
 * bench/fault-run.json.
 */
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { MessageMix } from "../helpers/fault-messages";
import { type FaultRunFigures, faultRun, MAX_DELIVERIES } from "../helpers/fault-run";
import { SOAK } from "../helpers/ledger";
import { useDirect } from "../helpers/redis";

const MIX: Record<"guarded" | "unguarded", MessageMix> = SOAK
  ? {
      guarded: { messages: 5000, large: 6, wide: 6, odd: 40 },
      unguarded: { messages: 3000, large: 3, wide: 3, odd: 20 },
    }
  : {
      guarded: { messages: 600, large: 3, wide: 2, odd: 9 },
      unguarded: { messages: 300, large: 1, wide: 1, odd: 6 },
    };
// A deadline, not a duration: each phase ends as soon as its work is done. Room for a machine
// busy with other test processes, whose producer once ran past 20 s.
const PHASE_MS = SOAK ? 240_000 : 40_000;
const TIMEOUT = 2 * PHASE_MS + 20_000;
const BENCH = fileURLToPath(new URL("../../bench/fault-run.json", import.meta.url));

const d = useDirect();
const runs: FaultRunFigures[] = [];

afterAll(async () => {
  if (!SOAK || runs.length !== 2) {
    return;
  }
  const info = await d.info("server");
  const machine = {
    cpus: cpus().length,
    node: process.version,
    redis: /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown",
  };
  writeFileSync(BENCH, `${JSON.stringify({ machine, runs }, null, 2)}\n`);
});

/** Prints the run's figures as one line and keeps them for bench/fault-run.json. */
function publish(figures: FaultRunFigures): void {
  console.log(`FAULT_RUN ${JSON.stringify(figures)}`);
  runs.push(figures);
}

/** The run staged what it claims to: every kind of fault actually happened. */
function expectFaultsHappened(f: FaultRunFigures, samples: Record<string, string[]>): void {
  expect(f.cronSkipped, JSON.stringify(samples.skipped ?? [])).toBe(0);
  expect(f.faults.bridgeBefore).toBeGreaterThan(0);
  expect(f.faults.bridgeAfter).toBeGreaterThan(0);
  expect(f.faults.target.accepted_failed).toBeGreaterThan(0);
  expect(f.faults.target.refused).toBeGreaterThan(0);
  expect(f.faults.groupDestroyed).toBe(1);
  expect(f.faults.streamDeleted).toBe(1);
  expect(f.faults.concurrentTicks).toBeGreaterThan(0);
}

/** What holds with the guard on or off. */
function expectNothingLostOrAltered(f: FaultRunFigures, samples: Record<string, string[]>) {
  const why = (what: string) => JSON.stringify(samples[what] ?? []);
  expect.soft(f.settled, "the PEL never emptied").toBe(true);
  expect.soft(f.pending).toBe(0);
  expect.soft(f.lost, why("lost")).toBe(0);
  expect.soft(f.altered, why("altered")).toEqual({ messages: 0, target: 0, deadLetters: 0 });
  expect.soft(f.deadLettersUnderRuns, why("deadLettersUnderRuns")).toBe(0);
  expect.soft(f.unknown, why("unknown")).toBe(0);
  // Once by the destroyed group, once by the deleted stream.
  expect.soft(f.groupRecreated, why("recreation")).toBeGreaterThanOrEqual(2);
}

describe(`fault run through the bundled Worker (MAX_DELIVERIES=${MAX_DELIVERIES})`, () => {
  it(
    "with IDEMPOTENCY_TTL_S on: nothing lost or altered, no dead letter the target accepted",
    async () => {
      const { figures, samples } = await faultRun(d, {
        scenario: "guarded",
        mix: MIX.guarded,
        idempotencyTtlS: 3600,
        prngStart: 71,
        phaseMs: PHASE_MS,
      });
      publish(figures);
      expectFaultsHappened(figures, samples);
      expectNothingLostOrAltered(figures, samples);
      expect
        .soft(figures.deadLettersAccepted, JSON.stringify(samples.deadLettersAccepted ?? []))
        .toBe(0);
    },
    TIMEOUT,
  );

  it(
    "with IDEMPOTENCY_TTL_S off: nothing lost or altered; accepted dead letters are counted",
    async () => {
      const { figures, samples } = await faultRun(d, {
        scenario: "unguarded",
        mix: MIX.unguarded,
        idempotencyTtlS: 0,
        prngStart: 72,
        phaseMs: PHASE_MS,
      });
      publish(figures);
      expectFaultsHappened(figures, samples);
      expectNothingLostOrAltered(figures, samples);
    },
    TIMEOUT,
  );
});
