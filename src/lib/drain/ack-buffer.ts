/** @module The drain's acks waiting for a request: flushed alone, or riding on the next read. */

/** What one request takes from the buffer. */
export type AckBatch = {
  /** Ids to `XACK`. */
  ids: string[];
  /** Idempotency keys to mark done (`SET key 1 EX ttl`), written with the acks. */
  marks: string[];
  /** Ids whose handler failed, recorded in the failures hash for the sweep's count. */
  failed: string[];
  /** Of those, the ones whose handler asked for a delay: not to be retried before this time. */
  dueAt?: Record<string, number>;
};

/**
 * Successes since the last request. Acking costs no request of its own: the batch rides on
 * the next `XREADGROUP`, and whatever a failed request may not have applied comes back here
 * (acking twice is harmless, dropping an ack leaves a finished message to run again).
 */
export class AckBuffer {
  private ids: string[] = [];
  private marks: string[] = [];
  private failed: string[] = [];
  private dueAt: Record<string, number> = {};

  /** Buffers an ack, with the key that marks the id done when the idempotency guard is on. */
  add(id: string, mark?: string): void {
    this.ids.push(id);
    if (mark !== undefined) {
      this.marks.push(mark);
    }
  }

  /**
   * Buffers the record of a failed handler run: it stays pending, the sweep counts it, and
   * with `dueAt` delivers it again no earlier than that.
   */
  fail(id: string, dueAt?: number): void {
    this.failed.push(id);
    if (dueAt !== undefined) {
      this.dueAt[id] = dueAt;
    }
  }

  /** Whether nothing waits for a request. */
  get empty(): boolean {
    return this.ids.length === 0 && this.marks.length === 0 && this.failed.length === 0;
  }

  /** The ids whose ack waits for a request. */
  get waiting(): readonly string[] {
    return this.ids;
  }

  /** Takes everything buffered, for one request. */
  take(): AckBatch {
    const due = Object.keys(this.dueAt).length > 0 ? { dueAt: this.dueAt } : {};
    const batch = { ids: this.ids, marks: this.marks, failed: this.failed, ...due };
    this.ids = [];
    this.marks = [];
    this.failed = [];
    this.dueAt = {};
    return batch;
  }

  /** Puts back what a request may not have applied: acks, marks, failure records. */
  restore(batch: Partial<AckBatch>): void {
    this.ids.push(...(batch.ids ?? []));
    this.marks.push(...(batch.marks ?? []));
    this.failed.push(...(batch.failed ?? []));
    Object.assign(this.dueAt, batch.dueAt ?? {});
  }
}
