import { describe, expect, it } from "vitest";
import { PublishInputError, StreamsWorkerError } from "../../src/lib/errors";
import { streamKeys } from "../../src/lib/redis/keys";

describe("streamKeys().publishKey", () => {
  it("names an idempotency key after the stream, whatever the group", () => {
    expect(streamKeys("orders", "g").publishKey("order-A-1")).toBe("orders:publish:order-A-1");
    expect(streamKeys("orders", "other").publishKey("k")).toBe(
      streamKeys("orders", "g").publishKey("k"),
    );
  });
});

describe("PublishInputError", () => {
  it("has a stable code and name and keeps where the input went wrong", () => {
    const cause = new Error("inner");
    const error = new PublishInputError("m", { index: 2, field: "amount" }, { cause });
    expect(error).toBeInstanceOf(StreamsWorkerError);
    expect(error).toMatchObject({ code: "PUBLISH_INVALID", name: "PublishInputError", index: 2 });
    expect(error.field).toBe("amount");
    expect(error.cause).toBe(cause);
  });

  it("leaves index and field undefined when the batch itself is wrong", () => {
    expect(new PublishInputError("m")).toMatchObject({ index: undefined, field: undefined });
  });
});
