/** @module How many more drains a backlog calls for, and the request shares: pure arithmetic. */
import { SCRIPT_MAX_REQUESTS } from "../redis/script";

/** What one drain knows when it decides whether to ask for help. */
export type FanOutInput = {
  /** Entries the group has not been delivered yet (an estimate, capped). */
  backlog: number;
  /** Messages this drain has read so far ... */
  readSoFar: number;
  /** ... in this many ms: its observed rate is readSoFar / elapsedMs. */
  elapsedMs: number;
  /** Time this drain has left before its budget ends. */
  remainingMs: number;
  /**
   * New entries per ms arriving meanwhile (from how the backlog moved between two estimates,
   * counting what the drains read); 0 when unknown. They must be cleared too. @default 0
   */
  arrivalRate?: number;
  /** Drains running now on the group, across all invocations (the live slots). */
  liveSlots: number;
  /** MAX_PARALLEL_DRAINS: the most drains at once. */
  maxDrains: number;
};

/**
 * More drains to start so the backlog is cleared within this drain's remaining time, assuming
 * each clears it at this drain's observed rate: `min(ceil(backlog / (rate × remainingMs)),
 * maxDrains) − liveSlots`, never below 0. The drains already running count as helpers (with
 * this drain alone that is `ceil(...) − 1`); this drain counts as running even without a slot.
 * Without a rate (nothing read yet) there is no evidence it is behind, and with no time left
 * none is started: helpers run for the time this drain has left.
 */
export function planFanOut(i: FanOutInput): number {
  if (i.backlog <= 0 || i.readSoFar <= 0 || i.remainingMs <= 0) {
    return 0;
  }
  // A drain under 1 ms old still has a rate: an upper bound, so it asks for less, not more.
  const rate = i.readSoFar / Math.max(i.elapsedMs, 1);
  const demand = i.backlog + (i.arrivalRate ?? 0) * i.remainingMs;
  const needed = Math.ceil(demand / (rate * i.remainingMs));
  const running = Math.max(i.liveSlots, 1);
  return Math.max(0, Math.min(needed, i.maxDrains) - running);
}

/**
 * New entries per ms between two estimates: the backlog's change plus what was read in
 * between (by this drain; helpers' reads make it an underestimate, never an overestimate).
 */
export function arrivalRate(
  prev: { backlog: number; readSoFar: number; at: number },
  now: { backlog: number; readSoFar: number; at: number },
): number {
  const dt = now.at - prev.at;
  if (dt <= 0) {
    return 0;
  }
  return Math.max(0, (now.backlog - prev.backlog + (now.readSoFar - prev.readSoFar)) / dt);
}

/**
 * Most drains one invocation runs itself when it has no `SELF` binding. Cloudflare lets an
 * invocation wait on 6 outgoing connections at once; a drain has one request out at a time,
 * plus at times a lease renewal beside it: 3 drains × 2 = 6. (Handler fetches, a webhook's,
 * come on top and queue like any other.)
 */
export const IN_PROCESS_MAX_DRAINS = 3;

/** Requests the controller of a drain may send: about one estimate per 2 s of a long drain. */
const MAX_FANOUT_REQUESTS = 100;

/** How one invocation's MAX_REQUESTS is split so that the total never passes it. */
export type RequestShares = {
  /** The invocation's own drain, its slot calls included. */
  drain: number;
  /** The controller's backlog estimates and slot counts. */
  fanOut: number;
  /** Extra drains this invocation may start over its life (0: fan-out off). */
  starts: number;
  /**
   * Each in-process extra drain's share, its slot take and release included (0 with
   * `SELF`: an extra drain is an invocation of its own, with its own budget).
   */
  extraDrain: number;
};

/**
 * Splits MAX_REQUESTS between an invocation's drain, its fan-out controller and what it
 * starts. With `SELF`, each start is one subrequest (the `fetch` to the binding), at most
 * 2 × (maxDrains − 1) of them, and the drain keeps the rest. In-process, the drain and up to
 * {@link IN_PROCESS_MAX_DRAINS} − 1 extra drains get equal shares, decided up front since a
 * drain's budget is fixed when it starts. Fan-out is off (everything to the drain) when
 * `maxDrains` is 1, or when the shares would be too small to be of use.
 */
export function splitRequests(o: {
  maxRequests: number;
  maxDrains: number;
  inProcess: boolean;
}): RequestShares {
  const off: RequestShares = { drain: o.maxRequests, fanOut: 0, starts: 0, extraDrain: 0 };
  const tenth = Math.floor(o.maxRequests / 10);
  const fanOut = Math.min(MAX_FANOUT_REQUESTS, tenth);
  // One estimate: the backlog script, then the slot count.
  if (o.maxDrains <= 1 || fanOut < 2 * SCRIPT_MAX_REQUESTS) {
    return off;
  }
  if (!o.inProcess) {
    const starts = Math.min(2 * (o.maxDrains - 1), tenth);
    return { drain: o.maxRequests - fanOut - starts, fanOut, starts, extraDrain: 0 };
  }
  const drains = Math.min(IN_PROCESS_MAX_DRAINS, o.maxDrains);
  const share = Math.floor((o.maxRequests - fanOut) / drains);
  // An extra drain's slot take and release, and the 3 requests any drain needs.
  if (share - 2 * SCRIPT_MAX_REQUESTS < 3) {
    return off;
  }
  return { drain: share, fanOut, starts: drains - 1, extraDrain: share };
}
