/** @module `npm run bridge`: the local Upstash REST bridge, configured by env. */
import { startBridge } from "./bridge/server";

function numberEnv(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > max) {
    console.error(
      JSON.stringify({
        event: "bridge_config_invalid",
        variable: name,
        value: raw,
        expected: `a number between 0 and ${max}`,
      }),
    );
    process.exit(2);
  }
  return value;
}

const bridge = await startBridge({
  redisUrl: process.env.REDIS_URL || "redis://127.0.0.1:6379",
  token: process.env.BRIDGE_TOKEN || "dev-token",
  host: process.env.BRIDGE_HOST || "127.0.0.1",
  port: numberEnv("BRIDGE_PORT", 8079, 65535),
  latencyMs: numberEnv("BRIDGE_LATENCY_MS", 0, 60_000),
  faultRate: numberEnv("BRIDGE_FAULT_RATE", 0, 1),
  poolSize: numberEnv("BRIDGE_POOL_SIZE", 4, 64) || 4,
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    bridge.close().finally(() => process.exit(0));
  });
}
