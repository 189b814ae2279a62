import { describe, expect, it } from "vitest";
import { RequestPool } from "../../src/lib/redis/request-pool";

/** Spends from `share` while it fits, up to `n`; returns how many it spent. */
function spend(share: { fits(n: number): boolean; spend(): void }, n: number): number {
  let spent = 0;
  while (spent < n && share.fits(1)) {
    share.spend();
    spent++;
  }
  return spent;
}

describe("RequestPool", () => {
  it("guarantees each share an equal part, whatever the others spend first", () => {
    const pool = new RequestPool(30, 3);
    const [busy, quiet, other] = [pool.share(), pool.share(), pool.share()];
    expect(spend(busy, 1000)).toBe(10);
    expect(spend(quiet, 1000)).toBe(10);
    expect(spend(other, 1000)).toBe(10);
  });

  it("gives what a closed share left unused to the shares still open", () => {
    const pool = new RequestPool(30, 3);
    const [busy, quiet, other] = [pool.share(), pool.share(), pool.share()];
    spend(quiet, 2);
    quiet.close();
    expect(spend(busy, 1000)).toBe(18);
    expect(spend(other, 1000)).toBe(10);
    expect(pool.used).toBe(30);
  });

  it("never lets the shares together pass the pool's max", () => {
    const pool = new RequestPool(25, 2);
    const [a, b] = [pool.share(), pool.share()];
    spend(a, 5);
    spend(b, 5);
    a.close();
    b.close();
    expect(spend(a, 1000) + spend(b, 1000)).toBe(15);
    expect(pool.used).toBe(25);
  });

  it("keeps a share's reserve within its own part", () => {
    const pool = new RequestPool(20, 2);
    const [a] = [pool.share(), pool.share()];
    spend(a, 8);
    expect(a.fits(1, 1)).toBe(true);
    expect(a.fits(1, 2)).toBe(false);
  });

  it("counts each share's own requests in its used", () => {
    const pool = new RequestPool(20, 2);
    const [a, b] = [pool.share(), pool.share()];
    spend(a, 3);
    spend(b, 4);
    expect([a.used, b.used, pool.used]).toEqual([3, 4, 7]);
  });

  it("keeps the reserve a share read on with for it, whatever the others spend after", () => {
    const pool = new RequestPool(21, 3);
    const [busy, quiet, late] = [pool.share(), pool.share(), pool.share()];
    spend(quiet, 1);
    quiet.close();
    // Busy reads past its part on what quiet left, only while 2 are left for its final ack...
    while (busy.fits(1, 2)) {
      busy.spend();
    }
    expect(busy.used).toBe(11);
    // ...and those 2 are still there once the late one has spent all it could.
    expect(spend(late, 1000)).toBe(7);
    expect(spend(busy, 1000)).toBe(2);
  });
});
