/** @module Builds every Redis key name the worker uses, in one place. */

/** Which stream and which of its consumer groups a call is about. */
export type StreamGroup = { stream: string; group: string };

/** Key names of one stream + group pair. */
export type StreamKeys = {
  /** The stream itself. */
  stream: string;
  /** The dead-letter stream. */
  dlq: string;
  /** Where the sweep stores the PEL position it stopped at. */
  sweepCursor: string;
  /**
   * Hash about the group: where it started when this package created it (`start_id`,
   * `started_after`, `created_at`), where a recreation resumes (`resume_after`, `resume_at`,
   * written by each sweep) and the last recreation (`recreated_after`, `recreated_at`).
   */
  groupStart: string;
  /** Hash: entry id → handler runs that failed, while the entry is pending. */
  failures: string;
  /** Sorted set of running drains: consumer name → when its slot expires (the fan-out limit). */
  drains: string;
  /** Idempotency marker of one entry id. */
  done(id: string): string;
  /**
   * What `publish()` remembers of one idempotency key: the id the message was added under.
   * It belongs to the stream, whatever the group.
   */
  publishKey(key: string): string;
  /**
   * Sorted set of messages sent with a delay: each member a message's field pairs (JSON),
   * scored by when it is due; moved into the stream once due. It belongs to the stream.
   */
  delayed: string;
  /**
   * List of the group's snapshots, one a minute, newest first: each a line
   * `t length backlog pending dlq read acked failed dead jobs` (`src/lib/history/`).
   */
  history: string;
  /** Hash: `drain` / `sweep` → the last such job's record (JSON), for the dashboard. */
  lastJobs: string;
};

/**
 * Key names for a stream and group.
 * @param stream stream key
 * @param group consumer group name
 * @param dlqStream dead-letter stream; defaults to `${stream}:dlq` (also when empty)
 */
export function streamKeys(stream: string, group: string, dlqStream?: string): StreamKeys {
  return {
    stream,
    dlq: dlqStream || `${stream}:dlq`,
    sweepCursor: `${stream}:${group}:sweep-cursor`,
    groupStart: `${stream}:${group}:group-start`,
    failures: `${stream}:${group}:failures`,
    drains: `${stream}:${group}:drains`,
    done: (id: string) => `${stream}:${group}:done:${id}`,
    publishKey: (key: string) => `${stream}:publish:${key}`,
    delayed: `${stream}:delayed`,
    history: `${stream}:${group}:history`,
    lastJobs: `${stream}:${group}:last-jobs`,
  };
}
