/** @module Named error classes with stable codes, shared by the library and the HTTP API. */

import { type RedisFailureKind, summariseRedisError } from "./config/redact";

export type { RedisFailureKind } from "./config/redact";

/** Options accepted by every error of this package (ES2022 `cause`). */
export type StreamsErrorOptions = { cause?: unknown };

/** Base class of every error this package throws; `code` is stable across versions. */
export class StreamsWorkerError extends Error {
  override name = "StreamsWorkerError";
  readonly code: string;

  constructor(code: string, message: string, options?: StreamsErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/**
 * The environment failed validation. `variable` names the first offending variable,
 * `variables` all of them (the message lists every problem, separated by `; `).
 */
export class ConfigError extends StreamsWorkerError {
  override readonly name = "ConfigError";
  readonly variable: string;
  readonly variables: readonly string[];

  constructor(
    variable: string | readonly string[],
    message: string,
    options?: StreamsErrorOptions,
  ) {
    super("CONFIG_INVALID", message, options);
    this.variables = typeof variable === "string" ? [variable] : [...variable];
    this.variable = this.variables[0] ?? "";
  }
}

/**
 * Thrown by a handler to dead-letter the message at once instead of waiting for
 * MAX_DELIVERIES: retrying cannot help (bad payload, 4xx from the target).
 */
export class PermanentError extends StreamsWorkerError {
  override readonly name = "PermanentError";
  constructor(message: string, options?: StreamsErrorOptions) {
    super("PERMANENT", message, options);
  }
}

/**
 * A Redis call failed. The message names the command and Redis's error code, never the
 * command's arguments: it ends up in logs, reports and HTTP answers, and Redis's error texts
 * quote keys, group names and values (a Lua error quotes the script's own line, an Upstash
 * HTTP error the whole command, message bodies included). The original error stays in `cause`
 * only, which nothing logs or answers.
 *
 * The rule the message follows, from the text of the failure:
 * - a Redis error reply (`CODE text`, Upstash's `Command failed: ` prefix and
 *   `, command was: [...]` suffix removed): `<command> failed: CODE`, followed by the text
 *   only when it is one of Redis's fixed messages without arguments (`FIXED_REPLIES`,
 *   e.g. `WRONGTYPE Operation against a key holding the wrong kind of value`); a NOGROUP
 *   names the key and the group, so it shows as `NOGROUP` alone;
 * - Upstash's per-consumer PEL cap: its fixed phrase and the cap, `kind` `pel-limit`;
 * - no Redis reply (network, HTTP): the text before its first `": "` (what failed, not what
 *   with), URLs in it without userinfo, query or fragment, bearer tokens removed.
 * @see summariseRedisError
 */
export class RedisCommandError extends StreamsWorkerError {
  override readonly name = "RedisCommandError";
  readonly command: string;
  /** Redis's error code (`NOGROUP`, `WRONGTYPE`, `ERR`, ...); undefined when no reply came. */
  readonly redisCode: string | undefined;
  readonly kind: RedisFailureKind;

  /**
   * @param command Redis command name, e.g. `XREADGROUP`
   * @param detail the failure's text as the client or Redis gave it (summarised, see above);
   *   kept as `cause` when no `cause` is given
   */
  constructor(command: string, detail?: string, options?: StreamsErrorOptions) {
    const summary = summariseRedisError(detail ?? "");
    const cause = options?.cause ?? (detail ? new Error(detail) : undefined);
    super(
      "REDIS_ERROR",
      summary.text ? `${command} failed: ${summary.text}` : `${command} failed`,
      cause === undefined ? undefined : { cause },
    );
    this.command = command;
    this.redisCode = summary.redisCode;
    this.kind = summary.kind;
  }

  /** Wraps whatever a Redis call threw, keeping it as `cause`. */
  static from(command: string, cause: unknown): RedisCommandError {
    return new RedisCommandError(command, errorMessage(cause), { cause });
  }
}

/**
 * A request was not sent because the run's request budget (`maxRequests`) is used up. The
 * drain and the sweep report it as `stoppedBy: "requests"`: what was not settled stays
 * pending for the next run.
 */
export class RequestBudgetError extends StreamsWorkerError {
  override readonly name = "RequestBudgetError";
  readonly command: string;

  constructor(command: string, max: number) {
    super("REQUEST_BUDGET", `${command} not sent: all ${max} requests of this run are used`);
    this.command = command;
  }
}

/** The stream or the group does not exist (e.g. a reset of a missing group); HTTP 404. */
export class GroupNotFoundError extends StreamsWorkerError {
  override readonly name = "GroupNotFoundError";
  readonly stream: string;
  readonly group: string;

  constructor(stream: string, group: string, options?: StreamsErrorOptions) {
    const what = `no consumer group ${JSON.stringify(group)} on stream ${JSON.stringify(stream)}`;
    super("NOGROUP", what, options);
    this.stream = stream;
    this.group = group;
  }
}

/**
 * A group was to be moved past the end of its stream (`XGROUP SETID` takes any id): it would
 * skip every entry added until the stream catches up with that id, silently. HTTP 400.
 */
export class IdPastEndError extends StreamsWorkerError {
  override readonly name = "IdPastEndError";
  readonly id: string;
  /** The stream's last id (`last-generated-id`) when the request was refused. */
  readonly lastId: string;

  constructor(id: string, lastId: string) {
    super(
      "ID_PAST_END",
      `id ${JSON.stringify(id)} is past the end of the stream, whose last id is ${JSON.stringify(lastId)}: use "$" to skip to the end`,
    );
    this.id = id;
    this.lastId = lastId;
  }
}

/** Where a publish's input went wrong: the message's position, and the field at fault. */
export type PublishInputPlace = { index?: number; field?: string };

/**
 * A message given to `publish()` (or `POST /publish`) cannot be stored as given: no fields, a
 * value that is not a string, an empty idempotency key. HTTP 400. The message names the
 * message's index and the field, never a value.
 */
export class PublishInputError extends StreamsWorkerError {
  override readonly name = "PublishInputError";
  /** Position of the offending message in the batch; undefined when the batch itself is wrong. */
  readonly index: number | undefined;
  /** The offending field's name, when a field is at fault. */
  readonly field: string | undefined;

  constructor(message: string, place: PublishInputPlace = {}, options?: StreamsErrorOptions) {
    super("PUBLISH_INVALID", message, options);
    this.index = place.index;
    this.field = place.field;
  }
}

/** A raw Redis reply did not have the shape its parser expects. */
export class ReplyShapeError extends StreamsWorkerError {
  override readonly name = "ReplyShapeError";
  constructor(message: string, options?: StreamsErrorOptions) {
    super("REPLY_SHAPE", message, options);
  }
}

/** The `error` of a drain or sweep report: a stable code and a message safe to log. */
export type ReportError = { code: string; message: string };

/** How a run that caught `e` ends: a used-up request budget is a limit, anything else a failure. */
export type RunStop = { stoppedBy: "requests" } | { stoppedBy: "error"; error: ReportError };

/** The drain's and the sweep's one rule for an error that ends a run (they report, never throw). */
export function stopFor(e: unknown): RunStop {
  return e instanceof RequestBudgetError
    ? { stoppedBy: "requests" }
    : { stoppedBy: "error", error: toReportError(e) };
}

/**
 * What a run reports instead of throwing when Redis fails mid-run. Messages of this package's
 * errors are safe to show; anything else (a client error that escaped the call layer) is
 * summarised by {@link RedisCommandError}'s rule, so no argument of a command gets through.
 */
export function toReportError(e: unknown): ReportError {
  if (e instanceof StreamsWorkerError) {
    return { code: e.code, message: errorMessage(e) };
  }
  const { text } = summariseRedisError(errorMessage(e));
  return { code: "REDIS_ERROR", message: text || "failed" };
}

/**
 * Message of anything thrown: handlers may throw strings, plain objects or nothing useful,
 * and reports and dead-letter entries still need text.
 */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) {
    return e.message || e.name;
  }
  if (typeof e === "string") {
    return e;
  }
  if (e === undefined || e === null) {
    return String(e);
  }
  try {
    const json = JSON.stringify(e);
    return json ?? String(e);
  } catch {
    return String(e);
  }
}

/**
 * A message given to a queue's `send` or `sendBatch` cannot be sent as given: a content type
 * other than `json` or `text`, a `delaySeconds` outside 0 to 86,400, a body that cannot be
 * JSON (or is not a string under `text`), a message over the size limit, a batch of more than
 * 100. Nothing of the call is sent. The message names the message's index and what was wrong,
 * never the body.
 */
export class QueueSendError extends StreamsWorkerError {
  override readonly name = "QueueSendError";
  /** Position of the offending message in the batch (0 for `send`); undefined for the batch. */
  readonly index: number | undefined;

  constructor(message: string, place: { index?: number } = {}, options?: StreamsErrorOptions) {
    super("QUEUE_SEND_INVALID", message, options);
    this.index = place.index;
  }
}
