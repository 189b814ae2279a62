import { describe, expect, it } from "vitest";
import { parseRedriveReply } from "../../src/lib/dead-letter/redrive";
import { PermanentError, ReplyShapeError } from "../../src/lib/errors";
import type { StreamMessage } from "../../src/lib/handling/message";
import { isPermanentError, runHandler } from "../../src/lib/handling/outcome";

/** A PermanentError as a second bundled copy of the package defines it: another class. */
class OtherCopyPermanentError extends Error {
  readonly code = "PERMANENT";
}

const message: StreamMessage = {
  id: "1-0",
  stream: "s",
  group: "g",
  consumer: "c",
  fields: { a: "1" },
  deliveries: 1,
};
const ctx = { signal: new AbortController().signal };

describe("isPermanentError", () => {
  it("recognises this package's PermanentError", () => {
    expect(isPermanentError(new PermanentError("bad payload"))).toBe(true);
  });

  it("recognises a PermanentError of another copy of the package by its code", () => {
    expect(isPermanentError(new OtherCopyPermanentError("bad payload"))).toBe(true);
  });

  it("does not take other errors, strings or nothing for permanent", () => {
    expect(isPermanentError(new Error("PERMANENT"))).toBe(false);
    expect(isPermanentError("PERMANENT")).toBe(false);
    expect(isPermanentError(undefined)).toBe(false);
    expect(isPermanentError(null)).toBe(false);
    expect(isPermanentError({ code: "DELIVERY_FAILED" })).toBe(false);
  });
});

describe("runHandler", () => {
  it("says ok when the handler resolves", async () => {
    expect(await runHandler(async () => {}, message, ctx)).toEqual({ ok: true });
  });

  it("says ok when a synchronous handler returns", async () => {
    expect(await runHandler(() => {}, message, ctx)).toEqual({ ok: true });
  });

  it("gives a retryable failure with the error's text", async () => {
    const outcome = await runHandler(
      () => {
        throw new Error("timeout");
      },
      message,
      ctx,
    );
    expect(outcome).toEqual({ ok: false, permanent: false, error: "timeout" });
  });

  it("gives a permanent failure for a PermanentError of either copy", async () => {
    for (const e of [new PermanentError("no"), new OtherCopyPermanentError("no")]) {
      const outcome = await runHandler(() => Promise.reject(e), message, ctx);
      expect(outcome).toEqual({ ok: false, permanent: true, error: "no" });
    }
  });

  it("passes the message and the context to the handler", async () => {
    const seen: unknown[] = [];
    await runHandler((m, c) => void seen.push(m, c), message, ctx);
    expect(seen).toEqual([message, ctx]);
  });
});

describe("parseRedriveReply", () => {
  it("reads [dlqId, newId] pairs", () => {
    expect(
      parseRedriveReply([
        ["1-0", "5-0"],
        ["2-0", "6-0"],
      ]),
    ).toEqual([
      ["1-0", "5-0"],
      ["2-0", "6-0"],
    ]);
  });

  it("reads an empty reply as nothing moved", () => {
    expect(parseRedriveReply([])).toEqual([]);
  });

  it("refuses a pair that is not two ids", () => {
    expect(() => parseRedriveReply([["1-0"]])).toThrow(ReplyShapeError);
    expect(() => parseRedriveReply("OK")).toThrow(ReplyShapeError);
  });
});
