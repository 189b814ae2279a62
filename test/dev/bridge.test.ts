/**
 * @module `npm run bridge` (dev/bridge.ts) as a user runs it: the `upstash` profile unless told
 * otherwise, its stats behind the token, and a bad setting refused at start with one line.
 */
import { randomBytes } from "node:crypto";
import { afterEach, expect, it } from "vitest";
import { sleep } from "../helpers/sleep";
import { cleanup, lines, logged, type Started, spawnScript } from "./spawn";

let run: Started | undefined;
afterEach(() => cleanup(run), 30_000);

/** `npm run bridge`'s program, through npx and tsx, on a free port. */
const bridge = (env: Record<string, string>): Started =>
  spawnScript("dev/bridge.ts", { BRIDGE_PORT: "0", ...env });

/** The `bridge_started` line, once it is out; throws if the program ended first. */
async function started(current: Started): Promise<Record<string, unknown>> {
  let ended = false;
  void current.exited.then(() => {
    ended = true;
  });
  for (;;) {
    const line = logged(current, "bridge_started");
    if (line !== undefined) {
      return line;
    }
    if (ended) {
      throw new Error(`the bridge ended before it started:\n${current.output()}`);
    }
    await sleep(100);
  }
}

it("starts with the upstash profile, logs it, and answers its stats only with the token", async () => {
  const token = `t-${randomBytes(8).toString("hex")}`;
  run = bridge({ BRIDGE_TOKEN: token });
  const line = await started(run);
  expect(line).toMatchObject({ profile: "upstash", maxRequestBytes: 10_485_760, pelLimit: 1000 });
  const stats = `${String(line.url)}/__bridge/stats`;
  expect((await fetch(stats)).status).toBe(401);
  const res = await fetch(stats, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ requests: 0, faults: 0, faultsAfter: 0 });
  expect(run.output()).not.toContain(token);
}, 30_000);

it("takes the redis profile, the request-size cap and the lost-reply rate from the environment", async () => {
  run = bridge({
    BRIDGE_PROFILE: "redis",
    BRIDGE_MAX_REQUEST_BYTES: "2048",
    BRIDGE_FAULT_AFTER_RATE: "0.25",
  });
  const line = await started(run);
  expect(line).toMatchObject({ profile: "redis", maxRequestBytes: 2048, faultAfterRate: 0.25 });
  expect(line).not.toHaveProperty("pelLimit");
}, 30_000);

it.each([
  ["BRIDGE_FAULT_RATE", "abc"],
  ["BRIDGE_FAULT_AFTER_RATE", "abc"],
  ["BRIDGE_FAULT_AFTER_RATE", "1.5"],
  ["BRIDGE_PROFILE", "Upstash"],
  ["BRIDGE_MAX_REQUEST_BYTES", "10MB"],
  ["BRIDGE_MAX_REQUEST_BYTES", "0"],
])(
  "refuses %s=%s with one line naming the variable and exit code 2",
  async (variable, value) => {
    run = bridge({ [variable]: value });
    expect(await run.exited).toBe(2);
    await run.closed;
    const output = lines(run);
    expect(output).toHaveLength(1);
    expect(JSON.parse(output[0] ?? "")).toMatchObject({
      event: "bridge_config_invalid",
      variable,
      value,
    });
    expect(run.output()).not.toMatch(/^ {4}at /m);
  },
  30_000,
);
