/** @module The one way the core calls Redis: one command or one pipeline, counted and wrapped alike. */
import type { Redis } from "@upstash/redis";
import { RedisCommandError, ReplyShapeError, RequestBudgetError } from "../errors";
import type { RequestBudget } from "./budget";

/**
 * Everything the core asks of an `@upstash/redis` client (made by `createStreamsRedis`).
 * Each function narrows it to the methods it really uses.
 */
export type StreamsRedis = Pick<Redis, "exec" | "pipeline" | "evalsha" | "eval">;

/** A pipeline of the client, filled with its typed command methods. */
export type Pipeline = ReturnType<Redis["pipeline"]>;

/** A command with its arguments, as `exec` takes it: `["XPENDING", stream, group, "-", "+", 10]`. */
export type Command = [string, ...(string | number)[]];

/** One pipelined command's outcome: `error` is Redis's error text (e.g. `NOGROUP ...`). */
export type PipelineReply = { result: unknown; error?: string };

/**
 * Sends one HTTP request: counts it against `budget` before it leaves (a failed request is
 * a subrequest too) and turns whatever it throws into a {@link RedisCommandError} naming
 * `command`, the original kept as `cause`. The budget is a hard cap: callers check what
 * fits before they start something, and this refuses the request that would pass it.
 * @throws RequestBudgetError when the budget has no request left (nothing is sent)
 * @throws RedisCommandError
 */
export async function request<T>(
  budget: RequestBudget,
  command: string,
  send: () => Promise<T>,
): Promise<T> {
  if (!budget.fits(1)) {
    throw new RequestBudgetError(command, budget.max);
  }
  budget.spend();
  try {
    return await send();
  } catch (e) {
    throw RedisCommandError.from(command, e);
  }
}

/** `XINFO GROUPS`, `XGROUP CREATE`: a container command is named with its subcommand. */
const WITH_SUBCOMMAND = new Set(["XINFO", "XGROUP"]);

function commandName([name, sub]: Command): string {
  const upper = name.toUpperCase();
  return WITH_SUBCOMMAND.has(upper) && sub !== undefined ? `${upper} ${sub}` : upper;
}

/**
 * Sends one command and returns Redis's raw reply (`automaticDeserialization: false`).
 * @throws RedisCommandError naming the command (never its arguments)
 */
export function sendCommand(
  redis: Pick<Redis, "exec">,
  budget: RequestBudget,
  command: Command,
): Promise<unknown> {
  return request(budget, commandName(command), () => redis.exec(command));
}

/**
 * Sends a filled pipeline as one HTTP request (`POST /pipeline`) with `keepErrors`, so a
 * failed command (a missing group, a wrong type) fails only its own reply; read it with
 * {@link replyResult}.
 * @param label names the request in errors, e.g. `XACK+XREADGROUP`
 * @throws RedisCommandError when the request itself fails (network, auth, HTTP status)
 * @throws ReplyShapeError when the answer is not one `{ result, error? }` per command
 */
export async function sendPipeline(
  pipeline: Pipeline,
  budget: RequestBudget,
  label: string,
): Promise<PipelineReply[]> {
  const expected = pipeline.length();
  const raw: unknown = await request(budget, label, () => pipeline.exec({ keepErrors: true }));
  if (!Array.isArray(raw) || raw.length !== expected) {
    throw new ReplyShapeError(`${label}: pipeline of ${expected} commands answered ${typeof raw}`);
  }
  return raw.map((item: unknown, i) => toPipelineReply(item, `${label} reply ${i}`));
}

function toPipelineReply(item: unknown, what: string): PipelineReply {
  if (typeof item !== "object" || item === null) {
    throw new ReplyShapeError(`${what} is not an object`);
  }
  // A failed command carries `error` and no `result`.
  if ("error" in item && typeof item.error === "string") {
    return { result: null, error: item.error };
  }
  if (!("result" in item)) {
    throw new ReplyShapeError(`${what} has neither result nor error`);
  }
  return { result: item.result };
}

/**
 * The result of one pipelined command.
 * @throws RedisCommandError naming `command` when that command failed or has no reply
 */
export function replyResult(reply: PipelineReply | undefined, command: string): unknown {
  if (reply === undefined) {
    throw new RedisCommandError(command, "no reply in the pipeline response");
  }
  if (reply.error !== undefined) {
    throw new RedisCommandError(command, reply.error);
  }
  return reply.result;
}
