/** @module The bridge's HTTP server: Upstash REST endpoints in front of a RedisPool. */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isRedisReply, RedisPool, RedisUnavailable } from "./pool";
import {
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_PEL_LIMIT,
  type Emulation,
  emulation,
  type ProfileName,
  tooLargeMessage,
} from "./profile";
import {
  BadRequest,
  type Command,
  encodeReply,
  type RawReply,
  toCommand,
  toCommands,
} from "./protocol";

export type BridgeOptions = {
  /** Redis to forward to. @default "redis://127.0.0.1:6379" */
  redisUrl?: string;
  /** Bearer token clients must send. */
  token: string;
  /** @default "127.0.0.1" */
  host?: string;
  /** 0 picks a free port. @default 8079 */
  port?: number;
  /** Added to every HTTP request, standing in for an edge→Upstash round trip. @default 0 */
  latencyMs?: number;
  /**
   * `"upstash"` emulates Upstash's limits and reply shapes (see docs/local-development.md);
   * `"redis"` passes everything through. @default "redis"
   */
  profile?: ProfileName;
  /** Largest request body; larger ones get 413. @default 10 MiB (`upstash`), 16 MiB (`redis`) */
  maxRequestBytes?: number;
  /** Most pending entries one consumer may hold under `upstash`. @default 1000 */
  pelLimit?: number;
  /** Fraction of requests answered 500 without running anything. @default 0 */
  faultRate?: number;
  /** Fraction of requests run in full, then answered 500 as if the reply was lost. @default 0 */
  faultAfterRate?: number;
  /** Shared connections. @default 4 */
  poolSize?: number;
  /** One JSON object per event. @default a JSON line on stdout */
  log?: (event: Record<string, unknown>) => void;
};

export type BridgeStats = {
  requests: number;
  commands: number;
  /** Requests answered 500 before they ran (faultRate). */
  faults: number;
  /** Requests answered 500 after they ran (faultAfterRate). */
  faultsAfter: number;
  errors: number;
  byPath: Record<string, number>;
  redis: "up" | "down";
};

export type Bridge = {
  url: string;
  port: number;
  /** Knobs a test may turn while the bridge runs. */
  knobs: Knobs;
  stats(): BridgeStats;
  resetStats(): void;
  close(): Promise<void>;
};

/** Knobs a test may turn while the bridge runs. */
export type Knobs = { latencyMs: number; faultRate: number; faultAfterRate: number };

type Counts = Omit<BridgeStats, "redis">;

const noCounts = (): Counts => ({
  requests: 0,
  commands: 0,
  faults: 0,
  faultsAfter: 0,
  errors: 0,
  byPath: {},
});

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What every request of one bridge shares. */
type Context = {
  pool: RedisPool;
  knobs: Knobs;
  counts: Counts;
  token: Buffer;
  profile: ProfileName;
  maxRequestBytes: number;
  emulation: Emulation;
};

