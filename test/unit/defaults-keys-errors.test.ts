import { describe, expect, it } from "vitest";
import { DEFAULTS } from "../../src/lib/config/defaults";
import {
  ConfigError,
  errorMessage,
  PermanentError,
  RedisCommandError,
  ReplyShapeError,
  StreamsWorkerError,
} from "../../src/lib/errors";
import { streamKeys } from "../../src/lib/redis/keys";

describe("DEFAULTS", () => {
  it("holds the defaults of the contract", () => {
    expect(DEFAULTS).toMatchObject({
      batchSize: 50,
      maxMessages: 1000,
      timeBudgetMs: 25000,
      minIdleMs: 60000,
      maxDeliveries: 3,
      trim: "none",
      consumeCron: "* * * * *",
      sweepCron: "*/5 * * * *",
      groupStartId: "$",
    });
  });
});

describe("streamKeys", () => {
  it("derives the dead-letter stream from the stream by default", () => {
    expect(streamKeys("orders", "g").dlq).toBe("orders:dlq");
  });

  it("uses an explicit dead-letter stream", () => {
    expect(streamKeys("orders", "g", "dead").dlq).toBe("dead");
  });

  it("names the sweep cursor after stream and group", () => {
    expect(streamKeys("orders", "g").sweepCursor).toBe("orders:g:sweep-cursor");
  });

  it("names the idempotency marker after stream, group and id", () => {
    expect(streamKeys("orders", "g").done("1-0")).toBe("orders:g:done:1-0");
  });
});

describe("errors", () => {
  it.each([
    [new ConfigError("STREAM", "m"), "CONFIG_INVALID", "ConfigError"],
    [new PermanentError("m"), "PERMANENT", "PermanentError"],
    [new RedisCommandError("XACK"), "REDIS_ERROR", "RedisCommandError"],
    [new ReplyShapeError("m"), "REPLY_SHAPE", "ReplyShapeError"],
  ])("gives %s a stable code and name", (error, code, name) => {
    expect(error).toBeInstanceOf(StreamsWorkerError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(error.name).toBe(name);
  });

  it("keeps the cause", () => {
    const cause = new Error("inner");
    expect(new PermanentError("outer", { cause }).cause).toBe(cause);
  });

  it("keeps the variable of a ConfigError", () => {
    expect(new ConfigError("BATCH_SIZE", "m").variable).toBe("BATCH_SIZE");
  });

  it("names the command of a RedisCommandError but not the URL of its cause", () => {
    const cause = new TypeError("fetch failed: https://user:tok@eu1.upstash.io/pipeline");
    const error = RedisCommandError.from("XREADGROUP", cause);
    expect(error.message).toBe("XREADGROUP failed: fetch failed: <url>");
    expect(error.command).toBe("XREADGROUP");
    expect(error.cause).toBe(cause);
  });

  it("redacts bearer tokens from a RedisCommandError detail", () => {
    expect(new RedisCommandError("XACK", "sent Bearer abc123").message).not.toContain("abc123");
  });
});

describe("errorMessage", () => {
  it("reads the message of an Error", () => {
    expect(errorMessage(new Error("boom"))).toBe("boom");
  });

  it("returns a thrown string as is", () => {
    expect(errorMessage("boom")).toBe("boom");
  });

  it("serialises a thrown object", () => {
    expect(errorMessage({ status: 500 })).toBe('{"status":500}');
  });

  it("describes undefined", () => {
    expect(errorMessage(undefined)).toBe("undefined");
  });
});
