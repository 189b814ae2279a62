/** @module Runs a Lua script by SHA, loading it with EVAL the first time Redis lacks it. */
import type { Redis } from "@upstash/redis";
import { asArray, asString } from "../replies/shape";
import type { RequestBudget } from "./budget";
import { request } from "./calls";
import type { StreamGroup } from "./keys";

export type ScriptRedis = Pick<Redis, "evalsha" | "eval">;

/** What a script run on one stream's group needs: the client, the names, the budget. */
export type ScriptTarget = StreamGroup & { redis: ScriptRedis; budget: RequestBudget };

/** Most requests one script run makes: EVALSHA, then EVAL after a NOSCRIPT. */
export const SCRIPT_MAX_REQUESTS = 2;

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
   * @throws RedisCommandError naming the script
   * @see https://redis.io/commands/evalsha
   */
  async run(
    redis: ScriptRedis,
    keys: string[],
    args: string[],
    budget: RequestBudget,
  ): Promise<unknown> {
    const sha = await this.sha1();
    try {
      return await request(budget, `EVALSHA ${this.name}`, () => redis.evalsha(sha, keys, args));
    } catch (e) {
      if (!/noscript/i.test((e as Error).message)) {
        throw e;
      }
    }
    return request(budget, `EVAL ${this.name}`, () => redis.eval(this.source, keys, args));
  }

  /**
   * {@link run} for the scripts that answer a list of ids or names (what they acted on).
   *
   * Raw: `["1795709122566-0", "1795709122567-0"]`
   * @throws ReplyShapeError when the reply is not a list of strings
   */
  async runForIds(
    redis: ScriptRedis,
    keys: string[],
    args: string[],
    budget: RequestBudget,
  ): Promise<string[]> {
    const what = `${this.name} reply`;
    const reply = await this.run(redis, keys, args, budget);
    return asArray(reply, what).map((id) => asString(id, `${what} item`));
  }
}
