/** @module The drain's acks waiting for a request: flushed alone, or riding on the next read. */

/** What one request takes from the buffer. */
export type AckBatch = {
  /** Ids to `XACK`. */
  ids: string[];
  /** Idempotency keys to mark done (`SET key 1 EX ttl`), written with the acks. */
  marks: string[];
};

/**
 * Successes since the last request. Acking costs no request of its own: the batch rides on
 * the next `XREADGROUP`, and whatever a failed request may not have applied comes back here
 * (acking twice is harmless, dropping an ack leaves a finished message to run again).
 */
export class AckBuffer {
  private ids: string[] = [];
  private marks: string[] = [];

  /** Buffers an ack, with the key that marks the id done when the idempotency guard is on. */
  add(id: string, mark?: string): void {
    this.ids.push(id);
    if (mark !== undefined) {
      this.marks.push(mark);
    }
  }

  /** Takes everything buffered, for one request. */
  take(): AckBatch {
    const batch = { ids: this.ids, marks: this.marks };
    this.ids = [];
    this.marks = [];
    return batch;
  }

  /** Puts back acks (and marks) of a batch whose request may not have applied them. */
  restore(batch: Partial<AckBatch>): void {
    this.ids.push(...(batch.ids ?? []));
    this.marks.push(...(batch.marks ?? []));
  }
}
