/** @module Runs a Lua script by SHA, loading it with EVAL the first time Redis lacks it. */
import type { Redis } from "@upstash/redis";
import { RedisCommandError } from "../errors";
import { counted, type RequestCounter } from "./budget";

export type ScriptRedis = Pick<Redis, "evalsha" | "eval">;

/** A Lua script with its SHA-1 computed once per isolate (WebCrypto: Workers and Node). */
export class LuaScript {
  private sha: Promise<string> | undefined;

  constructor(
    /** Short name used in errors. */
    readonly name: string,
    readonly source: string,
  ) {}

  sha1(): Promise<string> {
    this.sha ??= crypto.subtle
      .digest("SHA-1", new TextEncoder().encode(this.source))
      .then((buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join(""));
    return this.sha;
  }

  /**
   * EVALSHA, and EVAL only when Redis answers NOSCRIPT (after a restart or SCRIPT FLUSH):
   * one request normally, two after a flush; both are counted.
   * @see https://redis.io/commands/evalsha
   */
  async run(
    redis: ScriptRedis,
    keys: string[],
    args: string[],
    counter: RequestCounter,
  ): Promise<unknown> {
    const sha = await this.sha1();
    try {
      return await counted(counter, redis.evalsha(sha, keys, args));
    } catch (e) {
      if (!/noscript/i.test(String((e as Error)?.message))) {
        throw RedisCommandError.from(`EVALSHA ${this.name}`, e);
      }
    }
    try {
      return await counted(counter, redis.eval(this.source, keys, args));
    } catch (e) {
      throw RedisCommandError.from(`EVAL ${this.name}`, e);
    }
  }
}