/** Starts the bridge; resolves once it listens. */
export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const log =
    options.log ?? ((e) => console.log(JSON.stringify({ at: new Date().toISOString(), ...e })));
  const host = options.host ?? "127.0.0.1";
  const redisUrl = options.redisUrl ?? "redis://127.0.0.1:6379";
  const profile = options.profile ?? "redis";
  const pelLimit = options.pelLimit ?? DEFAULT_PEL_LIMIT;
  const pool = new RedisPool(redisUrl, options.poolSize ?? 4, log);
  // Starting with Redis down is allowed (requests get 503 until it is up).
  await pool.waitReady(2000);
  const ctx: Context = {
    pool,
    knobs: {
      latencyMs: options.latencyMs ?? 0,
      faultRate: options.faultRate ?? 0,
      faultAfterRate: options.faultAfterRate ?? 0,
    },
    counts: noCounts(),
    token: digest(options.token),
    profile,
    maxRequestBytes: options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES[profile],
    emulation: emulation(profile, pelLimit),
  };
  const server = createServer((req, res) => {
    handle(ctx, req, res).catch((e: unknown) => {
      const status =
        e instanceof HttpError
          ? e.status
          : e instanceof BadRequest
            ? 400
            : e instanceof RedisUnavailable
              ? 503
              : 500;
      if (status >= 500) {
        ctx.counts.errors++;
        log({ event: "request_failed", status, path: req.url, error: (e as Error).message });
      }
      send(res, status, { error: (e as Error).message });
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8079, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  log({
    event: "bridge_started",
    url: `http://${host}:${port}`,
    redis: redactUrl(redisUrl),
    profile,
    maxRequestBytes: ctx.maxRequestBytes,
    ...(profile === "upstash" ? { pelLimit } : {}),
    ...ctx.knobs,
  });
  return {
    url: `http://${host}:${port}`,
    port,
    knobs: ctx.knobs,
    stats: () => stats(ctx),
    resetStats: () => {
      ctx.counts = noCounts();
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      pool.close();
    },
  };
}

function stats(ctx: Context): BridgeStats {
  const { counts, pool } = ctx;
  return { ...counts, byPath: { ...counts.byPath }, redis: pool.ready ? "up" : "down" };
}

async function handle(ctx: Context, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  if (path === "/__bridge/stats") {
    authorize(req, ctx.token);
    return send(res, 200, stats(ctx));
  }
  if (path !== "/" && path !== "/pipeline" && path !== "/multi-exec") {
    throw new HttpError(404, `unknown path ${path}: use /, /pipeline or /multi-exec`);
  }
  if (req.method !== "POST") {
    throw new HttpError(405, `method ${req.method} not allowed: use POST`);
  }
  authorize(req, ctx.token);
  const { counts, knobs } = ctx;
  counts.requests++;
  counts.byPath[path] = (counts.byPath[path] ?? 0) + 1;
  const raw = await readJson(req, ctx.maxRequestBytes, ctx.profile);
  if (knobs.latencyMs > 0) {
    await new Promise((r) => setTimeout(r, knobs.latencyMs));
  }
  if (knobs.faultRate > 0 && Math.random() < knobs.faultRate) {
    counts.faults++;
    throw new HttpError(500, "injected fault (BRIDGE_FAULT_RATE): command not run");
  }
  const base64 = String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
  const [status, body] = await run(ctx, path, raw, base64);
  if (knobs.faultAfterRate > 0 && Math.random() < knobs.faultAfterRate) {
    counts.faultsAfter++;
    throw new HttpError(
      500,
      "injected fault after the request ran (BRIDGE_FAULT_AFTER_RATE): its reply was lost",
    );
  }
  send(res, status, body);
}

/** Runs a validated body; resolves to the status and body of the answer. */
async function run(
  ctx: Context,
  path: string,
  raw: unknown,
  base64: boolean,
): Promise<[number, unknown]> {
  const { counts, emulation } = ctx;
  if (path === "/") {
    const command = toCommand(raw);
    counts.commands++;
    try {
      const reply = await ctx.pool.pick().send(emulation.outgoing(command));
      return [200, { result: encodeReply(emulation.incoming(command, reply), base64) }];
    } catch (e) {
      if (isRedisReply(e)) {
        return [400, { error: e.message }];
      }
      throw e;
    }
  }
  const commands = toCommands(raw);
  counts.commands += commands.length;
  const replies =
    path === "/pipeline" ? await pipeline(ctx, commands) : await multiExec(ctx, commands);
  if (!Array.isArray(replies)) {
    return [400, { error: replies.message }];
  }
  return [200, replies.map((r) => toItem(r, base64))];
}

/** In order on one connection; one failing command does not stop the rest. */
async function pipeline(ctx: Context, commands: Command[]): Promise<(RawReply | Error)[]> {
  const conn = ctx.pool.pick();
  const { outgoing, incoming } = ctx.emulation;
  const settled = await Promise.allSettled(
    commands.map((c) => conn.send(outgoing(c)).then((reply) => incoming(c, reply))),
  );
  return settled.map((s) => {
    if (s.status === "fulfilled") {
      return s.value;
    }
    if (isRedisReply(s.reason)) {
      return s.reason;
    }
    throw s.reason;
  });
}

/** MULTI, the commands, EXEC on a leased connection; a discarded transaction is one error. */
async function multiExec(ctx: Context, commands: Command[]): Promise<(RawReply | Error)[] | Error> {
  const { outgoing, incoming } = ctx.emulation;
  return ctx.pool.exclusive(async (conn) => {
    await conn.send(["MULTI"]);
    const queued = await Promise.allSettled(commands.map((c) => conn.send(outgoing(c))));
    try {
      const reply = await conn.send(["EXEC"]);
      if (!Array.isArray(reply)) {
        return new Error("EXECABORT Transaction discarded");
      }
      return reply.map((r, i) => {
        const command = commands[i];
        return command === undefined ? r : incoming(command, r);
      });
    } catch (e) {
      if (!isRedisReply(e)) {
        throw e;
      }
      const cause = queued.find((q) => q.status === "rejected");
      const detail = cause?.status === "rejected" ? ` (${(cause.reason as Error).message})` : "";
      return new Error(`${e.message}${detail}`);
    }
  });
}

function toItem(reply: RawReply | Error, base64: boolean): { result: unknown } | { error: string } {
  return reply instanceof Error ? { error: reply.message } : { result: encodeReply(reply, base64) };
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

/** Throws 401 unless the request carries the token; hashes keep the time taken uninformative. */
function authorize(req: IncomingMessage, expected: Buffer): void {
  const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
  if (match?.[1] === undefined || !timingSafeEqual(digest(match[1]), expected)) {
    throw new HttpError(401, "Unauthorized: missing or invalid bearer token");
  }
}

/**
 * The body as JSON. One over `limit` bytes is read to its end without being kept, so the 413
 * can say how large it was (as Upstash's does) and nothing of it runs.
 */
async function readJson(
  req: IncomingMessage,
  limit: number,
  profile: ProfileName,
): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= limit) {
      chunks.push(chunk as Buffer);
    }
  }
  if (size > limit) {
    throw new HttpError(413, tooLargeMessage(profile, size, limit));
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequest("body is not valid JSON: expected a JSON array");
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    return;
  }
  // A client may send nothing more on a connection whose upload was refused.
  const close = status === 413 ? { connection: "close" } : {};
  res.writeHead(status, { "content-type": "application/json", ...close });
  res.end(JSON.stringify(body));
}

/** Drops any password from a redis:// URL before it is logged. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) {
      u.password = "***";
    }
    return u.toString();
  } catch {
    return "<invalid url>";
  }
}
