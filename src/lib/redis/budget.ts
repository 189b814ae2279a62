/** @module The request budget of one drain or sweep: every Upstash HTTP request is a subrequest. */

/**
 * Counts the requests one invocation sends against a cap (Cloudflare caps subrequests per
 * invocation: 50 on the Free plan, 1,000 on paid plans). Every request is counted whether it
 * succeeds or not: a failed fetch used the subrequest all the same.
 */
export class RequestBudget {
  /** Requests sent so far. */
  used = 0;

  /** @param max most requests allowed; unlimited when omitted (one-off admin calls). */
  constructor(readonly max: number = Number.POSITIVE_INFINITY) {}

  /** Whether `n` more requests fit, with `reserve` kept back for what must run last. */
  fits(n: number, reserve = 0): boolean {
    return this.used + n + reserve <= this.max;
  }

  /** Records one request. Called by the call layer only, never around a request by hand. */
  spend(): void {
    this.used++;
  }
}
