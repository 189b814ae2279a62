/** @module Slots of running drains, held in Redis with an expiry: the fan-out's global limit. */
import { streamKeys } from "../redis/keys";
import { LuaScript, type ScriptTarget } from "../redis/script";
import { DRAIN_SLOTS } from "../redis/scripts/drain-slots";
import { asInteger } from "../replies/shape";

const SLOTS = new LuaScript("drain-slots", DRAIN_SLOTS);

export type SlotOptions = ScriptTarget & {
  /** The drain's consumer name: one slot per running drain. */
  consumer: string;
  /** @default Date.now() */
  now?: number;
};

async function call(o: ScriptTarget & { now?: number }, args: string[]): Promise<number> {
  const key = streamKeys(o.stream, o.group).drains;
  const now = String(o.now ?? Date.now());
  const [op = "", ...rest] = args;
  return asInteger(
    await SLOTS.run(o.redis, [key], [op, now, ...rest], o.budget),
    "drain-slots reply",
  );
}

/**
 * Takes a slot for `consumer` until `expiresAt`, unless `max` live slots exist already; a slot
 * it holds is extended. Expired slots are dropped first, so an invocation killed mid-drain
 * frees its slot at its expiry. One script run.
 * @returns whether the slot is held
 * @see https://redis.io/commands/zadd
 */
export async function takeSlot(
  o: SlotOptions & { expiresAt: number; max: number },
): Promise<boolean> {
  return (await call(o, ["take", o.consumer, String(o.expiresAt), String(o.max)])) === 1;
}

/** Extends a held slot to `expiresAt`. @returns false when the slot had expired meanwhile */
export async function renewSlot(o: SlotOptions & { expiresAt: number }): Promise<boolean> {
  return (await call(o, ["renew", o.consumer, String(o.expiresAt)])) === 1;
}

/** Frees `consumer`'s slot. @returns false when it held none (expired, or never taken) */
export async function releaseSlot(o: SlotOptions): Promise<boolean> {
  return (await call(o, ["release", o.consumer])) === 1;
}

/** Live slots: drains running now on the stream's group, across all invocations. */
export function countSlots(o: ScriptTarget & { now?: number }): Promise<number> {
  return call(o, ["count"]);
}
