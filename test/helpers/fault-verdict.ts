/**
 * @module The fault run's verdict: every produced message held against what the webhook
 * target received (keys, body bytes) and what the dead-letter stream holds (raw bytes read
 * straight from Redis): lost, altered, dead letters the target had accepted, dead letters
 * with too few handler runs, duplicates.
 */
import { RESP_TYPES } from "redis";
import { carried, forwardedFields, type Produced } from "./fault-messages";
import type { TargetDelivery } from "./flaky-target";
import { compareIds } from "./ledger";
import type { Direct } from "./redis";

/** One dead-letter entry as Redis holds it. */
export type RawDeadLetter = {
  id: string;
  originalId: string;
  reason: string;
  /** The `failures` metadata field, when the entry has one. */
  failures: string | undefined;
  /** The original flat pairs as stored, or `null` when the layout is not recognised. */
  original: Buffer[] | null;
};

/** Pairs of metadata a dead letter may carry before the original pairs. */
const META_SCAN = 16;

/**
 * A dead letter's flat pairs: metadata first, ending with `format`, then the original pairs:
 * verbatim (`format`=`pairs`), or (`format`=`json`) one pair `pairs` holding a JSON array of
 * the original flat list, as Lua's cjson writes it (bytes from 0x80 unescaped). Metadata is
 * read from the first occurrence of each name before `format`, so a message field of the
 * same name cannot shadow it.
 *
 * Raw: `["original_id", "1-0", ..., "reason", "max_deliveries", ..., "format", "pairs",
 * "kind", "poison", ...]` or `[..., "format", "json", "pairs", "[\"kind\",\"poison\"]"]`
 */
export function parseRawDeadLetter(id: string, flat: Buffer[]): RawDeadLetter {
  const meta = new Map<string, string>();
  let original: Buffer[] | null = null;
  for (let i = 0; i + 1 < flat.length && i < 2 * META_SCAN; i += 2) {
    const name = flat[i]?.toString("utf8") ?? "";
    const value = flat[i + 1]?.toString("utf8") ?? "";
    if (name === "format") {
      original =
        value === "pairs" ? flat.slice(i + 2) : value === "json" ? fromJson(flat, i + 2) : null;
      break;
    }
    if (!meta.has(name)) {
      meta.set(name, value);
    }
  }
  return {
    id,
    originalId: meta.get("original_id") ?? "",
    reason: meta.get("reason") ?? "",
    failures: meta.get("failures"),
    original,
  };
}

/**
 * The original flat list from a `pairs` → JSON pair at `i`. Read as Latin-1, every byte is one
 * character and the escapes cjson writes (`\"`, `\\`, `\/`, `\u00XX`) stay below 0x100,
 * so the bytes come back exactly.
 */
function fromJson(flat: Buffer[], i: number): Buffer[] | null {
  if (flat[i]?.toString("utf8") !== "pairs" || flat.length !== i + 2) {
    return null;
  }
  try {
    const list: unknown = JSON.parse(flat[i + 1]?.toString("latin1") ?? "");
    return Array.isArray(list) && list.every((x) => typeof x === "string")
      ? list.map((x: string) => Buffer.from(x, "latin1"))
      : null;
  } catch {
    return null;
  }
}

