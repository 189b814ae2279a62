import { describe, expect, it } from "vitest";
import { DEFAULTS } from "../../src/lib/config/defaults";
import { summariseRedisError } from "../../src/lib/config/redact";
import {
  ConfigError,
  errorMessage,
  IdPastEndError,
  PermanentError,
  RedisCommandError,
  ReplyShapeError,
  StreamsWorkerError,
  toReportError,
} from "../../src/lib/errors";
import { isNoGroupError } from "../../src/lib/group/ensure";
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
    expect(error.message).toBe("XREADGROUP failed: fetch failed");
    expect(error).toMatchObject({ command: "XREADGROUP", kind: "transport", redisCode: undefined });
    expect(error.cause).toBe(cause);
  });

  it("redacts bearer tokens from a RedisCommandError detail", () => {
    expect(new RedisCommandError("XACK", "sent Bearer abc123").message).not.toContain("abc123");
  });

  it("gives IdPastEndError the id and the stream's last id", () => {
    const error = new IdPastEndError("99-0", "5-1");
    expect(error).toMatchObject({ code: "ID_PAST_END", id: "99-0", lastId: "5-1" });
    expect(error.message).toBe(
      'id "99-0" is past the end of the stream, whose last id is "5-1": use "$" to skip to the end',
    );
  });
});

describe("RedisCommandError: Redis's texts without the command's arguments", () => {
  it.each([
    [
      "NOGROUP No such key 'orders:card-4111' or consumer group 'g' in XREADGROUP with GROUP option",
      "NOGROUP",
    ],
    ["NOGROUP No such consumer group 'g' for key name 'orders:card-4111'", "NOGROUP"],
    [
      "ERR user_script:1: Script attempted to access nonexistent global variable 'card_4111' script: ba7655a0b6f792a09dd1697b207c06425b233ad1, on @user_script:1.",
      "ERR",
    ],
    [
      'ERR wrong number of arguments for \'xadd\' command, command was: ["xadd","orders","*","card","4111"]',
      "ERR",
    ],
    ["Command failed: ERR Error running script (call to f_x): card 4111", "ERR"],
    ["Command 2 [ XADD ] failed: ERR value 'card-4111' is not valid", "ERR"],
  ])("keeps only the code of %j", (text, code) => {
    const error = new RedisCommandError("XREADGROUP", text);
    expect(error.message).toBe(`XREADGROUP failed: ${code}`);
    expect(error).toMatchObject({ redisCode: code, kind: "reply" });
    expect((error.cause as Error).message).toBe(text);
  });

  it.each([
    "WRONGTYPE Operation against a key holding the wrong kind of value",
    "BUSYGROUP Consumer Group name already exists",
    "NOSCRIPT No matching script. Please use EVAL.",
    "ERR no such key",
    "ERR The ID specified in XADD is equal or smaller than the target stream top item",
  ])("keeps Redis's fixed message %j whole", (text) => {
    expect(new RedisCommandError("EVALSHA x", text).message).toBe(`EVALSHA x failed: ${text}`);
  });

  it("keeps a fixed message raised inside a script, without the script's position", () => {
    const text =
      "WRONGTYPE Operation against a key holding the wrong kind of value script: 67397ff573b006010a0cddd0a8470484406c167e, on @user_script:1.";
    expect(new RedisCommandError("EVALSHA x", text).message).toBe(
      "EVALSHA x failed: WRONGTYPE Operation against a key holding the wrong kind of value",
    );
  });

  it("recognises Upstash's per-consumer PEL cap by its kind, without the names it quotes", () => {
    const error = new RedisCommandError(
      "XREADGROUP",
      "ERR XReadGroup is cancelled. Pending Entries List limit per consumer is about to be reached. Limit: 1000, Current PEL size: 990, Requested Read: 50, Key: orders:card-4111, Group: g, Consumer: cron-1.",
    );
    expect(error).toMatchObject({ kind: "pel-limit", redisCode: "ERR" });
    expect(error.message).toBe(
      "XREADGROUP failed: ERR XReadGroup is cancelled. Pending Entries List limit per consumer is about to be reached. Limit: 1000",
    );
  });

  it("keeps NOGROUP detectable by isNoGroupError", () => {
    const error = new RedisCommandError(
      "XREADGROUP",
      "NOGROUP No such key 's' or consumer group 'g'",
    );
    expect(isNoGroupError(error)).toBe(true);
  });

  it.each([
    ["Unable to parse response body: <html>card 4111</html>", "Unable to parse response body"],
    ['Unauthorized: missing or invalid bearer token, command was: ["GET","k"]', "Unauthorized"],
    ["Network connection lost.", "Network connection lost."],
  ])("keeps what failed of a reply-less failure %j, not what with", (text, shown) => {
    expect(summariseRedisError(text)).toEqual({
      text: shown,
      redisCode: undefined,
      kind: "transport",
    });
  });

  it("summarises an error that escaped the call layer the same way in a report", () => {
    const raw = new Error(
      "ERR user_script:3: card 4111 script: ba7655a0b6f792a09dd1697b207c06425b233ad1, on @user_script:3.",
    );
    expect(toReportError(raw)).toEqual({ code: "REDIS_ERROR", message: "ERR" });
    expect(toReportError(new RedisCommandError("XACK", "ERR bad 4111"))).toEqual({
      code: "REDIS_ERROR",
      message: "XACK failed: ERR",
    });
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
