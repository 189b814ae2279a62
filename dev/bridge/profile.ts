/** @module The bridge's profiles: plain Redis, or Redis behind Upstash's limits and reply shapes. */
import { guardReadGroup } from "./pel-limit";
import type { Command, RawReply } from "./protocol";

/**
 * `upstash`: what a Worker meets on Upstash (request-size cap, per-consumer PEL cap, no Redis
 * 7.0 group fields). `redis`: plain pass-through to the Redis behind the bridge.
 */
export const PROFILES = ["upstash", "redis"] as const;

export type ProfileName = (typeof PROFILES)[number];

const MIB = 1024 * 1024;

/**
 * Largest request body per profile, in bytes. Upstash documents 10 MB for its Free and
 * Pay-as-you-go plans (1 MB in earlier versions of its docs) and reports it as 10485760
 * bytes; the plain profile's cap only protects the bridge.
 */
export const DEFAULT_MAX_REQUEST_BYTES: Record<ProfileName, number> = {
  upstash: 10 * MIB,
  redis: 16 * MIB,
};

/** Upstash's cap on one consumer's pending entries, as its XREADGROUP error reports it. */
export const DEFAULT_PEL_LIMIT = 1000;

/**
 * The 413 message for a body of `size` bytes over `limit`: Upstash's own words under the
 * `upstash` profile (`ERR max request size exceeded. Limit: ... bytes, Actual: ... bytes`).
 */
export function tooLargeMessage(profile: ProfileName, size: number, limit: number): string {
  return profile === "upstash"
    ? `ERR max request size exceeded. Limit: ${limit} bytes, Actual: ${size} bytes`
    : `body of ${size} bytes is larger than ${limit} bytes`;
}

/** How a profile changes a command on its way to Redis and its reply on the way back. */
export type Emulation = {
  /** The command actually sent to Redis for `command`. */
  outgoing(command: Command): Command;
  /** The reply the client gets for `command`. */
  incoming(command: Command, reply: RawReply): RawReply;
};

const passThrough: Emulation = {
  outgoing: (command) => command,
  incoming: (_command, reply) => reply,
};

/** The emulation of `profile`; `pelLimit` caps one consumer's pending entries under `upstash`. */
export function emulation(profile: ProfileName, pelLimit: number): Emulation {
  if (profile === "redis") {
    return passThrough;
  }
  return {
    outgoing: (command) => guardReadGroup(command, pelLimit),
    incoming: (command, reply) => (isXInfoGroups(command) ? withoutGroupFields(reply) : reply),
  };
}

function isXInfoGroups(command: Command): boolean {
  return command[0]?.toUpperCase() === "XINFO" && command[1]?.toUpperCase() === "GROUPS";
}

/** Fields Redis 7.0 added to XINFO GROUPS; Upstash documents its streams up to Redis 6.2. */
const REDIS_7_GROUP_FIELDS = new Set(["entries-read", "lag"]);

/**
 * An XINFO GROUPS reply without the Redis 7.0 pairs. Raw shape, one flat array per group:
 * `[["name", "g", "consumers", 1, "pending", 2, "last-delivered-id", "2-0",
 * "entries-read", 2, "lag", 0]]` becomes `[["name", "g", "consumers", 1, "pending", 2,
 * "last-delivered-id", "2-0"]]`. Anything of another shape (an error) is returned as it is.
 */
export function withoutGroupFields(reply: RawReply): RawReply {
  if (!Array.isArray(reply)) {
    return reply;
  }
  return reply.map((group) => {
    if (!Array.isArray(group)) {
      return group;
    }
    const kept: RawReply[] = [];
    for (let i = 0; i < group.length; i += 2) {
      const name = group[i];
      if (!(Buffer.isBuffer(name) && REDIS_7_GROUP_FIELDS.has(name.toString("utf8")))) {
        kept.push(...group.slice(i, i + 2));
      }
    }
    return kept;
  });
}
