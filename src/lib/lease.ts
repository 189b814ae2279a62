/** @module Keeps a slow handler's entry from looking abandoned while it is still running. */
import type { Redis } from "@upstash/redis";
import { RedisCommandError } from "./errors";
import { counted, type RequestCounter } from "./requests";

export type LeaseRedis = Pick<Redis, "exec">;

export type LeaseOptions = {
  redis: LeaseRedis;
  stream: string;
  group: string;
  consumer: string;
  /** A held entry is re-claimed once it has gone this long without one. */
  leaseMs: number;
  counter: RequestCounter;
  /** Asked before each renewal: false when the request budget is spent. */
  mayRequest: () => boolean;
  onRenew?: (ids: string[]) => void;
  onError?: (error: RedisCommandError) => void;
};

/**
 * While a handler runs, its entry's idle time grows; at MIN_IDLE_MS the sweep would hand
 * it to another consumer. Every `leaseMs` the entries still held are re-claimed by their
 * own consumer with `XCLAIM ... JUSTID`, which resets idle time without touching the
 * delivery counter, all ids in one request.
 * @see https://redis.io/commands/xclaim
 */
export class Lease {
  private readonly held = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private busy = false;

  constructor(private readonly options: LeaseOptions) {}

  hold(id: string): void {
    this.held.set(id, Date.now());
    this.timer ??= setInterval(() => void this.renew(), Math.max(5, this.options.leaseMs / 4));
  }

  release(id: string): void {
    this.held.delete(id);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async renew(): Promise<void> {
    const now = Date.now();
    const due = [...this.held].filter(([, since]) => now - since >= this.options.leaseMs);
    if (this.busy || due.length === 0 || !this.options.mayRequest()) {
      return;
    }
    this.busy = true;
    const ids = due.map(([id]) => id);
    const { redis, stream, group, consumer } = this.options;
    try {
      await counted(
        this.options.counter,
        redis.exec(["XCLAIM", stream, group, consumer, "0", ...ids, "JUSTID"]),
      );
      for (const id of ids) {
        if (this.held.has(id)) {
          this.held.set(id, now);
        }
      }
      this.options.onRenew?.(ids);
    } catch (e) {
      this.options.onError?.(RedisCommandError.from("XCLAIM", e));
    } finally {
      this.busy = false;
    }
  }
}
