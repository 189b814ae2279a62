/**
 * @module `npm start` (dev/start.ts) as a user runs it, through npx and tsx: it comes up with
 * the bridge in front of Redis, keeps secrets off every command line, needs no network, and a
 * SIGTERM to the top process stops everything it started.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useKeyspace } from "../helpers/redis";
import { sleep } from "../helpers/sleep";
import { cleanup, lines, logged, type Started, spawnScript } from "./spawn";

/** `npm start`'s program, through npx and tsx. */
const start = (env: Record<string, string>): Started => spawnScript("dev/start.ts", env);

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") {
    throw new Error("no port");
  }
  return address.port;
}

/** True when this test can listen on 127.0.0.1:`port` (and it is released again). */
async function canListen(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** The command line of every running process (Linux /proc). */
function commandLines(): string[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .flatMap((pid) => {
      try {
        return [readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ")];
      } catch {
        return []; // Exited meanwhile.
      }
    });
}

/** Waits for `GET url` to answer 200, failing early if the program ended. */
async function waitHealthy(url: string, run: Started, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  let ended = false;
  void run.exited.then(() => {
    ended = true;
  });
  while (Date.now() < deadline && !ended) {
    const status = await fetch(url).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) {
      return;
    }
    await sleep(250);
  }
  throw new Error(`${url} never answered 200; output:\n${run.output()}`);
}

describe("npm start", () => {
  const ks = useKeyspace("start", { scope: "suite" });
  const bridgeToken = `bridge-${randomBytes(12).toString("hex")}`;
  const adminToken = `admin-${randomBytes(12).toString("hex")}`;
  const stream = ks.key("orders");
  let ports = { bridge: 0, worker: 0 };
  let run: Started | undefined;

  beforeAll(async () => {
    ports = { bridge: await freePort(), worker: await freePort() };
    run = start({
      BRIDGE_PORT: String(ports.bridge),
      PORT: String(ports.worker),
      BRIDGE_TOKEN: bridgeToken,
      ADMIN_TOKEN: adminToken,
      STREAM: stream,
    });
    await waitHealthy(`http://127.0.0.1:${ports.worker}/health`, run, 50_000);
  }, 60_000);
  afterAll(() => cleanup(run), 30_000);

  it("hands the Worker its variables and secrets through a 0600 file, on no command line", async () => {
    const res = await fetch(`http://127.0.0.1:${ports.worker}/stats`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { stream: { key: string } }).stream.key).toBe(stream);
    const leaks = commandLines().filter((c) => c.includes(bridgeToken) || c.includes(adminToken));
    expect(leaks).toEqual([]);
    const envFile = String(logged(run as Started, "wrangler_starting")?.envFile);
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    expect(run?.output()).not.toContain(adminToken);
    expect(run?.output()).not.toContain(bridgeToken);
  });

  it("runs the bridge with the upstash profile when BRIDGE_PROFILE is unset", () => {
    expect(logged(run as Started, "bridge_started")).toMatchObject({
      profile: "upstash",
      maxRequestBytes: 10 * 1024 * 1024,
      pelLimit: 1000,
    });
  });

  it("starts without the network: no Request.cf fetch, no update check", () => {
    const output = run?.output() ?? "";
    expect(output).not.toContain("ENOTFOUND");
    expect(output).not.toContain("Request.cf");
    expect(output).not.toContain("update available");
  });

  it("stops the bridge, wrangler and its env file within 10 s of a SIGTERM to the top process", async () => {
    const current = run as Started;
    const envFile = String(logged(current, "wrangler_starting")?.envFile);
    current.child.kill("SIGTERM");
    const inTime = await Promise.race([current.closed.then(() => true), sleep(10_000)]);
    expect(inTime, current.output()).toBe(true);
    expect(logged(current, "stopped")).toMatchObject({ event: "stopped", code: 0 });
    expect(await canListen(ports.bridge)).toBe(true);
    expect(await canListen(ports.worker)).toBe(true);
    expect(existsSync(envFile)).toBe(false);
  }, 30_000);
});

it("refuses a taken port with one line naming it and the variable that moves it", async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  const port = (taken.address() as { port: number }).port;
  const run = start({ PORT: String(port), BRIDGE_PORT: String(await freePort()) });
  try {
    expect(await run.exited).toBe(2);
    await run.closed;
    const output = lines(run);
    expect(output).toHaveLength(1);
    expect(JSON.parse(output[0] ?? "")).toMatchObject({
      event: "port_in_use",
      port,
      variable: "PORT",
    });
    expect(output[0]).toContain(`PORT=${port + 1} npm start`);
    expect(run.output()).not.toMatch(/^ {4}at /m);
  } finally {
    await new Promise((resolve) => taken.close(resolve));
    await cleanup(run);
  }
}, 30_000);

it.each([
  ["BRIDGE_PROFILE", "upstash-ish"],
  ["BRIDGE_FAULT_AFTER_RATE", "abc"],
])(
  "refuses %s=%s with one line naming the variable, before starting anything",
  async (variable, value) => {
    const run = start({ [variable]: value, BRIDGE_PORT: "0", PORT: String(await freePort()) });
    try {
      expect(await run.exited).toBe(2);
      await run.closed;
      const output = lines(run);
      expect(output).toHaveLength(1);
      expect(JSON.parse(output[0] ?? "")).toMatchObject({
        event: "start_config_invalid",
        variable,
        value,
      });
    } finally {
      await cleanup(run);
    }
  },
  30_000,
);
