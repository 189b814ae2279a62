/**
 * @module `npm start`: the bridge plus `wrangler dev --test-scheduled`, wired together.
 * Contract variables set in the shell override wrangler.toml (STREAM=... npm start).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { CONFIG_VARIABLES } from "../src/lib/config/variables";
import { startBridge } from "./bridge/server";

/** Every configuration variable a shell may override; the REST endpoint is the bridge's. */
const OVERRIDABLE = CONFIG_VARIABLES.map((v) => v.name).filter((n) => !n.startsWith("UPSTASH_"));

const log = (e: Record<string, unknown>) =>
  console.log(JSON.stringify({ at: new Date().toISOString(), ...e }));
const token = process.env.BRIDGE_TOKEN || randomBytes(16).toString("hex");
const bridge = await startBridge({
  redisUrl: process.env.REDIS_URL || "redis://127.0.0.1:6379",
  token,
  port: Number(process.env.BRIDGE_PORT || 8079),
  latencyMs: Number(process.env.BRIDGE_LATENCY_MS || 0),
  faultRate: Number(process.env.BRIDGE_FAULT_RATE || 0),
  log,
});

const vars: Record<string, string> = {
  UPSTASH_REDIS_REST_URL: bridge.url,
  UPSTASH_REDIS_REST_TOKEN: token,
};
for (const name of OVERRIDABLE) {
  const value = process.env[name];
  if (value !== undefined) {
    vars[name] = value;
  }
}
const port = process.env.PORT || "8787";
const args = ["wrangler", "dev", "--test-scheduled", "--ip", "127.0.0.1", "--port", port];
for (const [name, value] of Object.entries(vars)) {
  args.push("--var", `${name}:${value}`);
}
log({
  event: "wrangler_starting",
  url: `http://127.0.0.1:${port}`,
  overrides: Object.keys(vars).filter((n) => !n.startsWith("UPSTASH") && n !== "ADMIN_TOKEN"),
});
const child = spawn("npx", args, {
  stdio: "inherit",
  env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
});
const stop = () => {
  child.kill("SIGINT");
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
child.on("exit", (code) => {
  bridge.close().finally(() => process.exit(code ?? 0));
});
