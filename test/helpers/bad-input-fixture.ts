/** @module Shared by the bad-input catalogue: a keyspace with data in it, and its fingerprint. */
import { afterAll, beforeAll } from "vitest";
import { type Direct, type TestKeyspace, useKeyspace } from "./redis";

/** One catalogue file's keyspace, its data, and the count of bad inputs it tried. */
export type Catalogue = {
  ks: TestKeyspace;
  /** The populated stream (set before the file's own `beforeAll` hooks run). */
  stream: string;
  /** Bad inputs tried so far; reported when the file ends. */
  tried: number;
  /** The keyspace's fingerprint before the first bad input. */
  before: Record<string, string>;
  /** The keyspace's fingerprint now: equal to `before` when nothing was touched. */
  now(): Promise<Record<string, string>>;
};

/**
 * Registers the hooks a catalogue file needs: one keyspace for the file with a populated
 * stream (group `group`), its fingerprint taken before anything runs, and the count of bad
 * inputs printed as `reportAs` at the end.
 */
export function useCatalogue(label: string, reportAs: string, group = "g"): Catalogue {
  const ks = useKeyspace(label, { scope: "suite" });
  const catalogue: Catalogue = {
    ks,
    stream: "",
    tried: 0,
    before: {},
    now: () => fingerprint(ks.d, ks.prefix),
  };
  beforeAll(async () => {
    catalogue.stream = ks.key("orders");
    await populate(ks.d, catalogue.stream, group);
    catalogue.before = await catalogue.now();
  });
  afterAll(() => {
    reportTried(reportAs, catalogue.tried);
  });
  return catalogue;
}

/**
 * Every key under `prefix` with its type and `DUMP` (the serialized value, consumer groups
 * and PEL included), so "nothing touched Redis" is one equality.
 */
export async function fingerprint(d: Direct, prefix: string): Promise<Record<string, string>> {
  const keys: string[] = [];
  for await (const batch of d.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    keys.push(...batch);
  }
  const out: Record<string, string> = {};
  for (const key of keys.sort()) {
    const dump = (await d.sendCommand(["DUMP", key])) as string | null;
    const groups =
      (await d.type(key)) === "stream"
        ? JSON.stringify(await d.sendCommand(["XINFO", "GROUPS", key]))
        : "";
    out[key] = `${Buffer.from(dump ?? "", "binary").toString("hex")}|${groups}`;
  }
  return out;
}

/**
 * A stream with 5 entries, a group with 2 of them pending, one acked, and a dead letter: every
 * kind of data a bad request could damage.
 */
export async function populate(d: Direct, stream: string, group: string): Promise<void> {
  await d.sendCommand(["XGROUP", "CREATE", stream, group, "$", "MKSTREAM"]);
  for (let i = 0; i < 5; i++) {
    await d.sendCommand(["XADD", stream, "*", "n", String(i), "status", "200"]);
  }
  const read = (await d.sendCommand([
    ...["XREADGROUP", "GROUP", group, "setup-consumer", "COUNT", "3"],
    ...["STREAMS", stream, ">"],
  ])) as [string, [string, string[]][]][];
  const first = read[0]?.[1][0]?.[0] ?? "";
  await d.sendCommand(["XACK", stream, group, first]);
  await d.sendCommand([
    ...["XADD", `${stream}:dlq`, "*", "original_id", "1-0", "original_stream", stream],
    ...["group", group, "last_consumer", "c", "deliveries", "4", "reason", "max_deliveries"],
    ...["error", "boom", "dead_at", "1", "payload", '{"n":"x"}'],
  ]);
}

/** Prints the count of bad inputs a file tried (summed into the README figure). */
export function reportTried(file: string, tried: number): void {
  console.log(`BAD_INPUTS ${JSON.stringify({ file, tried })}`);
}
