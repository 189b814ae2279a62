/** @module Shared setup of the sweep suites: a PEL built and aged through a direct connection. */
import { beforeEach } from "vitest";
import type { MessageHandler, StreamMessage } from "../../src/lib/handling/message";
import { type SweepOptions, type SweepRedis, sweep } from "../../src/lib/index";
import { type Direct, upstash, useKeyspace } from "./redis";

/** Short enough to keep tests fast; entries are aged with XCLAIM IDLE, never by sleeping. */
export const MIN_IDLE_MS = 1000;
export const GROUP = "g";
export const DRAIN = "cron-1-drain";

export type Fixture = {
  readonly d: Direct;
  /** The current test's stream, with GROUP created at `$`. */
  readonly stream: string;
  readonly dlq: string;
  readonly redis: SweepRedis;
  /**
   * Adds entries, reads them into DRAIN's PEL (delivery 1) and records that run as failed,
   * as the drain does when its handler throws.
   */
  pending(fields: Record<string, string>[]): Promise<string[]>;
  /** Sets the recorded count of failed handler runs of `ids`. */
  failures(ids: string[], runs: number): Promise<void>;
  /** Sets idle time (and optionally the delivery counter) without counting a delivery. */
  age(ids: string[], idleMs: number, deliveries?: number): Promise<void>;
  /** The PEL as [id, consumer, idle, deliveries] rows. */
  pel(): Promise<[string, string, number, number][]>;
  run(overrides?: Partial<SweepOptions>): ReturnType<typeof sweep>;
};

/** Registers hooks (a keyspace per test, see useKeyspace) and returns the fixture. */
export function useFixture(label: string): Fixture {
  const ks = useKeyspace(label);
  const { d } = ks;
  const f: Fixture = {
    d,
    get stream() {
      return ks.key("orders");
    },
    get dlq() {
      return ks.key("orders:dlq");
    },
    redis: upstash(),
    pending: async (fields) => {
      const ids: string[] = [];
      for (const x of fields) {
        ids.push(String(await d.sendCommand(["XADD", f.stream, "*", ...Object.entries(x).flat()])));
      }
      await d.sendCommand(["XREADGROUP", "GROUP", GROUP, DRAIN, "STREAMS", f.stream, ">"]);
      await f.failures(ids, 1);
      return ids;
    },
    failures: async (ids, runs) => {
      const record = ids.flatMap((id) => [id, String(runs)]);
      await d.sendCommand(["HSET", `${f.stream}:${GROUP}:failures`, ...record]);
    },
    age: async (ids, idleMs, deliveries) => {
      const retry = deliveries === undefined ? [] : ["RETRYCOUNT", String(deliveries)];
      const cmd = ["XCLAIM", f.stream, GROUP, DRAIN, "0", ...ids, "IDLE", String(idleMs)];
      await d.sendCommand([...cmd, ...retry, "JUSTID"]);
    },
    pel: async () =>
      (await d.sendCommand(["XPENDING", f.stream, GROUP, "-", "+", "10000"])) as [
        string,
        string,
        number,
        number,
      ][],
    run: (overrides = {}) =>
      sweep({
        redis: f.redis,
        stream: f.stream,
        group: GROUP,
        consumer: "cron-2-sweep",
        handler: () => {},
        minIdleMs: MIN_IDLE_MS,
        maxDeliveries: 3,
        count: 100,
        timeBudgetMs: 20_000,
        dlqStream: f.dlq,
        consumerRetentionMs: 3_600_000,
        ...overrides,
      }),
  };
  beforeEach(async () => {
    await d.sendCommand(["XGROUP", "CREATE", f.stream, GROUP, "$", "MKSTREAM"]);
  });
  return f;
}

/** A handler that records what it saw and fails while `fail(message)` says so. */
export function recorder(fail: (m: StreamMessage) => boolean = () => false) {
  const seen: StreamMessage[] = [];
  const handler: MessageHandler = (m) => {
    seen.push(m);
    if (fail(m)) {
      throw new Error(`boom on ${m.id}`);
    }
  };
  return { seen, handler };
}
