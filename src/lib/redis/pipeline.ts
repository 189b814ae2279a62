/** @module Runs one explicit @upstash/redis pipeline, keeping each command's error apart. */
import type { Redis } from "@upstash/redis";
import { RedisCommandError, ReplyShapeError } from "../errors";
import { counted, type RequestCounter } from "./budget";

/** The client surface a pipelined read needs: explicit pipelines only. */
export type PipelineRedis = Pick<Redis, "pipeline">;

/** One command's outcome: `error` is the Redis error text (e.g. `NOGROUP ...`). */
export type PipelineReply = { result: unknown; error?: string };

/**
 * Sends the pipeline as one HTTP request (`POST /pipeline`) with `keepErrors`, so a missing
 * stream or group fails only its own command instead of the whole request. With
 * `automaticDeserialization: false` each `result` is Redis's raw reply.
 * @throws RedisCommandError when the request itself fails (network, auth, HTTP status)
 * @throws ReplyShapeError when the response is not one `{result, error?}` per command
 */
export async function runPipeline(
  pipeline: ReturnType<PipelineRedis["pipeline"]>,
  counter: RequestCounter,
): Promise<PipelineReply[]> {
  const expected = pipeline.length();
  let raw: unknown;
  try {
    raw = await counted(counter, pipeline.exec({ keepErrors: true }));
  } catch (e) {
    throw RedisCommandError.from("PIPELINE", e);
  }
  if (!Array.isArray(raw) || raw.length !== expected) {
    throw new ReplyShapeError(`pipeline of ${expected} commands answered ${typeof raw}`);
  }
  return raw.map((item: unknown, i) => {
    if (typeof item !== "object" || item === null) {
      throw new ReplyShapeError(`pipeline reply ${i} is not an object`);
    }
    // A failed command carries `error` and no `result`.
    if ("error" in item && typeof item.error === "string") {
      return { result: null, error: item.error };
    }
    if (!("result" in item)) {
      throw new ReplyShapeError(`pipeline reply ${i} has neither result nor error`);
    }
    return { result: item.result };
  });
}

/** The result of one pipelined command; its error becomes a RedisCommandError naming it. */
export function replyResult(reply: PipelineReply | undefined, command: string): unknown {
  if (reply === undefined) {
    throw new RedisCommandError(command, "no reply in the pipeline response");
  }
  if (reply.error !== undefined) {
    throw new RedisCommandError(command, reply.error);
  }
  return reply.result;
}
