/** @module Pure trim bounds: the lowest id some group still needs, and where `maxlen:N` may cut. */
import { compareStreamIds } from "../replies/index";
import { nextStreamId } from "../sweep/cursor";

/** What one group still needs: ids at or above its bound are pending or not yet read. */
export type GroupPosition = { lastDeliveredId: string; oldestPendingId: string | null };

/** Why a group needs its lowest id: an entry still pending, or the next one it has not read. */
export type NeedReason = "pending" | "undelivered";

/**
 * Why `maxlen:N` kept entries beyond the newest N: a group still needs them (`pending`,
 * `undelivered`), or the stream has no group, so nothing is known to be done with.
 */
export type HeldReason = NeedReason | "no_group";

/** The lowest id some group needs, the group (the one furthest behind) and why. */
export type Need<G extends GroupPosition = GroupPosition> = {
  id: string;
  group: G;
  reason: NeedReason;
};

/**
 * The group furthest behind and the lowest id it needs, or `null` when there is no group.
 * Per group: its oldest pending id, else the id right after its last-delivered-id; the
 * lower of the two, since `XGROUP SETID` can move last-delivered-id below entries still
 * pending. A group that never read has last-delivered-id `0-0` (created at `0`) or the
 * stream's top when created (`$`): both right, as entries below a `$` start were never meant
 * for it. `entries-read` and `lag` are not used: they are null after XDEL and say nothing
 * about ids.
 */
export function lowestNeed<G extends GroupPosition>(groups: G[]): Need<G> | null {
  let lowest: Need<G> | null = null;
  for (const group of groups) {
    const afterDelivered = nextStreamId(group.lastDeliveredId);
    const pending = group.oldestPendingId;
    const own: Need<G> =
      pending !== null && compareStreamIds(pending, afterDelivered) < 0
        ? { id: pending, group, reason: "pending" }
        : { id: afterDelivered, group, reason: "undelivered" };
    if (lowest === null || compareStreamIds(own.id, lowest.id) < 0) {
      lowest = own;
    }
  }
  return lowest;
}

/**
 * The lowest id some group still needs (see {@link lowestNeed}), or `null` when there is no
 * group (nothing is known to be done with, so nothing may go).
 */
export function ackedTrimBound(groups: GroupPosition[]): string | null {
  return lowestNeed(groups)?.id ?? null;
}

/** A read of the stream's ends: `XRANGE - + COUNT n` (`oldest`) or `XREVRANGE + - COUNT n`. */
export type EndRange = { from: "oldest" | "newest"; count: number };

/**
 * The range whose last entry is the `n`th newest of `length` entries (`length > n`), read
 * from the shorter side: the oldest `length - n + 1` when few entries are beyond N (a sweep
 * after a sweep), else the newest `n`. The reply carries whole entries, so this keeps it at
 * `min(n, length - n + 1)` of them.
 */
export function nthNewestRange(length: number, n: number): EndRange {
  const fromOldest = length - n + 1;
  return fromOldest < n ? { from: "oldest", count: fromOldest } : { from: "newest", count: n };
}

/**
 * Where `maxlen:N` cuts: the lower of the `n`th newest id and the lowest id a group needs;
 * `held` when the group's need is the lower one (entries beyond N stay for it).
 */
export function maxLenMinId(
  nthNewestId: string,
  need: Pick<Need, "id">,
): { minId: string; held: boolean } {
  return compareStreamIds(need.id, nthNewestId) < 0
    ? { minId: need.id, held: true }
    : { minId: nthNewestId, held: false };
}
