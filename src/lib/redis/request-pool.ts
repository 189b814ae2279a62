/** @module One invocation's request budget shared fairly by runs side by side (one per stream). */
import { RequestBudget } from "./budget";

/**
 * Requests one invocation may send, shared by runs that go on at the same time: each run
 * draws from the whole pool, but never from what the other open runs are still guaranteed.
 * Every share is guaranteed `floor(max / parts)` requests; what a share does not use (a quiet
 * stream's drain ends after one read) goes to the shares still running. So a stream with a
 * large backlog takes what the others leave, and never what they need.
 * @example
 * ```ts
 * const pool = new RequestPool(1000, streams.length);
 * await Promise.all(streams.map(async (s) => {
 *   const budget = pool.share();
 *   try { await drain({ ...s, budget }); } finally { budget.close(); }
 * }));
 * ```
 */
export class RequestPool {
  /** Requests each share is guaranteed. */
  readonly floor: number;
  private readonly shares: PoolShare[] = [];

  /**
   * @param max requests of the whole pool
   * @param parts shares it will be split into: each is guaranteed `floor(max / parts)`
   */
  constructor(
    readonly max: number,
    readonly parts: number,
  ) {
    this.floor = Math.floor(max / Math.max(1, parts));
  }

  /** Requests sent so far by every share. */
  get used(): number {
    return this.shares.reduce((sum, s) => sum + s.used, 0);
  }

  /** A new share: a {@link RequestBudget} drawing from this pool. Close it when its run ends. */
  share(): PoolShare {
    const share = new PoolShare(this);
    this.shares.push(share);
    return share;
  }

  /**
   * Whether `share` may send `n` more without taking what another open share is owed: the
   * rest of its guarantee, or of what it was told fits if that is more (a drain that read on
   * keeping 2 requests back for its final ack must still have them at the end).
   */
  allows(share: PoolShare, n: number): boolean {
    let owed = 0;
    for (const other of this.shares) {
      if (other !== share && other.open) {
        owed += Math.max(0, Math.max(this.floor, other.promised) - other.used);
      }
    }
    return this.used + n + owed <= this.max;
  }
}

/** One run's share of a {@link RequestPool}; `max` is the pool's, `used` its own. */
export class PoolShare extends RequestBudget {
  /** Open while its run goes on: the pool keeps its guaranteed requests for it. */
  open = true;
  /**
   * The most requests in all it has been told fit (`used + n + reserve` of a `fits` answered
   * yes): the other shares leave it that many until it closes, so what a drain kept back for
   * its final ack (or a sweep for its tail) is there when it sends them, whatever the others
   * spent meanwhile.
   */
  promised = 0;

  constructor(private readonly pool: RequestPool) {
    super(pool.max);
  }

  /** Whether `n` more fit with `reserve` kept back; a yes keeps them for it from then on. */
  override fits(n: number, reserve = 0): boolean {
    const yes = this.pool.allows(this, n + reserve);
    if (yes) {
      this.promised = Math.max(this.promised, this.used + n + reserve);
    }
    return yes;
  }

  /** Its run ended: what it did not use of its guarantee goes to the others. */
  close(): void {
    this.open = false;
  }
}
