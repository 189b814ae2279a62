import { describe, expect, it } from "vitest";
import { PermanentError } from "../../src/lib/errors";
import { messageParts, type StreamMessage } from "../../src/lib/handling/message";
import { isPermanentError, runHandler } from "../../src/lib/handling/outcome";

/** A PermanentError as a second bundled copy of the package defines it: another class. */
class OtherCopyPermanentError extends Error {
  readonly code = "PERMANENT";
}

const message: StreamMessage = {
  id: "1-0",
  originalId: "1-0",
  stream: "s",
  group: "g",
  consumer: "c",
  fields: { a: "1" },
  pairs: [["a", "1"]],
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

describe("messageParts", () => {
  it("takes a last original_id pair appended by a redrive as the message's identity", () => {
    const pairs: [string, string][] = [
      ["a", "1"],
      ["original_id", "5-0"],
    ];
    expect(messageParts("9-0", pairs)).toEqual({ originalId: "5-0", fields: { a: "1" }, pairs });
  });

  it("uses the id as the identity of a message that was never redriven", () => {
    const pairs: [string, string][] = [
      ["original_id", "producer's own"],
      ["a", "1"],
    ];
    expect(messageParts("9-0", pairs)).toEqual({
      originalId: "9-0",
      fields: { original_id: "producer's own", a: "1" },
      pairs,
    });
  });
});
