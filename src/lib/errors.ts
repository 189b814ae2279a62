/** @module Named error classes with stable codes, shared by the library and the HTTP API. */

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
 * A Redis call failed. The message names the command (never its arguments): the underlying
 * client error may carry the endpoint URL, so it stays in `cause` and only a scrubbed
 * summary of it reaches `message`, which ends up in logs and HTTP responses.
 */
export class RedisCommandError extends StreamsWorkerError {
  override readonly name = "RedisCommandError";
  readonly command: string;

  /**
   * @param command Redis command name, e.g. `XREADGROUP`
   * @param detail what went wrong; URLs in it are replaced by `<url>`
   */
  constructor(command: string, detail?: string, options?: StreamsErrorOptions) {
    const safe = detail ? scrub(detail) : "";
    super("REDIS_ERROR", safe ? `${command} failed: ${safe}` : `${command} failed`, options);
    this.command = command;
  }

  /** Wraps whatever a Redis call threw, keeping it as `cause`. */
  static from(command: string, cause: unknown): RedisCommandError {
    return new RedisCommandError(command, errorMessage(cause), { cause });
  }
}

const MAX_DETAIL = 300;

/** Fetch failures quote the request URL, and userinfo or query strings may hold secrets. */
function scrub(detail: string): string {
  const noUrls = detail.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, "<url>");
  const noBearer = noUrls.replace(/\bBearer\s+\S+/gi, "Bearer <redacted>");
  return noBearer.length > MAX_DETAIL ? `${noBearer.slice(0, MAX_DETAIL)}…` : noBearer;
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

/** What a run reports instead of throwing when Redis fails mid-run. */
export function toReportError(e: unknown): ReportError {
  const code = e instanceof StreamsWorkerError ? e.code : "REDIS_ERROR";
  return { code, message: errorMessage(e) };
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
