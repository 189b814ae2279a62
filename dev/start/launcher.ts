/**
 * @module Noticing that the command which launched `npm start` is gone.
 *
 * `npm start` is npm → sh → tsx → node. npm forwards a SIGTERM to its `sh -c`, which dies
 * without passing it on, so tsx and this process never see it and would run on, orphaned, with
 * the bridge and wrangler. What this process can see is its launchers disappearing: the
 * ancestors in its own process group (up to npm, or npx, the group leader). A SIGINT from the
 * terminal reaches the whole group anyway; a SIGTERM to tsx or to this process is handled
 * directly.
 */
import { execFileSync } from "node:child_process";

type Row = { ppid: number; pgid: number };

/** Every process's parent and group, from one `ps` (Linux and macOS); empty without `ps`. */
function processTable(): Map<number, Row> {
  const table = new Map<number, Row>();
  try {
    const out = execFileSync("ps", ["-A", "-o", "pid=,ppid=,pgid="], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    for (const line of out.split("\n")) {
      const [pid, ppid, pgid] = line.trim().split(/\s+/).map(Number);
      if (pid !== undefined && ppid !== undefined && pgid !== undefined) {
        table.set(pid, { ppid, pgid });
      }
    }
  } catch {
    // No `ps`: no launcher watch; signals sent to this process still work.
  }
  return table;
}

/** This process's ancestors in its own process group, nearest first. */
export function launchers(): number[] {
  const table = processTable();
  const self = table.get(process.pid);
  const chain: number[] = [];
  let pid = self?.ppid ?? 0;
  while (self !== undefined && pid > 1 && chain.length < 10) {
    const row = table.get(pid);
    if (row === undefined || row.pgid !== self.pgid) {
      break;
    }
    chain.push(pid);
    pid = row.ppid;
  }
  return chain;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Calls `onGone` once, with the pid, when one of the launchers has exited. */
export function watchLaunchers(onGone: (pid: number) => void, everyMs = 500): void {
  const chain = launchers();
  if (chain.length === 0) {
    return;
  }
  const timer = setInterval(() => {
    const gone = chain.find((pid) => !alive(pid));
    if (gone !== undefined) {
      clearInterval(timer);
      onGone(gone);
    }
  }, everyMs);
  // Never what keeps the process alive.
  timer.unref();
}
