/**
 * @module `npm start`: the bridge plus `wrangler dev --test-scheduled`, wired together.
 * Configuration variables set in the shell override wrangler.toml (STREAM=... npm start).
 *
 * The Worker's variables reach wrangler in a 0600 env file (`--env-file`), never on a command
 * line. SIGINT, SIGTERM, SIGHUP, the launching npm going away, or wrangler exiting all end the
 * same way: wrangler's whole process group stopped, the bridge closed, the env file removed,
 * one `stopped` line.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { CONFIG_VARIABLES } from "../src/lib/config/variables";
import { type Bridge, startBridge } from "./bridge/server";
import { bridgeSettings, numberEnv } from "./start/env";
import { type EnvFile, UnwritableValue, writeEnvFile } from "./start/env-file";
import { watchLaunchers } from "./start/launcher";
import { ensurePortsFree } from "./start/ports";
import { startWrangler, type Wrangler } from "./start/wrangler";

/** Every configuration variable a shell may override; the REST endpoint is the bridge's. */
const OVERRIDABLE = CONFIG_VARIABLES.map((v) => v.name).filter((n) => !n.startsWith("UPSTASH_"));

/** How long wrangler gets to stop on SIGINT before its group is killed. */
const STOP_GRACE_MS = 5000;

/** A user's own `.dev.vars`: wrangler skips it once `--env-file` is given, so it is passed too. */
const DEV_VARS = resolve(".dev.vars");

const INVALID = "start_config_invalid";

const log = (e: Record<string, unknown>) =>
  console.log(JSON.stringify({ at: new Date().toISOString(), ...e }));

/** What has been started so far, for whichever exit path comes first. */
const running: { bridge?: Bridge; wrangler?: Wrangler; envFile?: EnvFile } = {};
let stoppingSince: number | undefined;

/** Stops whatever runs, in reverse order, then exits with `code`. Runs once. */
async function stop(reason: Record<string, unknown>, code: number): Promise<void> {
  if (stoppingSince !== undefined) {
    return;
  }
  stoppingSince = Date.now();
  await running.wrangler?.stop(STOP_GRACE_MS);
  // Bounded: a hung Redis connection must not keep the port's owner from exiting.
  const closed = running.bridge?.close().catch(() => {});
  await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
  running.envFile?.remove();
  process.exitCode = code;
  // Exit once the line is written: stdout may be a pipe Node writes asynchronously.
  const line = JSON.stringify({ at: new Date().toISOString(), event: "stopped", ...reason, code });
  process.stdout.write(`${line}\n`, () => process.exit(code));
}

function onSignal(signal: NodeJS.Signals): void {
  // A second signal a moment later (Ctrl-C again) means now. One arriving at once is the same
  // Ctrl-C relayed by tsx, or by the terminal to the whole group.
  if (stoppingSince !== undefined && Date.now() - stoppingSince > 1000) {
    running.wrangler?.kill();
  }
  void stop({ reason: "signal", signal }, 0);
}

/** The bridge's endpoint, then every configuration variable set in the shell. */
function workerVariables(bridgeUrl: string, token: string): Record<string, string> {
  const vars: Record<string, string> = {
    UPSTASH_REDIS_REST_URL: bridgeUrl,
    UPSTASH_REDIS_REST_TOKEN: token,
  };
  for (const name of OVERRIDABLE) {
    const value = process.env[name];
    if (value !== undefined) {
      vars[name] = value;
    }
  }
  return vars;
}

async function main(): Promise<void> {
  // A reader that went away (EPIPE) must not crash us before wrangler is stopped.
  process.stdout.on("error", () => {});
  process.stderr.on("error", () => {});
  const bridge = bridgeSettings(INVALID);
  const port = numberEnv("PORT", { fallback: 8787, min: 1, max: 65535, integer: true }, INVALID);
  await ensurePortsFree(
    [
      { port: bridge.port, variable: "BRIDGE_PORT" },
      { port, variable: "PORT" },
    ],
    "npm start",
  );
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, onSignal);
  }
  watchLaunchers((pid) => void stop({ reason: "launcher_exited", pid }, 0));
  // Last resort on an exit no path above foresaw: the secrets file must not outlive us.
  process.on("exit", () => running.envFile?.remove());

  const token = process.env.BRIDGE_TOKEN || randomBytes(16).toString("hex");
  running.bridge = await startBridge({
    redisUrl: process.env.REDIS_URL || "redis://127.0.0.1:6379",
    token,
    ...bridge,
    log,
  });
  if (stoppingSince !== undefined) {
    return; // Signalled while the bridge started: stop() owns the exit.
  }
  const vars = workerVariables(running.bridge.url, token);
  running.envFile = writeEnvFile(vars);
  log({
    event: "wrangler_starting",
    url: `http://127.0.0.1:${port}`,
    // Names only: values may be secrets.
    variables: Object.keys(vars),
    overrides: Object.keys(vars).filter((n) => !n.startsWith("UPSTASH_")),
    envFile: running.envFile.path,
  });
  const envFiles = existsSync(DEV_VARS) ? [DEV_VARS, running.envFile.path] : [running.envFile.path];
  running.wrangler = startWrangler({ port, envFiles });
  const code = await running.wrangler.exited;
  await stop({ reason: "wrangler_exited" }, code);
}

main().catch((e: unknown) => {
  // One line, no stack: a start-up failure is a message for the user (e.g. the port was
  // taken between the check and the listen), not a bug report.
  const usage = e instanceof UnwritableValue;
  const error = e instanceof Error ? e.message : String(e);
  console.error(JSON.stringify({ event: usage ? INVALID : "start_failed", error }));
  void stop({ reason: "start_failed" }, usage ? 2 : 1);
});
