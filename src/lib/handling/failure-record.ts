/**
 * @module A message's record in the failures hash: its failed handler runs, and when its
 * next delivery is due if a retry asked for a delay.
 */

/** Failed runs of one pending entry, and the earliest time (ms) the sweep may deliver it again. */
export type FailureRecord = { count: number; dueAt: number | null };

/**
 * The hash value of a record: `"2"`, or `"2@1795739000000"` when a retry asked not to be
 * delivered before that time. One value per id, so the records are deleted as they always
 * were (with the ack, or the move to the dead-letter stream).
 */
export function failureValue(count: number, dueAt?: number | null): string {
  return dueAt === undefined || dueAt === null ? String(count) : `${count}@${dueAt}`;
}

const RECORD = /^(\d+)(?:@(\d+))?$/;

/** Reads {@link failureValue}'s form back; `null` for a value of another form. */
export function readFailureValue(value: string): FailureRecord | null {
  const match = RECORD.exec(value);
  if (!match) {
    return null;
  }
  const count = Number(match[1]);
  const dueAt = match[2] === undefined ? null : Number(match[2]);
  if (!Number.isSafeInteger(count) || (dueAt !== null && !Number.isSafeInteger(dueAt))) {
    return null;
  }
  return { count, dueAt };
}
