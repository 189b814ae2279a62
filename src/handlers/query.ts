/** @module Query-string parameters of the HTTP API: parsed strictly, 400 naming the parameter. */
import { describeRange, RANGES } from "../lib/config/ranges";
import {
  checkDeadLetterId,
  checkRedriveIds,
  DeadLetterInputError,
} from "../lib/dead-letter/select";
import { StreamsWorkerError } from "../lib/errors";
import { isStreamId } from "../lib/replies/index";

/** A query parameter was missing or out of range; the HTTP API answers 400. */
export class QueryError extends StreamsWorkerError {
  readonly parameter: string;

  /**
   * @param parameter its name, e.g. `count`
   * @param message says the name, what was expected and what came
   */
  constructor(parameter: string, message: string) {
    super("INVALID_QUERY", message);
    this.name = "QueryError";
    this.parameter = parameter;
  }
}

const SHOWN_MAX = 40;
const DIGITS = /^\d+$/;
const BOOLEANS = new Map([
  ["true", true],
  ["false", false],
  ["1", true],
  ["0", false],
]);
const STREAM_ID = 'a stream id like "1700000000000-0"';

function shown(value: string): string {
  return JSON.stringify(value.length > SHOWN_MAX ? `${value.slice(0, SHOWN_MAX)}…` : value);
}

function bad(parameter: string, expected: string, value: string): never {
  throw new QueryError(parameter, `${parameter} must be ${expected}, got ${shown(value)}`);
}

/**
 * The one value of a query parameter, `undefined` when absent. A repeated parameter
 * (`?count=5&count=500`) is refused rather than one of its values picked: which one the
 * caller meant is a guess, and the other may be the one a proxy or a script added.
 * @param values every value the query string holds for it (hono's `c.req.queries(name)`)
 * @throws QueryError naming the parameter
 */
export function singleParam(
  parameter: string,
  values: readonly string[] | undefined,
): string | undefined {
  if (values !== undefined && values.length > 1) {
    throw new QueryError(
      parameter,
      `${parameter} must be given once, got it ${values.length} times`,
    );
  }
  return values?.[0];
}

/**
 * An integer in `[min, max]`, digits only: `1e3`, `+5`, ` 5` and `5.0` are refused rather
 * than guessed at. Absent or empty → `fallback`.
 * @throws QueryError naming the parameter, the range and the value
 */
export function parseIntegerParam(
  parameter: string,
  raw: string | undefined,
  [min, max]: readonly [number, number],
  fallback: number,
): number {
  if (raw === undefined || raw === "") {
    return fallback;
  }
  const value = DIGITS.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    bad(parameter, describeRange([min, max]), raw);
  }
  return value;
}

/** `count` of `/dlq` and `/dlq/redrive`: within `RANGES.listCount` (1..1000). */
export function parseCount(raw: string | undefined, fallback: number): number {
  return parseIntegerParam("count", raw, RANGES.listCount, fallback);
}

/** `start` of `/dlq`: the newest dead-letter id to list (the previous page's `next`). */
export function parseStart(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === "") {
    return undefined;
  }
  return isStreamId(raw) ? raw : bad("start", STREAM_ID, raw);
}

/** `dryRun`: `true`/`false`/`1`/`0` (any case); absent → false. */
export function parseDryRun(raw: string | undefined): boolean {
  if (raw === undefined || raw === "") {
    return false;
  }
  return BOOLEANS.get(raw.toLowerCase()) ?? bad("dryRun", "true, false, 1 or 0", raw);
}

/** `id` of `/group/reset`: required; `0` replays everything, `$` skips to now. */
export function parseResetId(raw: string | undefined): string {
  if (raw === undefined || raw === "") {
    throw new QueryError("id", `id is required: "0", "$" or ${STREAM_ID}`);
  }
  return raw === "0" || raw === "$" || isStreamId(raw)
    ? raw
    : bad("id", `"0", "$" or ${STREAM_ID}`, raw);
}

/** `max` of `/drain`: 1..`cap` (MAX_MESSAGES), absent → `cap`. */
export function parseMax(raw: string | undefined, cap: number): number {
  return parseIntegerParam("max", raw, [1, cap], cap);
}

/** `budgetMs` of `/drain`: within `RANGES.timeBudgetMs` (100..900000), absent → `fallback`. */
export function parseBudgetMs(raw: string | undefined, fallback: number): number {
  return parseIntegerParam("budgetMs", raw, RANGES.timeBudgetMs, fallback);
}

/** Runs a check of the library, its DeadLetterInputError answered as a QueryError (400). */
function asQuery<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof DeadLetterInputError) {
      throw new QueryError(e.argument, e.message);
    }
    throw e;
  }
}

/**
 * `ids` of `/dlq/redrive`: dead-letter ids separated by commas (`?ids=1-0,2-0`), 1 to 100
 * (`DEFAULTS.redrivePageSize`), each a complete stream id, none twice; absent → `undefined`
 * (a range), empty → refused. Refused beside `start` or `count`, which describe a range.
 * @param range the raw `start` and `count` of the same request
 * @throws QueryError naming the limit, or the bad or repeated id
 */
export function parseRedriveIds(
  raw: string | undefined,
  range: { start?: string; count?: string },
): string[] | undefined {
  if (raw === undefined) {
    return undefined;
  }
  const given = (v: string | undefined) => (v === "" ? undefined : v);
  const { start, count } = range;
  // Unlike other parameters, an empty `ids=` is not absent: an empty selection must not
  // turn into a redrive of the oldest page.
  const ids = raw === "" ? [] : raw.split(",");
  return asQuery(() => checkRedriveIds({ ids, start: given(start), count: given(count) }));
}

/** The `<id>` of `/dlq/<id>`: a complete stream id, each part at most 2^64 − 1. */
export function parseDeadLetterId(raw: string): string {
  return asQuery(() => checkDeadLetterId(raw));
}
