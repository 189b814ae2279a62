/**
 * @module The messages of the fault run: plain ones, 1 MiB ones, ones with thousands of
 * fields and ones with invalid UTF-8 and repeated names, built as the raw bytes Redis holds,
 * and what the webhook forwarder can carry of them.
 */
import { type Kind, kindOf, prng } from "./ledger";

/**
 * plain: `kind, i, pad`; large: a 1 MiB value; wide: thousands of fields; odd: invalid
 * UTF-8 in names and values, repeated names, an empty pair, a byte-order mark, `__proto__`.
 */
export type Shape = "plain" | "large" | "wide" | "odd";

/** One message as produced: the flat field/value list exactly as Redis stores it. */
export type Produced = { id: string; index: number; kind: Kind; shape: Shape; flat: Buffer[] };

export type MessageMix = {
  /** Messages in all. */
  messages: number;
  /** Of which 1 MiB ones (mostly poison: they end in the dead-letter stream). */
  large: number;
  /** Of which ones with {@link WIDE_FIELDS} fields. */
  wide: number;
  /** Of which ones with invalid UTF-8 and repeated names. */
  odd: number;
};

export const LARGE_BYTES = 1024 * 1024;
export const WIDE_FIELDS = 5000;

/** Kinds the special shapes cycle through, so each shape also reaches the dead-letter stream. */
const LARGE_KINDS: Kind[] = ["poison", "good", "poison", "permanent"];
const OTHER_KINDS: Kind[] = ["good", "poison", "permanent"];

/** The shape and kind of every message, the special shapes spread evenly over the run. */
export function plan(mix: MessageMix): { shape: Shape; kind: Kind }[] {
  const out = Array.from({ length: mix.messages }, (_, i) => ({
    shape: "plain" as Shape,
    kind: kindOf(i),
  }));
  const place = (shape: Shape, count: number, offset: number, kinds: Kind[]) => {
    for (let k = 0; k < count; k++) {
      let i = Math.floor(((k + offset) * mix.messages) / (count + 1)) % mix.messages;
      while (out[i]?.shape !== "plain") {
        i = (i + 1) % mix.messages;
      }
      out[i] = { shape, kind: kinds[k % kinds.length] ?? "good" };
    }
  };
  place("large", mix.large, 0.7, LARGE_KINDS);
  place("wide", mix.wide, 0.9, OTHER_KINDS);
  place("odd", mix.odd, 0.5, OTHER_KINDS);
  return out;
}

const b = (s: string | number[]): Buffer =>
  typeof s === "string" ? Buffer.from(s) : Buffer.from(s);

/** The raw pairs of message `index`: `kind` first and never repeated (the target reads it). */
export function build(index: number, shape: Shape, kind: Kind): Buffer[] {
  const head = [b("kind"), b(kind), b("i"), b(String(index))];
  const random = prng(index + 1);
  if (shape === "large") {
    // Multi-byte characters throughout, one cut at the end: the tail is invalid UTF-8.
    const unit = Buffer.from(`${index}:abcdefghijklmnopqrstuvwxyz-é-日本語-🚀|`);
    return [...head, b("blob"), Buffer.alloc(LARGE_BYTES, unit)];
  }
  if (shape === "wide") {
    const pairs: Buffer[] = [];
    for (let j = 0; j < WIDE_FIELDS; j++) {
      // Some integer-like names: an object lists those first, the stream keeps its order.
      const name = j % 1000 === 7 ? String(j) : `f${j}`;
      pairs.push(b(name), b(Math.floor(random() * 1e9).toString(36)));
    }
    return [...head, ...pairs];
  }
  if (shape === "odd") {
    return [
      ...head,
      ...[b("dup"), b("first"), b([0xff, 0xfe, 0x41]), b("name not UTF-8")],
      ...[b("value"), b([0xc3, 0x28, 0x61, 0xe2, 0x82]), b("dup"), b("second")],
      ...[b(""), b(""), b("\uFEFFbom"), b("\uFEFF"), b("__proto__"), b('{"x":1}')],
      ...[b("dup"), b([0xed, 0xa0, 0x80]), b("nul"), b([0x00, 0x01, 0x7f, 0x80])],
    ];
  }
  return [...head, b("pad"), b("x".repeat(32))];
}

/**
 * What JSON text can carry of raw pairs, as the REST protocol delivers them: each name and
 * value decoded as UTF-8, invalid bytes becoming U+FFFD (the bridge's `toString("utf8")`,
 * like Upstash), order and repeats kept.
 */
export function carried(flat: Buffer[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    pairs.push([flat[i]?.toString("utf8") ?? "", flat[i + 1]?.toString("utf8") ?? ""]);
  }
  return pairs;
}

/**
 * The forwarder's body for a message (src/handlers/webhook-handler.ts): `fields` is the pairs
 * as an object (a repeated name keeps its last value, integer-like names first); `pairs`,
 * when the forwarder sends it, every pair in order.
 */
export function forwardedFields(flat: Buffer[]): Record<string, string> {
  return Object.fromEntries(carried(flat));
}
