/**
 * @module The soak suite's bookkeeping: what each message is meant to do, what the handler saw,
 * which acks Redis confirmed, and the end-of-run invariant checked against Redis itself.
 */
import { createHash } from "node:crypto";
import type { Redis } from "@upstash/redis/cloudflare";
import { PermanentError } from "../../src/lib/errors";
import type { MessageHandler } from "../../src/lib/handling/message";
import type { Direct } from "./redis";

/** `SOAK=1` (`npm run soak`): the heavy run. */
export const SOAK = process.env.SOAK === "1";

/**
 * good: succeeds unless a random transient fault hits it; poison: always throws (must end
 * in the DLQ as max_deliveries); permanent: always throws PermanentError (permanent_error).
 */
export type Kind = "good" | "poison" | "permanent";

/** Deterministic by index: 2% poison, 2% permanent. */
export function kindOf(i: number): Kind {
  const r = i % 50;
  return r === 7 ? "poison" : r === 31 ? "permanent" : "good";
}

/** A PRNG (mulberry32) started from a number, so a failing run can be replayed from it. */
export function prng(start: number): () => number {
  let a = start >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Orders stream ids numerically (`1-10` after `1-9`). */
export function compareIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split("-").map(BigInt);
  const [bm = 0n, bs = 0n] = b.split("-").map(BigInt);
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
}

export type HandlerFaults = {
  /** Probability that a call on a not-yet-processed good message throws. */
  transientRate: number;
  /** Probability that a call takes `slowMs` (drain: the lease must hold it). */
  slowRate: number;
  slowMs: number;
};

export type Summary = {
  scenario: string;
  messages: number;
  faults: Record<string, number>;
  lost: number;
  /** Messages a handler call saw with fields other than those produced. */
  altered: number;
  duplicates: number;
  dlq: { total: number; max_deliveries: number; permanent_error: number };
  /** Entries XTRIM removed while pending, acked unhandled by the sweep. */
  trimmed: number;
  /** Dead-lettered (max_deliveries) after a success whose XACK was never confirmed. */
  deadLetteredAfterLostAck: number;
  /** Dead-lettered (max_deliveries) while a success's XACK was held back by retries. */
  deadLetteredBeforeLateAck: number;
  handlerCalls: number;
  durationMs: number;
};

/** Everything the harness knows about the messages of one scenario. */
export class Ledger {
  readonly kinds = new Map<string, Kind>();
  readonly successes = new Map<string, number>();
  readonly calls = new Map<string, number>();
  /** Ids a handler success's XACK was confirmed for (the pipeline answered). */
  readonly ackConfirmed = new Set<string>();
  readonly faults: Record<string, number> = {};
  readonly started = Date.now();
  /** Pending entries removed by XTRIM MINID (all ids below the bound, not yet processed). */
  readonly trimmed = new Set<string>();
  /** Per id, every handler call: who ran it, at which delivery, how it ended (for violations). */
  readonly history = new Map<string, string[]>();
  /** Per id, the digest of the fields as produced (see {@link fieldsDigest}). */
  readonly digests = new Map<string, string>();
  /** Per id, the distinct digests of the fields handler calls saw. */
  readonly seenDigests = new Map<string, string[]>();
  private readonly random: () => number;

  constructor(
    readonly scenario: string,
    prngStart: number,
    private readonly f: HandlerFaults = { transientRate: 0, slowRate: 0, slowMs: 0 },
  ) {
    this.random = prng(prngStart);
  }

  count(kind: string, n = 1): void {
    this.faults[kind] = (this.faults[kind] ?? 0) + n;
  }

  /** Records produced ids with the kind they were produced as, and their fields' digests. */
  produced(ids: string[], kinds: Kind[], digests: string[] = []): void {
    ids.forEach((id, i) => {
      this.kinds.set(id, kinds[i] ?? "good");
      const digest = digests[i];
      if (digest !== undefined) {
        this.digests.set(id, digest);
      }
    });
  }

