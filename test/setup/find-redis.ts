/** @module Finds a Redis for the tests: REDIS_URL, else 127.0.0.1:6379, else one we start. */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { createClient } from "redis";
import { sleep } from "../helpers/sleep";

export type FoundRedis = { url: string; stop: () => Promise<void>; owned: boolean };

/** Whether a Redis at `url` answers PING within `connectTimeout` ms. */
export async function answers(url: string, connectTimeout = 1000): Promise<boolean> {
  const client = createClient({
    url,
    RESP: 2,
    socket: { connectTimeout, reconnectStrategy: false },
  });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

/** Starts a throwaway redis-server (no persistence) on a free port. */
export async function startRedisServer(port?: number): Promise<FoundRedis> {
  const p = port ?? (await freePort());
  const child = spawn(
    "redis-server",
    ["--bind", "127.0.0.1", "--port", String(p), "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const spawnFailed = new Promise<never>((_, reject) => child.once("error", reject));
  const url = `redis://127.0.0.1:${p}`;
  const deadline = Date.now() + 5000;
  while (!(await Promise.race([answers(url), spawnFailed]))) {
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`redis-server did not answer on ${url} within 5 s`);
    }
    await sleep(50);
  }
  return {
    url,
    owned: true,
    stop: async () => {
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
    },
  };
}

export async function findRedis(): Promise<FoundRedis> {
  const noop = async () => {};
  if (process.env.REDIS_URL) {
    if (await answers(process.env.REDIS_URL)) {
      return { url: process.env.REDIS_URL, stop: noop, owned: false };
    }
    throw new Error(`REDIS_URL=${process.env.REDIS_URL} does not answer PING`);
  }
  const local = "redis://127.0.0.1:6379";
  if (await answers(local)) {
    return { url: local, stop: noop, owned: false };
  }
  try {
    return await startRedisServer();
  } catch (e) {
    throw new Error(
      "No Redis for the tests: nothing answers on 127.0.0.1:6379, REDIS_URL is unset and " +
        "redis-server could not be started. Start one with: redis-server --daemonize yes " +
        '--bind 127.0.0.1 --port 6379 --save "" --appendonly no',
      { cause: e },
    );
  }
}
