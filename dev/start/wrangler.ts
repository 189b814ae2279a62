/**
 * @module `wrangler dev` as a child that can always be stopped: npx → sh → node wrangler →
 * node cli → workerd, all in a process group of their own so one signal reaches every one of
 * them (a signal to npx alone leaves workerd holding the port).
 */
import { spawn } from "node:child_process";

/**
 * Set for wrangler so that starting needs no network and prints no noise.
 * - WRANGLER_SEND_METRICS: no telemetry.
 * - CLOUDFLARE_CF_FETCH_ENABLED: miniflare uses its placeholder `Request.cf` instead of
 *   fetching workers.cloudflare.com/cf.json (an ENOTFOUND stack per start when offline).
 * - WRANGLER_HIDE_BANNER: the banner is what runs wrangler's npm update check.
 * - CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: wrangler reads `--env-file` only when this is not
 *   false; the Worker's variables and secrets come from that file.
 */
export const WRANGLER_ENV = {
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: "true",
} as const;

export type WranglerOptions = { port: number; envFiles: string[] };

export type Wrangler = {
  /** Resolves with wrangler's exit code (128 + n when killed by signal n), once. */
  readonly exited: Promise<number>;
  /** SIGINT to the group, SIGKILL after `graceMs`; resolves when the whole group is gone. */
  stop(graceMs: number): Promise<void>;
  /** SIGKILL to the group at once (a second Ctrl-C). */
  kill(): void;
};

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** Starts `wrangler dev` on 127.0.0.1:`port`, reading the Worker's variables from `envFiles`. */
export function startWrangler(options: WranglerOptions): Wrangler {
  const args = ["wrangler", "dev", "--test-scheduled", "--ip", "127.0.0.1"];
  args.push("--port", String(options.port));
  for (const file of options.envFiles) {
    args.push("--env-file", file);
  }
  // detached: a new process group (and session), led by npx. stdin is not passed on: a
  // keypress reader outside the terminal's foreground group would fight the shell for it,
  // and Ctrl-C must reach this process, which then stops the group.
  const child = spawn("npx", args, {
    detached: true,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, ...WRANGLER_ENV },
  });
  const pgid = child.pid;
  const exited = new Promise<number>((resolve) => {
    child.once("exit", (code, signal) => {
      resolve(code ?? 128 + (SIGNAL_NUMBERS[signal ?? ""] ?? 0));
    });
    child.once("error", () => resolve(127));
  });

  const signalGroup = (signal: NodeJS.Signals | 0): boolean => {
    if (pgid === undefined) {
      return false;
    }
    try {
      process.kill(-pgid, signal);
      return true;
    } catch {
      return false; // ESRCH: nobody left in the group.
    }
  };
  // Signal 0 only asks whether anyone in the group is left.
  const groupGone = () => !signalGroup(0);
  const waitGone = async (ms: number): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (!groupGone()) {
      if (Date.now() >= deadline) {
        return false;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return true;
  };

  return {
    exited,
    async stop(graceMs) {
      signalGroup("SIGINT");
      if (!(await waitGone(graceMs))) {
        signalGroup("SIGKILL");
        await waitGone(2000);
      }
    },
    kill() {
      signalGroup("SIGKILL");
    },
  };
}
