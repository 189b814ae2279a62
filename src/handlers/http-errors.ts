/** @module Maps every error the HTTP API can meet to one status and `{ error: { code, message } }`. */
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { DeadLetterInputError } from "../lib/dead-letter/select";
import {
  ConfigError,
  GroupNotFoundError,
  IdPastEndError,
  RedisCommandError,
  ReplyShapeError,
  StreamsWorkerError,
} from "../lib/errors";
import { QueryError } from "./query";

/** An error that already knows its HTTP answer (auth, routing). */
export class HttpError extends StreamsWorkerError {
  readonly status: ContentfulStatusCode;
  readonly headers: Record<string, string>;

  constructor(
    status: ContentfulStatusCode,
    code: string,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(code, message);
    this.name = "HttpError";
    this.status = status;
    this.headers = headers;
  }
}

export type ErrorAnswer = {
  status: ContentfulStatusCode;
  code: string;
  message: string;
  headers: Record<string, string>;
};

const answer = (status: ContentfulStatusCode, code: string, message: string): ErrorAnswer => ({
  status,
  code,
  message,
  headers: {},
});

/**
 * The one place statuses are decided. Messages of this package's errors are safe to show
 * (ConfigError redacts secrets and the secret parts of URLs, RedisCommandError keeps the
 * command and Redis's error code, never the arguments); anything else is a bug whose text
 * might hold anything, so it answers a bare 500.
 */
export function toErrorAnswer(err: unknown): ErrorAnswer {
  if (err instanceof HttpError) {
    return { status: err.status, code: err.code, message: err.message, headers: err.headers };
  }
  if (err instanceof QueryError || err instanceof IdPastEndError) {
    return answer(400, err.code, err.message);
  }
  if (err instanceof DeadLetterInputError) {
    return answer(400, err.code, err.message);
  }
  if (err instanceof GroupNotFoundError) {
    return answer(404, err.code, err.message);
  }
  if (err instanceof ConfigError) {
    return answer(500, err.code, err.message);
  }
  // Redis answered something unusable, or not at all: the fault is upstream.
  if (err instanceof RedisCommandError || err instanceof ReplyShapeError) {
    return answer(502, err.code, err.message);
  }
  if (err instanceof StreamsWorkerError) {
    return answer(500, err.code, err.message);
  }
  if (err instanceof HTTPException && err.status < 500) {
    return answer(err.status as ContentfulStatusCode, "BAD_REQUEST", err.message || "bad request");
  }
  return answer(500, "INTERNAL", "internal error");
}
