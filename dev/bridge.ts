/** @module `npm run bridge`: the local Upstash REST bridge, configured by env. */
import { startBridge } from "./bridge/server";
import { bridgeSettings, numberEnv } from "./start/env";
import { watchLaunchers } from "./start/launcher";
import { ensurePortsFree } from "./start/ports";

const INVALID = "bridge_config_invalid";

const settings = bridgeSettings(INVALID);
await ensurePortsFree([{ port: settings.port, variable: "BRIDGE_PORT" }], "npm run bridge");
const bridge = await startBridge({
  redisUrl: process.env.REDIS_URL || "redis://127.0.0.1:6379",
  token: process.env.BRIDGE_TOKEN || "dev-token",
  host: process.env.BRIDGE_HOST || "127.0.0.1",
  ...settings,
  // 0 keeps the default, as it always has.
  poolSize: numberEnv("BRIDGE_POOL_SIZE", { fallback: 4, max: 64, integer: true }, INVALID) || 4,
});

const stop = () => {
  bridge.close().finally(() => process.exit(0));
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, stop);
}
// A SIGTERM to `npm run bridge` ends npm's shell, not this process (see launcher.ts).
watchLaunchers(stop);
