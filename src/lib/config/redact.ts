/**
 * @module What of a URL or of a failed Redis call's text may be echoed in errors, logs and HTTP
 * answers: the parts that carry secrets or a command's arguments are left out.
 */

/** `scheme:` with its slashes (backslashes too, as WHATWG URLs allow). */
const SCHEME = /^[a-z][a-z0-9+.-]*:[/\\]+/i;

const REDACTED = "<redacted>";

/**
 * `url` as it may be shown in an error message, a log line or an HTTP answer: userinfo, query
 * string and fragment replaced by `<redacted>`, scheme and host kept. Webhook and REST URLs
 * often carry credentials there (`https://user:pass@host/`, `?token=...`).
 *
 * Works on text, not on a parsed URL, so a value that does not parse (the very ones a
 * configuration error echoes, `htps//user:pass@host`) is redacted too. It errs on the safe
 * side: everything before the last `@` counts as userinfo, an `@` in a path included.
 * @example redactUrl("https://u:p@x.example/hook?token=s#f") // "https://<redacted>@x.example/hook?<redacted>#<redacted>"
 */
export function redactUrl(url: string): string {
  const hash = url.indexOf("#");
  const beforeHash = hash === -1 ? url : url.slice(0, hash);
  const query = beforeHash.indexOf("?");
  const base = query === -1 ? beforeHash : beforeHash.slice(0, query);
  const lead = SCHEME.exec(base)?.[0] ?? "";
  const rest = base.slice(lead.length);
  const at = rest.lastIndexOf("@");
  const hostAndPath = at === -1 ? rest : `${REDACTED}@${rest.slice(at + 1)}`;
  return `${lead}${hostAndPath}${query === -1 ? "" : `?${REDACTED}`}${hash === -1 ? "" : `#${REDACTED}`}`;
}

/** A URL with a scheme inside free text (an error message), up to the next white space. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/\S+/gi;

/** `text` with every `scheme://...` URL in it passed through {@link redactUrl}. */
export function redactUrlsIn(text: string): string {
  return text.replace(URL_IN_TEXT, (url) => redactUrl(url));
}

/**
 * What failed: Redis (or Upstash) refused the command (`reply`); Upstash refused an
 * XREADGROUP because the reading consumer's pending entries would pass its cap
 * (`pel-limit`: ack or reclaim first, a retry as such cannot help); or no usable reply came
 * at all (`transport`: network, HTTP status, unparsable body).
 */
export type RedisFailureKind = "reply" | "pel-limit" | "transport";

/**
 * Redis's error replies that carry no argument of the command, shown in full (after the code).
 * Lua errors, NOGROUP and most `ERR` texts quote arguments and show as their code alone.
 */
export const FIXED_REPLIES: ReadonlySet<string> = new Set([
  "ERR no such key",
  "ERR syntax error",
  "ERR value is not an integer or out of range",
  "ERR Invalid stream ID specified as stream command argument",
  "ERR The ID specified in XADD is equal or smaller than the target stream top item",
  "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
  "BUSYGROUP Consumer Group name already exists",
  "NOSCRIPT No matching script. Please use EVAL.",
  "WRONGTYPE Operation against a key holding the wrong kind of value",
  "NOAUTH Authentication required.",
  "WRONGPASS invalid or missing auth token",
  "WRONGPASS invalid username-password pair or user is disabled.",
  "OOM command not allowed when used memory > 'maxmemory'.",
  "LOADING Redis is loading the dataset in memory",
  "READONLY You can't write against a read only replica.",
  "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSCRIPT.",
  "EXECABORT Transaction discarded because of previous errors.",
]);

/** Upstash's refusal of a read past the per-consumer PEL cap, up to where it names things. */
const PEL_LIMIT =
  "ERR XReadGroup is cancelled. Pending Entries List limit per consumer is about to be reached.";

/** An error reply starts with its code: upper-case letters (and digits, `_`), then a space. */
const REDIS_CODE = /^([A-Z][A-Z0-9_]+)(?:\s|$)/;

/** What the client wraps around Redis's text: `Command failed: `, `Command 2 [ XACK ] failed: `. */
const CLIENT_PREFIX = /^Command (?:\d+ \[ [^\]]* \] )?failed: /;

/** Redis 7 appends where in a script an error came from. */
const SCRIPT_SUFFIX = / script: [0-9a-f]{40}, on @user_script:\d+\.$/;

const MAX_DETAIL = 300;

/**
 * The part of a failed call's text that is safe to show, by the rule of
 * `RedisCommandError`, with Redis's error code and what kind of failure it is.
 * @example summariseRedisError("NOGROUP No such key 'orders' or consumer group 'g' in XREADGROUP with GROUP option") // { text: "NOGROUP", redisCode: "NOGROUP", kind: "reply" }
 */
export function summariseRedisError(detail: string): {
  text: string;
  redisCode: string | undefined;
  kind: RedisFailureKind;
} {
  // Upstash's HTTP errors end with the whole command, arguments included.
  const [reply = ""] = detail.replace(CLIENT_PREFIX, "").split(", command was: ");
  if (reply.startsWith(PEL_LIMIT)) {
    const limit = /\bLimit: (\d+)/.exec(reply)?.[1];
    const text = limit === undefined ? PEL_LIMIT : `${PEL_LIMIT} Limit: ${limit}`;
    return { text, redisCode: "ERR", kind: "pel-limit" };
  }
  const code = REDIS_CODE.exec(reply)?.[1];
  if (code !== undefined) {
    const fixed = reply.replace(SCRIPT_SUFFIX, "");
    return { text: FIXED_REPLIES.has(fixed) ? fixed : code, redisCode: code, kind: "reply" };
  }
  const [what = ""] = reply.split(": ");
  const noBearer = redactUrlsIn(what).replace(/\bBearer\s+\S+/gi, "Bearer <redacted>");
  const text = noBearer.length > MAX_DETAIL ? `${noBearer.slice(0, MAX_DETAIL)}…` : noBearer;
  return { text, redisCode: undefined, kind: "transport" };
}
