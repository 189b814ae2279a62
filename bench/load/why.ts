/**
 * @module Why a run fell short, read from what it recorded: when and why its drains stopped,
 * what the fan-out started, how busy workerd was. LOAD.md states these next to each goal.
 */
import type { LoadRun } from "./run";

/** One drain that ended during a run, in seconds since production started. */
export type DrainEnd = {
  /** `tick`: a cron's own drain; `extra`: any other (fan-out, publish wake-up). */
  kind: "tick" | "extra";
  endS: number;
  read: number;
  requests: number;
  batches: number;
  stoppedBy: string;
};

/** A fan-out start, in seconds since production started. */
export type FanOutStart = { t: number; drains: number; backlog: number; budgetMs: number };

const num = (v: unknown): number => (typeof v === "number" ? v : Number.NaN);

/** Seconds since the run's production started of a log line's `at`. */
function secondsIn(r: LoadRun, at: unknown): number {
  return (Date.parse(String(at)) - Date.parse(r.startedAt)) / 1000;
}

/** The drains that ended during the run (the ones still running at its end are not there). */
export function drainEnds(r: LoadRun): DrainEnd[] {
  return r.worker.reports
    .map((d) => ({
      kind:
        String(d.consumer).startsWith("cron-") && !/-p\d+$/.test(String(d.consumer))
          ? ("tick" as const)
          : ("extra" as const),
      endS: secondsIn(r, d.at),
      read: num(d.read),
      requests: num(d.requests),
      batches: num(d.batches),
      stoppedBy: String(d.stoppedBy),
    }))
    .sort((a, b) => a.endS - b.endS);
}

export function fanOutStarts(r: LoadRun): FanOutStart[] {
  return r.worker.notable
    .filter((e) => e.event === "fanout_started")
    .map((e) => ({
      t: secondsIn(r, e.at),
      drains: num(e.drains),
      backlog: num(e.backlog),
      budgetMs: num(e.budgetMs),
    }));
}

/** workerd's CPU ms per message handled over the whole run; null where it was not measured. */
export function workerdMsPerMessage(r: LoadRun): number | null {
  const seconds = r.samples.at(-1)?.t ?? 0;
  return r.workerdCores === null || r.handled === 0
    ? null
    : (r.workerdCores * seconds * 1000) / r.handled;
}

/** Highest workerd load in any one-second sample. */
export function peakWorkerdCores(r: LoadRun): number | null {
  const values = r.samples.flatMap((s) => (s.workerdCores === null ? [] : [s.workerdCores]));
  return values.length === 0 ? null : Math.max(...values);
}

const s1 = (n: number) => n.toFixed(1);
const n0 = (n: number) => Math.round(n).toLocaleString("en-US");
const perRead = (d: DrainEnd) => (d.batches > 0 ? (d.read / d.batches).toFixed(1) : "—");

/** "the tick's drain stopped by requests at 29.4 s (997 requests, 3.0 messages a read)". */
function describeEnd(d: DrainEnd): string {
  const who = d.kind === "tick" ? "the tick's drain" : "an extra drain";
  const reason = d.stoppedBy === "requests" ? "MAX_REQUESTS" : d.stoppedBy;
  return `${who} stopped (${reason}) at ${s1(d.endS)} s after ${n0(d.requests)} requests, ${perRead(d)} messages a read`;
}

/**
 * Whether nothing was read from `fromS` to the end of production: the backlog grew by at
 * least 90% of what was produced meanwhile.
 */
function idleAfter(r: LoadRun, fromS: number): boolean {
  const near = (t: number) =>
    r.samples.reduce((best, s) => (Math.abs(s.t - t) < Math.abs(best.t - t) ? s : best));
  if (r.samples.length === 0 || r.case.seconds - fromS < 2) {
    return false;
  }
  const a = near(fromS);
  const b = near(r.case.seconds);
  return b.backlog - a.backlog >= 0.9 * (b.produced - a.produced);
}

/** A sentence or more on why `r` did not meet its goal, from its own figures. */
export function whyShort(r: LoadRun): string {
  const parts: string[] = [];
  if (r.backlogGrows) {
    parts.push(
      `${n0(r.handledPerS)} of ${n0(r.case.rate)} msg/s were handled and the backlog grew by ${n0(r.backlogTrendPerS)}/s over the second half`,
    );
  }
  const ends = drainEnds(r).filter((d) => d.endS < r.case.seconds);
  parts.push(
    ...ends
      .filter((d) => d.kind === "tick")
      .slice(0, 2)
      .map(describeEnd),
  );
  const lastEnd = ends.at(-1)?.endS;
  if (lastEnd !== undefined && idleAfter(r, lastEnd)) {
    parts.push(`no drain read from ${s1(lastEnd)} s until the next tick at ${r.case.seconds} s`);
  }
  if (r.case.mode === "fanout") {
    const starts = fanOutStarts(r);
    const first = starts[0];
    const total = starts.reduce((n, s) => n + s.drains, 0);
    parts.push(
      first
        ? `the fan-out started ${total} extra drains, the first at ${s1(first.t)} s with ${n0(first.backlog)} entries behind and ${s1(first.budgetMs / 1000)} s of budget left`
        : "the fan-out started no extra drain",
    );
  }
  const peak = peakWorkerdCores(r);
  if (peak !== null && peak >= 0.9) {
    const perMessage = workerdMsPerMessage(r);
    const need =
      perMessage === null
        ? ""
        : `; at ${perMessage.toFixed(2)} ms of its CPU per message, ${n0(r.case.rate)} msg/s needs ${((perMessage * r.case.rate) / 1000).toFixed(1)} cores for the Worker alone`;
    parts.push(
      `workerd, which runs every invocation of the Worker here (the SELF drains too) on one JavaScript thread, peaked at ${peak.toFixed(2)} cores${need}`,
    );
  }
  return `${parts.join("; ")}.`;
}