  /**
   * The handler every drain and sweep of the scenario runs. A good message that already
   * succeeded once succeeds again (an idempotent handler), so a redelivery is a duplicate,
   * never a failure.
   */
  readonly handler: MessageHandler = async (m, ctx) => {
    this.calls.set(m.id, (this.calls.get(m.id) ?? 0) + 1);
    // Checked against the produced digest at the end: the id may be recorded after this call.
    const seen = fieldsDigest(Object.entries(m.fields));
    const digests = this.seenDigests.get(m.id) ?? [];
    if (!digests.includes(seen)) {
      this.seenDigests.set(m.id, [...digests, seen]);
    }
    const t0 = Date.now() - this.started;
    const trace = (outcome: string) => {
      const list = this.history.get(m.id) ?? [];
      list.push(`${m.consumer}#${m.deliveries}@${t0}-${Date.now() - this.started}ms:${outcome}`);
      this.history.set(m.id, list);
    };
    try {
      await this.outcome(m, ctx);
      trace("ok");
    } catch (e) {
      trace(e instanceof PermanentError ? "permanent" : "error");
      throw e;
    }
  };

  private async outcome(...[m, ctx]: Parameters<MessageHandler>): Promise<void> {
    const kind = (m.fields.kind as Kind | undefined) ?? "good";
    if (this.f.slowRate > 0 && this.random() < this.f.slowRate) {
      this.count("slowHandler");
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, this.f.slowMs);
        ctx.signal.addEventListener("abort", () => {
          clearTimeout(t);
          reject(new Error("aborted"));
        });
      });
    } else if (this.random() < 0.3) {
      await null;
    }
    if (kind === "poison") {
      this.count("poisonCall");
      throw new Error(`poison ${m.id}`);
    }
    if (kind === "permanent") {
      this.count("permanentCall");
      throw new PermanentError(`permanent ${m.id}`);
    }
    const before = this.successes.get(m.id) ?? 0;
    if (before === 0 && this.random() < this.f.transientRate) {
      this.count("handlerTransient");
      throw new Error(`transient ${m.id}`);
    }
    this.successes.set(m.id, before + 1);
  }

  /**
   * The client as the library gets it, with its pipelines watched: when a pipeline holding an
   * `XACK` answers, those ids' acks are confirmed. The library itself is untouched.
   */
  watch(redis: Redis): Redis {
    const ledger = this;
    return new Proxy(redis, {
      get(target, prop, receiver) {
        if (prop === "pipeline") {
          return () => {
            const p = target.pipeline();
            const ids: string[] = [];
            const xack = p.xack;
            const exec = p.exec;
            p.xack = ((stream: string, group: string, id: string | string[]) => {
              ids.push(...(Array.isArray(id) ? id : [id]));
              return xack(stream, group, id);
            }) as typeof p.xack;
            p.exec = (async (opts?: { keepErrors: true }) => {
              const replies = await exec(opts as { keepErrors: true });
              const first = Array.isArray(replies) ? replies[0] : undefined;
              const failed = opts?.keepErrors && (first as { error?: string })?.error;
              if (!failed) {
                for (const id of ids) {
                  ledger.ackConfirmed.add(id);
                }
              }
              return replies;
            }) as typeof p.exec;
            return p;
          };
        }
        const value = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }

  /**
   * The invariant, per message id, against Redis: acked after at least one successful handler
   * call, or in the DLQ with the right reason; the PEL empty; nothing dead-lettered twice;
   * nothing whose success was acked dead-lettered; no dead letter but a `permanent_error`
   * with fewer than `maxDeliveries` handler calls; no more failed calls than `maxDeliveries`
   * without request faults, no more calls than 2 · maxDeliveries + 2 with them; every handler
   * call saw the
   * fields as produced. Returns the violations (empty = pass) and the one-line summary.
   */
  async check(
    d: Direct,
    stream: string,
    group: string,
    dlqStream: string,
    maxDeliveries: number,
    options: { ackLossPossible: boolean },
  ): Promise<{ violations: string[]; summary: Summary }> {
    const violations: string[] = [];
    const [pending] = (await d.sendCommand(["XPENDING", stream, group])) as [number];
    if (pending !== 0) {
      violations.push(`PEL not empty: ${pending} pending`);
    }
    const rows = (await d.sendCommand(["XRANGE", dlqStream, "-", "+"])) as [string, string[]][];
    const dead = new Map<string, string[]>();
    for (const [, flat] of rows) {
      const f: Record<string, string> = {};
      for (let i = 0; i < flat.length; i += 2) {
        f[flat[i] ?? ""] = flat[i + 1] ?? "";
      }
      const list = dead.get(f.original_id ?? "") ?? [];
      list.push(f.reason ?? "");
      dead.set(f.original_id ?? "", list);
    }
    let lost = 0;
    let altered = 0;
    let duplicates = 0;
    let handlerCalls = 0;
    let afterLostAck = 0;
    let ackLate = 0;
    const bad = (id: string, text: string) => {
      if (violations.length < 20) {
        const calls = this.history.get(id)?.join(", ") ?? "never handled";
        violations.push(`${id}: ${text} [${calls}]`);
      }
    };
    for (const [id, kind] of this.kinds) {
      const ok = this.successes.get(id) ?? 0;
      const calls = this.calls.get(id) ?? 0;
      handlerCalls += calls;
      duplicates += Math.max(0, ok - 1);
      const reasons = dead.get(id) ?? [];
      if (reasons.length > 1) {
        bad(id, `dead-lettered ${reasons.length} times`);
      }
      // Failed runs are counted in Redis. Without request faults none is lost: never more
      // than MAX_DELIVERIES of them. A record lost with its request buys one more run, bounded
      // by the deliveries after which a message is dead-lettered anyway (2 · MAX + 2).
      const failedCalls = calls - ok;
      if (!options.ackLossPossible && failedCalls > maxDeliveries) {
        bad(id, `${failedCalls} failed handler calls > MAX_DELIVERIES=${maxDeliveries}`);
      }
      if (calls > 2 * maxDeliveries + 2) {
        bad(id, `${calls} handler calls > 2 · MAX_DELIVERIES + 2`);
      }
      const want = this.digests.get(id);
      if (want !== undefined && (this.seenDigests.get(id) ?? []).some((x) => x !== want)) {
        altered++;
        bad(id, "a handler call saw fields other than those produced");
      }
      const reason = reasons[0];
      if (reason !== undefined && reason !== "permanent_error" && calls < maxDeliveries) {
        bad(id, `dead-lettered as ${reason} after ${calls} handler calls < MAX_DELIVERIES`);
      }
      if (reason === undefined) {
        if (ok === 0 && !this.trimmed.has(id)) {
          lost++;
          bad(id, `${kind}: neither handled successfully nor dead-lettered (lost)`);
        }
        continue;
      }
      if (kind === "poison" && reason !== "max_deliveries") {
        bad(id, `poison dead-lettered as ${reason}`);
      }
      if (kind === "permanent" && reason !== "permanent_error") {
        // Only when every dead-letter move failed until the deliveries ran out.
        if (!(options.ackLossPossible && reason === "max_deliveries")) {
          bad(id, `permanent dead-lettered as ${reason}`);
        }
      }
      if (kind === "good") {
        if (reason !== "max_deliveries") {
          bad(id, `good message dead-lettered as ${reason}`);
        }
        if (ok > 0) {
          if (!options.ackLossPossible) {
            bad(id, "dead-lettered after a success, with no request fault to explain it");
          } else if (this.ackConfirmed.has(id)) {
            // The move won a race against an ack that client retries held back longer than
            // the whole backoff ladder: like SQS's maxReceiveCount, deliveries are counted,
            // not failures. Reported, never lost.
            ackLate++;
          } else {
            afterLostAck++;
          }
        }
      }
    }
    const reasons = [...dead.values()].flat();
    const summary: Summary = {
      scenario: this.scenario,
      messages: this.kinds.size,
      faults: { ...this.faults },
      lost,
      altered,
      duplicates,
      dlq: {
        total: rows.length,
        max_deliveries: reasons.filter((r) => r === "max_deliveries").length,
        permanent_error: reasons.filter((r) => r === "permanent_error").length,
      },
      trimmed: this.trimmed.size,
      deadLetteredAfterLostAck: afterLostAck,
      deadLetteredBeforeLateAck: ackLate,
      handlerCalls,
      durationMs: Date.now() - this.started,
    };
    return { violations, summary };
  }
}

/** Digest of field/value pairs in order: what a handler call saw, against what was produced. */
export function fieldsDigest(pairs: [string, string][]): string {
  return createHash("sha256").update(JSON.stringify(pairs)).digest("hex");
}

/** Extra pairs message `i` carries besides `i`, `kind` and `pad`. */
export type Extras = (i: number) => [string, string][];

/** Size of the large values {@link heavy} adds: past half a MiB. */
export const LARGE_VALUE_BYTES = 600 * 1024;
/** Fields of the wide messages {@link heavy} adds. */
export const WIDE_FIELDS = 2000;

/**
 * One message in 997 carries a 600 KiB value, one in 1009 has 2,000 more fields (names that
 * are not integers, so the handler's object keeps the produced order for the digest).
 */
export const heavy: Extras = (i) => {
  if (i % 997 === 500) {
    return [["large", `${i}:${"é日🚀abc".repeat(LARGE_VALUE_BYTES / 12)}`]];
  }
  if (i % 1009 === 700) {
    return Array.from({ length: WIDE_FIELDS }, (_, j) => [`w${j}`, `${i}.${j}`]);
  }
  return [];
};

/**
 * Adds `n` messages `{ i, kind, pad, ...extras(i) }` in pipelines of 500 and records their
 * ids, kinds and fields' digests in the ledger.
 */
export async function produce(
  d: Direct,
  stream: string,
  ledger: Ledger,
  from: number,
  n: number,
  extras: Extras = () => [],
): Promise<void> {
  for (let start = from; start < from + n; start += 500) {
    const end = Math.min(from + n, start + 500);
    const multi = d.multi();
    const kinds: Kind[] = [];
    const digests: string[] = [];
    for (let i = start; i < end; i++) {
      const kind = kindOf(i);
      const pairs: [string, string][] = [
        ["i", String(i)],
        ["kind", kind],
        ["pad", "x".repeat(32)],
        ...extras(i),
      ];
      kinds.push(kind);
      digests.push(fieldsDigest(pairs));
      multi.addCommand(["XADD", stream, "*", ...pairs.flat()]);
    }
    ledger.produced((await multi.execAsPipeline()).map(String), kinds, digests);
  }
}

/** Whether the group has read everything and owns nothing pending. */
export async function drained(d: Direct, stream: string, group: string): Promise<boolean> {
  const info = (await d.sendCommand(["XINFO", "STREAM", stream])) as unknown[];
  const last = String(info[info.indexOf("last-generated-id") + 1]);
  const groups = (await d.sendCommand(["XINFO", "GROUPS", stream])) as unknown[][];
  const g = groups.find((row) => String(row[row.indexOf("name") + 1]) === group);
  if (!g) {
    return false;
  }
  const delivered = String(g[g.indexOf("last-delivered-id") + 1]);
  const pending = Number(g[g.indexOf("pending") + 1]);
  return delivered === last && pending === 0;
}

/** Prints the run's one-line JSON summary (the reliability figures in the docs come from it). */
export function report(summary: Summary): void {
  console.log(`RELIABILITY ${JSON.stringify(summary)}`);
}
