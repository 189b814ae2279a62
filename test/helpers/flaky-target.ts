/**
 * @module A webhook target that fails on purpose, as real ones do, and keeps every delivery:
 * its Idempotency-Key, its exact body bytes and how it was answered.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { prng } from "./ledger";

/** Per-delivery probabilities of the target's own faults (each 0 to 1, summed below 1). */
export type TargetFaults = {
  /** Answered 500 before the message is accepted. */
  failBefore: number;
  /** Accepted, then answered 500: the sender cannot tell it from `failBefore`. */
  failAfter: number;
  /** Accepted, answered only after `tooSlowMs`: the sender's timeout fires first. */
  tooSlow: number;
  /** Answered 200 after `slowMs`, within the sender's timeout. */
  slow: number;
};

export const NO_TARGET_FAULTS: TargetFaults = { failBefore: 0, failAfter: 0, tooSlow: 0, slow: 0 };

/**
 * How one delivery was answered: `accepted` 2xx; `accepted_failed` and `accepted_late`
 * accepted but answered 500 or too late; `duplicate` 200 for a key accepted before;
 * `failed` 500 unaccepted (a fault, or a poison message); `refused` 422 (a permanent one);
 * `unreadable` 400 for a body that is not JSON.
 */
export type Answer =
  | "accepted"
  | "accepted_failed"
  | "accepted_late"
  | "duplicate"
  | "failed"
  | "refused"
  | "unreadable";

export type TargetDelivery = {
  /** The `Idempotency-Key` header, "" when missing. */
  key: string;
  /** This key's delivery number at the target, from 1: the handler runs the target saw. */
  attempt: number;
  /** The body exactly as it arrived. */
  body: Buffer;
  answer: Answer;
};

export type FlakyTargetOptions = {
  faults: TargetFaults;
  /**
   * The Worker's MAX_DELIVERIES. A key's MAX_DELIVERIES-th delivery never gets
   * `failAfter`/`tooSlow`: acceptance answered as a failure on the last run is invisible to
   * any sender, so "dead letters the target accepted" would measure the target, not the
   * Worker. Earlier runs get them; the next run then finds the key accepted (200).
   */
  maxDeliveries: number;
  /** @default 5000 */
  tooSlowMs?: number;
  /** @default 50 */
  slowMs?: number;
  /** Start of the fault PRNG, so a run can be replayed. */
  prngStart: number;
};

export type FlakyTarget = {
  url: string;
  /** Every delivery, in arrival order. */
  readonly deliveries: TargetDelivery[];
  /** Keys the target accepted (took responsibility for), whatever it answered. */
  readonly accepted: ReadonlySet<string>;
  /** Distinct keys seen at least once. */
  seen(): number;
  /** Fault probabilities in force; set while it runs (poison and permanent messages stay). */
  faults: TargetFaults;
  /** Deliveries per answer. */
  tally(): Record<Answer, number>;
  close(): Promise<void>;
};

/**
 * Starts the target on 127.0.0.1. What a message is comes from its `kind` field:
 * `poison` is always answered 500 and never accepted (it must end as `max_deliveries`),
 * `permanent` always 422 (`permanent_error`); anything else is accepted unless a fault hits.
 * A key accepted once is answered 200 from then on, as an idempotent API replays success.
 */
export async function startFlakyTarget(options: FlakyTargetOptions): Promise<FlakyTarget> {
  const random = prng(options.prngStart);
  const deliveries: TargetDelivery[] = [];
  const accepted = new Set<string>();
  const attempts = new Map<string, number>();
  const tooSlowMs = options.tooSlowMs ?? 5000;
  const slowMs = options.slowMs ?? 50;
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const target = { faults: { ...options.faults } };

  /** The answer and its delay for one delivery of `key`, recording acceptance. */
  function decide(key: string, attempt: number, kind: string | undefined): [Answer, number] {
    if (accepted.has(key)) {
      return ["duplicate", 0];
    }
    if (kind === "permanent") {
      return ["refused", 0];
    }
    if (kind === "poison") {
      return ["failed", 0];
    }
    const f = target.faults;
    const r = random();
    if (r < f.failBefore) {
      return ["failed", 0];
    }
    accepted.add(key);
    const late = attempt < options.maxDeliveries;
    if (late && r < f.failBefore + f.failAfter) {
      return ["accepted_failed", 0];
    }
    if (late && r < f.failBefore + f.failAfter + f.tooSlow) {
      return ["accepted_late", tooSlowMs];
    }
    return ["accepted", r > 1 - f.slow ? slowMs : 0];
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const key = String(req.headers["idempotency-key"] ?? "");
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      let kind: string | undefined;
      let answer: Answer;
      let delay = 0;
      try {
        kind = (JSON.parse(body.toString("utf8")) as { fields?: { kind?: string } }).fields?.kind;
        [answer, delay] = decide(key, attempt, kind);
      } catch {
        answer = "unreadable";
      }
      deliveries.push({ key, attempt, body, answer });
      const status = STATUS[answer];
      const reply = () => {
        if (!res.destroyed) {
          res.writeHead(status, { "content-type": "text/plain" }).end(answer);
        }
      };
      if (delay === 0) {
        reply();
        return;
      }
      const t = setTimeout(() => {
        timers.delete(t);
        reply();
      }, delay);
      timers.add(t);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    deliveries,
    accepted,
    seen: () => attempts.size,
    get faults() {
      return target.faults;
    },
    set faults(f: TargetFaults) {
      target.faults = { ...f };
    },
    tally: () => {
      const out = Object.fromEntries(Object.keys(STATUS).map((k) => [k, 0])) as Record<
        Answer,
        number
      >;
      for (const d of deliveries) {
        out[d.answer]++;
      }
      return out;
    },
    close: async () => {
      for (const t of timers) {
        clearTimeout(t);
      }
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const STATUS: Record<Answer, number> = {
  accepted: 200,
  accepted_failed: 500,
  accepted_late: 200,
  duplicate: 200,
  failed: 500,
  refused: 422,
  unreadable: 400,
};