/** Whether a dead letter holds exactly the produced pairs, byte for byte, nothing more. */
export function holdsExactly(letter: RawDeadLetter, produced: Buffer[]): boolean {
  const original = letter.original;
  return (
    original !== null &&
    original.length === produced.length &&
    original.every((x, i) => x.equals(produced[i] ?? Buffer.alloc(0)))
  );
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

type Body = {
  id?: unknown;
  originalId?: unknown;
  stream?: unknown;
  fields?: unknown;
  pairs?: unknown;
};

/**
 * Whether a delivery's body is the message as the forwarder encodes it: valid UTF-8 JSON
 * whose `id`, `originalId` (when sent; no message of the run is redriven) and `stream` match
 * and whose `fields` (and `pairs`, sent when a name repeats) are the produced pairs as JSON
 * can carry them, order included.
 */
export function bodyMatches(body: Buffer, m: Produced, stream: string): boolean {
  let parsed: Body;
  try {
    parsed = JSON.parse(utf8.decode(body)) as Body;
  } catch {
    return false;
  }
  const pairsOk =
    parsed.pairs === undefined || JSON.stringify(parsed.pairs) === JSON.stringify(carried(m.flat));
  return (
    parsed.id === m.id &&
    (parsed.originalId === undefined || parsed.originalId === m.id) &&
    parsed.stream === stream &&
    JSON.stringify(parsed.fields) === JSON.stringify(forwardedFields(m.flat)) &&
    pairsOk
  );
}

/** Every entry of the dead-letter stream, as raw bytes, in pages. */
export async function readDeadLetters(d: Direct, dlq: string): Promise<RawDeadLetter[]> {
  const bytes = d.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  const out: RawDeadLetter[] = [];
  let start = "-";
  for (;;) {
    const page = (await bytes.sendCommand(["XRANGE", dlq, start, "+", "COUNT", "100"])) as [
      Buffer,
      Buffer[],
    ][];
    for (const [id, flat] of page) {
      out.push(parseRawDeadLetter(id.toString(), flat));
    }
    const last = page[page.length - 1];
    if (page.length < 100 || last === undefined) {
      return out;
    }
    start = `(${last[0].toString()}`;
  }
}

export type VerdictInput = {
  produced: Produced[];
  stream: string;
  deliveries: readonly TargetDelivery[];
  accepted: ReadonlySet<string>;
  deadLetters: RawDeadLetter[];
  maxDeliveries: number;
  /** What the stream held when the run deleted it, if it did. */
  deletion: Deletion | undefined;
};

/** The stream and its group at the moment the run deleted the stream. */
export type Deletion = {
  /** The stream's last id: entries up to it went with it. */
  upTo: string;
  /** The group's last-delivered id then; `null` when the group did not exist. */
  lastDelivered: string | null;
  /** The group's pending ids then. */
  pending: ReadonlySet<string>;
};

/**
 * Whether the deletion excuses a message neither accepted nor dead-lettered: it was in the
 * stream then, and either pending or not yet read by the group. One the group had read past
 * and no longer held pending had been acked unaccepted or skipped: lost, deletion or not.
 */
export function excusedByDeletion(id: string, deletion: Deletion | undefined): boolean {
  if (deletion === undefined || compareIds(id, deletion.upTo) > 0) {
    return false;
  }
  const unread = deletion.lastDelivered === null || compareIds(id, deletion.lastDelivered) > 0;
  return unread || deletion.pending.has(id);
}

export type Verdict = {
  /** Neither accepted by the target nor dead-lettered (the stream's deletion excepted). */
  lost: number;
  /** Bytes that differ from what was produced: at the target or in the dead-letter stream. */
  altered: { messages: number; target: number; deadLetters: number };
  /** Dead-lettered although the target had accepted them. */
  deadLettersAccepted: number;
  /** Dead-lettered with fewer than MAX_DELIVERIES handler runs, `permanent_error` aside. */
  deadLettersUnderRuns: number;
  /** Deliveries beyond the first per message. */
  duplicates: number;
  /** Deliveries of a key the target had already accepted. */
  afterAccepted: number;
  deadLetters: { total: number; max_deliveries: number; permanent_error: number; twice: number };
  /** Deleted with the stream while pending or unread, before being accepted or dead-lettered. */
  deletedUnsettled: number;
  /** Deliveries or dead letters of ids nobody produced. */
  unknown: number;
  /** A few ids per failed check, with what happened to them. */
  samples: Record<string, string[]>;
};

/** Holds every produced message against the target's deliveries and the dead letters. */
export function judge(input: VerdictInput): Verdict {
  const byId = new Map(input.produced.map((m) => [m.id, m]));
  const prefix = `${input.stream}:`;
  const idOf = (key: string) => (key.startsWith(prefix) ? key.slice(prefix.length) : key);
  const runs = new Map<string, number>();
  const answers = new Map<string, string[]>();
  const samples: Record<string, string[]> = {};
  const sample = (what: string, id: string, detail: string) => {
    const list = samples[what] ?? [];
    if (list.length < 5) {
      list.push(`${id}: ${detail}`);
    }
    samples[what] = list;
  };
  const alteredTarget = new Set<string>();
  let afterAccepted = 0;
  let unknown = 0;
  for (const d of input.deliveries) {
    const id = idOf(d.key);
    const m = byId.get(id);
    runs.set(id, (runs.get(id) ?? 0) + 1);
    answers.set(id, [...(answers.get(id) ?? []), d.answer]);
    if (d.answer === "duplicate") {
      afterAccepted++;
    }
    if (m === undefined) {
      unknown++;
      sample("unknown", id, "delivered, never produced");
    } else if (!bodyMatches(d.body, m, input.stream)) {
      alteredTarget.add(id);
      sample("altered", id, `${m.shape}/${m.kind} body differs at delivery ${d.attempt}`);
    }
  }
  const dead = new Map<string, RawDeadLetter[]>();
  for (const letter of input.deadLetters) {
    dead.set(letter.originalId, [...(dead.get(letter.originalId) ?? []), letter]);
  }
  const story = (id: string) =>
    `runs ${runs.get(id) ?? 0} [${(answers.get(id) ?? []).join(" ")}], dead letters ${
      (dead.get(id) ?? []).map((l) => `${l.reason}(failures ${l.failures ?? "-"})`).join("+") ||
      "none"
    }`;
  const alteredDead = new Set<string>();
  let accepted = 0;
  let underRuns = 0;
  for (const [id, letters] of dead) {
    const m = byId.get(id);
    if (m === undefined) {
      unknown += letters.length;
      sample("unknown", id, "dead-lettered, never produced");
      continue;
    }
    if (letters.some((l) => !holdsExactly(l, m.flat))) {
      alteredDead.add(id);
      sample("altered", id, `${m.shape}/${m.kind} dead letter differs from the produced bytes`);
    }
    if (input.accepted.has(prefix + id)) {
      accepted++;
      sample("deadLettersAccepted", id, `${m.kind}: ${story(id)}`);
    }
    if (
      letters.some((l) => l.reason !== "permanent_error") &&
      (runs.get(id) ?? 0) < input.maxDeliveries
    ) {
      underRuns++;
      sample("deadLettersUnderRuns", id, `${m.kind}: ${story(id)}`);
    }
  }
  let lost = 0;
  let deletedUnsettled = 0;
  for (const m of input.produced) {
    if (input.accepted.has(prefix + m.id) || dead.has(m.id)) {
      continue;
    }
    if (excusedByDeletion(m.id, input.deletion)) {
      deletedUnsettled++;
    } else {
      lost++;
      sample("lost", m.id, `${m.shape}/${m.kind}: ${story(m.id)}`);
    }
  }
  const reasons = input.deadLetters.map((l) => l.reason);
  return {
    lost,
    altered: {
      messages: new Set([...alteredTarget, ...alteredDead]).size,
      target: alteredTarget.size,
      deadLetters: alteredDead.size,
    },
    deadLettersAccepted: accepted,
    deadLettersUnderRuns: underRuns,
    duplicates: [...runs.values()].reduce((n, r) => n + r - 1, 0),
    afterAccepted,
    deadLetters: {
      total: input.deadLetters.length,
      max_deliveries: reasons.filter((r) => r === "max_deliveries").length,
      permanent_error: reasons.filter((r) => r === "permanent_error").length,
      twice: [...dead.values()].filter((l) => l.length > 1).length,
    },
    deletedUnsettled,
    unknown,
    samples,
  };
}
