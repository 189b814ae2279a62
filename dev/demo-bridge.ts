/** @module The bridge a demo runs against: a fresh token, a free port, Upstash's limits. */
import { randomBytes } from "node:crypto";
import { type Bridge, startBridge } from "./bridge/server";

/**
 * Starts the bridge in front of REDIS_URL (default the local Redis) with the `upstash`
 * profile, what users run: Upstash's per-consumer PEL limit, request size and 6.2-level replies.
 */
export async function startDemoBridge(): Promise<{ bridge: Bridge; token: string }> {
  const token = randomBytes(16).toString("hex");
  const bridge = await startBridge({
    redisUrl: process.env.REDIS_URL || "redis://127.0.0.1:6379",
    token,
    port: 0,
    profile: "upstash",
    log: () => {},
  });
  return { bridge, token };
}
