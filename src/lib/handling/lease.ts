/** @module Keeps a slow handler's entry from looking abandoned while it is still running. */
import { RedisCommandError } from "../errors";
import { LuaScript, type ScriptTarget } from "../redis/script";
import { LEASE_RENEW } from "../redis/scripts/lease-renew";

const RENEW = new LuaScript("lease-renew", LEASE_RENEW);

export type LeaseOptions = ScriptTarget & {
  consumer: string;
  /** A held entry is re-claimed once it has gone this long without one. */
  leaseMs: number;
  /** Asked before each renewal: false when one script run (`SCRIPT_MAX_REQUESTS`) no longer fits. */
  mayRequest: () => boolean;
  onRenew?: (ids: string[]) => void;
  /** Held ids another consumer claimed (or someone acked) before the renewal came. */
  onLost?: (ids: string[]) => void;
  onError?: (error: RedisCommandError) => void;
};

/**
 * While a handler runs, its entry's idle time grows; at MIN_IDLE_MS the sweep would hand
 * it to another consumer. Every `leaseMs` the entries still held are re-claimed by their
 * own consumer with `XCLAIM ... JUSTID`, which resets idle time without touching the
 * delivery counter, all ids in one script call. An entry a sweep claimed while the renewal
 * was late stays with the sweep (the handler's outcome is still acked or dead-lettered if
 * the entry is pending for this consumer; otherwise the sweep's run settles it).
 * @see https://redis.io/commands/xclaim
 */
export class Lease {
  private readonly held = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private busy = false;

  private consumer: string;

  constructor(private readonly options: LeaseOptions) {
    this.consumer = options.consumer;
  }

  /**
   * @param since when Redis last reset the entry's idle time, at the latest: the time the
   * read or claim request was sent, so a slow reply does not push the first renewal late.
   * @default Date.now()
   */
  hold(id: string, since = Date.now()): void {
    this.held.set(id, since);
    this.timer ??= setInterval(() => void this.renew(), Math.max(5, this.options.leaseMs / 4));
  }

  /**
   * Renews as `consumer` from now on: a drain that moved to a fresh consumer name. Entries
   * still held keep being renewed only if they are pending for the new name.
   */
  moveTo(consumer: string): void {
    this.consumer = consumer;
  }

  release(id: string): void {
    this.held.delete(id);
  }

  stop(): void {
    if (this.timer !== undefined) {
      clearInterval(this.timer);
    }
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
    const { redis, stream, group, budget } = this.options;
    const consumer = this.consumer;
    try {
      const kept = new Set(
        await RENEW.runForIds(redis, [stream], [group, consumer, ...ids], budget),
      );
      const lost = ids.filter((id) => !kept.has(id));
      for (const id of ids) {
        if (this.held.has(id)) {
          if (kept.has(id)) {
            this.held.set(id, now);
          } else {
            // Renewing it again would do nothing: the entry is someone else's now.
            this.held.delete(id);
          }
        }
      }
      if (kept.size > 0) {
        this.options.onRenew?.([...kept]);
      }
      if (lost.length > 0) {
        this.options.onLost?.(lost);
      }
    } catch (e) {
      // A missed renewal is not fatal: the next one tries again, and at worst the sweep
      // claims the entry (a duplicate run, never a loss). The caller logs it.
      this.options.onError?.(
        e instanceof RedisCommandError ? e : RedisCommandError.from("lease-renew", e),
      );
    } finally {
      this.busy = false;
    }
  }
}
