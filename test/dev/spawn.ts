/**
 * @module The dev programs (`npm start`, `npm run bridge`) run as a user runs them, through npx
 * and tsx, each in a process group of its own so a test can stop all of it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { inject } from "vitest";
import { sleep } from "../helpers/sleep";

export type Started = {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves when stdout and stderr are closed: every process sharing them has exited. */
  closed: Promise<void>;
  /** Exit code of the top process, once it exited. */
  exited: Promise<number | null>;
};

/** `npx tsx <script>` against the tests' Redis, with `env` on top of this process's. */
export function spawnScript(script: string, env: Record<string, string>): Started {
  const child = spawn("npx", ["tsx", script], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, REDIS_URL: inject("redisUrl"), ...env },
  });
  let text = "";
  const streams = [child.stdout, child.stderr].flatMap((s) => (s === null ? [] : [s]));
  const closed = Promise.all(
    streams.map((s) => {
      s.on("data", (chunk: Buffer) => {
        text += chunk.toString("utf8");
      });
      return new Promise<void>((resolve) => s.once("close", () => resolve()));
    }),
  ).then(() => undefined);
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { child, output: () => text, closed, exited };
}

/** The JSON line of `event` in the output. */
export function logged(run: Started, event: string): Record<string, unknown> | undefined {
  const line = run
    .output()
    .split("\n")
    .find((l) => l.startsWith("{") && l.includes(`"event":"${event}"`));
  return line === undefined ? undefined : (JSON.parse(line) as Record<string, unknown>);
}

/** The non-empty lines of the output. */
export function lines(run: Started): string[] {
  return run
    .output()
    .split("\n")
    .filter((l) => l.trim() !== "");
}

/** Stops a run a test left behind: SIGTERM to its whole group, then SIGKILL. */
export async function cleanup(run: Started | undefined): Promise<void> {
  const pid = run?.child.pid;
  if (run === undefined || pid === undefined) {
    return;
  }
  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    try {
      process.kill(-pid, signal);
    } catch {
      return; // Nobody left.
    }
    await Promise.race([run.closed, sleep(10_000)]);
  }
}
