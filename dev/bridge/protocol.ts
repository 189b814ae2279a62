/** @module The Upstash REST wire format: validating command bodies and encoding replies. */

/** A command as Redis receives it: every argument already a string. */
export type Command = string[];

/** A reply as node-redis hands it over with Buffer type mapping (RESP2). */
export type RawReply = Buffer | number | bigint | null | Error | RawReply[];

/** A JSON value as it goes onto the wire. */
export type WireValue = string | number | null | WireValue[];

/** A body the bridge refuses, answered with 400 and this message. */
export class BadRequest extends Error {
  override name = "BadRequest";
}

/** Why a refused command cannot run through a bridge that shares its connections. */
const BLOCKS = "it would block a shared connection";
const TRANSACTION = "send transactions to /multi-exec";
const PUSHES = "it turns the connection into a stream of pushes no request is waiting for";
const STATE = "it changes the state of a connection other requests share";
const SERVER = "it changes the server for every client of the shared Redis";

/**
 * Commands that would block a pooled connection, change its state for every later request
 * on it, or stop its replies from matching its requests (a REST request has no connection
 * of its own for them to act on). Blocking commands are refused whatever their timeout: a
 * short one still holds every request queued behind it on the connection.
 */
const REFUSED = new Map<string, string>([
  ...["BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP"].map(
    (name) => [name, BLOCKS] as const,
  ),
  ["WAIT", BLOCKS],
  ["WAITAOF", BLOCKS],
  ...["MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH"].map((name) => [name, TRANSACTION] as const),
  ...["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"].map(
    (name) => [name, PUSHES] as const,
  ),
  ["MONITOR", PUSHES],
  ["SYNC", PUSHES],
  ["PSYNC", PUSHES],
  ["REPLCONF", PUSHES],
  ...["SELECT", "QUIT", "RESET", "HELLO", "AUTH"].map((name) => [name, STATE] as const),
  ...["SHUTDOWN", "REPLICAOF", "SLAVEOF", "FAILOVER", "DEBUG"].map(
    (name) => [name, SERVER] as const,
  ),
]);

/**
 * The CLIENT subcommands that only read. The others change the connection (REPLY OFF
 * silences it, so every later reply on it goes to the wrong request; SETNAME, NO-EVICT,
 * TRACKING, ...) or other clients (PAUSE, KILL, UNBLOCK).
 */
const CLIENT_READS = new Set(["ID", "INFO", "GETNAME", "LIST", "GETREDIR", "TRACKINGINFO", "HELP"]);

/** Why `args` is refused, or null when it may run. */
function refusal(args: Command): { name: string; reason: string } | null {
  const name = (args[0] ?? "").toUpperCase();
  const reason = REFUSED.get(name);
  if (reason !== undefined) {
    return { name, reason };
  }
  if (name === "CLIENT") {
    const sub = (args[1] ?? "").toUpperCase();
    return CLIENT_READS.has(sub) ? null : { name: `CLIENT ${sub}`.trim(), reason: STATE };
  }
  return null;
}

/**
 * Validates one command array as the client sends it: `["XADD", "s", "*", "f", 1]`.
 * Strings, numbers and booleans are stringified; `null` (the client's `undefined`),
 * objects and a `BLOCK` option of XREAD/XREADGROUP are refused.
 */
export function toCommand(raw: unknown, where = "command"): Command {
  if (!Array.isArray(raw)) {
    throw new BadRequest(`${where} must be a JSON array of arguments, got ${describe(raw)}`);
  }
  if (raw.length === 0) {
    throw new BadRequest(`${where} is empty: expected at least a command name`);
  }
  const args = raw.map((arg: unknown, i) => {
    if (typeof arg === "string") {
      return arg;
    }
    if ((typeof arg === "number" && Number.isFinite(arg)) || typeof arg === "boolean") {
      return String(arg);
    }
    if (arg === null) {
      throw new BadRequest(
        `${where} argument ${i} is null (an undefined value in the client?); send a string`,
      );
    }
    throw new BadRequest(`${where} argument ${i} must be a string or number, got ${describe(arg)}`);
  });
  const refused = refusal(args);
  if (refused !== null) {
    throw new BadRequest(
      `${where}: ${refused.name} is not supported by this bridge: ${refused.reason}`,
    );
  }
  const name = (args[0] ?? "").toUpperCase();
  if (name === "XREAD" || name === "XREADGROUP") {
    const streamsAt = args.findIndex((a) => a.toUpperCase() === "STREAMS");
    const options = streamsAt === -1 ? args : args.slice(0, streamsAt);
    if (options.some((a) => a.toUpperCase() === "BLOCK")) {
      throw new BadRequest(`${where}: ${name} with BLOCK is not supported (it would hang)`);
    }
  }
  return args;
}

/** Validates a /pipeline or /multi-exec body: a non-empty array of command arrays. */
export function toCommands(raw: unknown): Command[] {
  if (!Array.isArray(raw)) {
    throw new BadRequest(`body must be a JSON array of commands, got ${describe(raw)}`);
  }
  if (raw.length === 0) {
    throw new BadRequest("body is an empty array: expected at least one command");
  }
  return raw.map((cmd, i) => toCommand(cmd, `command ${i}`));
}

/**
 * Puts a reply on the wire. With base64 every string at every depth is encoded, "OK"
 * included, because the client decodes nested strings unconditionally (`atob("OK")`
 * would turn a plain "OK" into garbage); integers and nil stay as they are.
 */
export function encodeReply(reply: RawReply, base64: boolean): WireValue {
  if (reply === null || typeof reply === "number") {
    return reply;
  }
  if (typeof reply === "bigint") {
    return Number(reply);
  }
  if (Buffer.isBuffer(reply)) {
    return base64 ? reply.toString("base64") : reply.toString("utf8");
  }
  if (reply instanceof Error) {
    // Only reachable inside arrays (EXEC replies are unwrapped before this); keep the text.
    return reply.message;
  }
  return reply.map((r) => encodeReply(r, base64));
}

function describe(value: unknown): string {
  if (value === null) {
    return "null";
  }
  if (Array.isArray(value)) {
    return "an array";
  }
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)}`;
}
