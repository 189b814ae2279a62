/**
 * @module The Worker under load: bundled exactly as `wrangler deploy` would, run in Miniflare
 * (workerd) with the bindings of one run; its log lines are counted by event.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Miniflare } from "miniflare";
import { runWorker } from "../../dev/miniflare-worker";

const root = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Whether the Worker has the route a `SELF` binding starts extra drains with; without the
 * route, the fan-out mode runs without the binding and its extra drains run in-process.
 */
export function hasInternalDrainRoute(): boolean {
  return existsSync(join(root, "src/handlers/internal.ts"));
}

/** What the Worker logged during a run, counted by event, and its drain reports. */
export type WorkerLog = {
  events: Record<string, number>;
  /** The `drain` lines: one per drain that ended, with its report. */
  drains: Record<string, unknown>[];
  /** The first lines of each rarer event (fan-out, slots, errors), kept whole. */
  notable: Record<string, unknown>[];
  /** Lines that were not JSON (stack traces, workerd's own notes), the first few kept. */
  other: string[];
};

export type LoadWorker = {
  mf: Miniflare;
  /** CPU time workerd has used so far (user + system, ms); null where /proc is not there. */
  cpuMs(): number | null;
  /** Where Miniflare listens (for `POST /publish`). */
  url: string;
  log: WorkerLog;
  dispose(): Promise<void>;
};

const OTHER_KEPT = 20;
/** Lines kept of each rarer event (the first ones). */
const NOTABLE_KEPT = 15;
/** Events logged once per request or per tick: counted, not kept. */
const COMMON = new Set(["sweep", "publish", "lease_renewed"]);

/** Starts the bundled Worker with `bindings`; `self` adds a `SELF` service binding to itself. */
export async function startLoadWorker(
  script: string,
  bindings: Record<string, string>,
  self: boolean,
): Promise<LoadWorker> {
  const log: WorkerLog = { events: {}, drains: [], notable: [], other: [] };
  const take = (line: string) => {
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      const event = String(entry.event ?? "unknown");
      log.events[event] = (log.events[event] ?? 0) + 1;
      if (event === "drain") {
        log.drains.push(entry);
      } else if (!COMMON.has(event) && (log.events[event] ?? 0) <= NOTABLE_KEPT) {
        log.notable.push(entry);
      }
    } catch {
      if (log.other.length < OTHER_KEPT) {
        log.other.push(line.slice(0, 300));
      }
    }
  };
  const mf = await runWorker(script, bindings, take, self);
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const pid = childNamed("workerd");
  return { mf, url, log, cpuMs: () => (pid ? cpuMsOf(pid) : null), dispose: () => mf.dispose() };
}

/** /proc/<pid>/stat after the `(comm)`: field 3 is the state, 4 the parent, 14–15 CPU ticks. */
function statFields(pid: string): { comm: string; rest: string[] } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = stat.lastIndexOf(")");
    return {
      comm: stat.slice(stat.indexOf("(") + 1, close),
      rest: stat.slice(close + 2).split(" "),
    };
  } catch {
    return null;
  }
}

/** The newest child process of this one named `comm` (Miniflare's workerd), if any. */
function childNamed(comm: string): string | null {
  let found: string | null = null;
  try {
    for (const pid of readdirSync("/proc")) {
      const f = /^\d+$/.test(pid) ? statFields(pid) : null;
      if (f?.comm === comm && f.rest[1] === String(process.pid)) {
        found = found === null || Number(pid) > Number(found) ? pid : found;
      }
    }
  } catch {
    return null;
  }
  return found;
}

/** utime + stime of `pid` in ms (USER_HZ is 100 on Linux). */
function cpuMsOf(pid: string): number | null {
  const f = statFields(pid);
  return f ? (Number(f.rest[11]) + Number(f.rest[12])) * 10 : null;
}
