/** @module Shared set-up of the dead-letter suites: raw entries made pending over a direct connection. */
import { RESP_TYPES } from "redis";
import { type MoveOptions, moveToDeadLetter } from "../../src/lib/dead-letter/move";
import type { Direct } from "./redis";

/** A field or value as Redis may hold it: text, or raw bytes (invalid UTF-8 included). */
export type Raw = string | Buffer;

/**
 * Creates group `g` at `$` on `stream`, adds the entries (flat field/value lists, repeats and
 * raw bytes as given) and reads them into consumer `c`'s PEL. Returns their ids in order.
 */
export async function pendingEntries(
  d: Direct,
  stream: string,
  entries: Raw[][],
): Promise<string[]> {
  await d.sendCommand(["XGROUP", "CREATE", stream, "g", "$", "MKSTREAM"]);
  const ids: string[] = [];
  for (const flat of entries) {
    ids.push(String(await d.sendCommand(["XADD", stream, "*", ...flat])));
  }
  await d.sendCommand(["XREADGROUP", "GROUP", "g", "c", "STREAMS", stream, ">"]);
  return ids;
}

/** One entry's flat field/value list, as raw bytes (ground truth, not the code under test). */
export async function rawEntry(d: Direct, key: string, id: string): Promise<Buffer[]> {
  const bytes = d.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  const reply = (await bytes.sendCommand(["XRANGE", key, id, id])) as unknown as [
    Buffer,
    Buffer[],
  ][];
  return reply[0]?.[1] ?? [];
}

/** The ids in a stream, oldest first. */
export async function streamIds(d: Direct, key: string): Promise<string[]> {
  const rows = (await d.sendCommand(["XRANGE", key, "-", "+"])) as [string, string[]][];
  return rows.map(([id]) => id);
}

/**
 * Dead letters of `entries`, made as the drain and the sweep make them: pending for consumer
 * `c` of group `g` (see {@link pendingEntries}), then moved with reason `permanent_error` and
 * error `bad amount`, dead at 1795709122566. Returns their original ids and their ids in the
 * dead-letter stream, both oldest first.
 */
export async function deadLettersOf(
  d: Direct,
  redis: MoveOptions["redis"],
  where: { stream: string; dlq: string },
  entries: Raw[][],
): Promise<{ originals: string[]; dlqIds: string[] }> {
  const originals = await pendingEntries(d, where.stream, entries);
  await moveToDeadLetter({
    redis,
    stream: where.stream,
    group: "g",
    consumer: "c",
    dlqStream: where.dlq,
    dlqMaxLen: 1000,
    entries: originals.map((id) => ({ id, reason: "permanent_error", error: "bad amount" })),
    now: 1795709122566,
  });
  return { originals, dlqIds: await streamIds(d, where.dlq) };
}
