/** @module The bridge's HTTP server: Upstash REST endpoints in front of a RedisPool. */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isRedisReply, RedisPool, RedisUnavailable } from "./pool";
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
  /** Fraction of requests answered 500 without running anything. @default 0 */
  faultRate?: number;
  /** Shared connections. @default 4 */
  poolSize?: number;
  /** One JSON object per event. @default a JSON line on stdout */
  log?: (event: Record<string, unknown>) => void;
};

export type BridgeStats = {
  requests: number;
  commands: number;
  faults: number;
  errors: number;
  byPath: Record<string, number>;
  redis: "up" | "down";
};

export type Bridge = {
  url: string;
  port: number;
  /** Knobs a test may turn while the bridge runs. */
  knobs: { latencyMs: number; faultRate: number };
  stats(): BridgeStats;
  resetStats(): void;
  close(): Promise<void>;
};

const MAX_BODY_BYTES = 16 * 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Starts the bridge; resolves once it listens. */
export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const log =
    options.log ?? ((e) => console.log(JSON.stringify({ at: new Date().toISOString(), ...e })));
  const host = options.host ?? "127.0.0.1";
  const redisUrl = options.redisUrl ?? "redis://127.0.0.1:6379";
  const pool = new RedisPool(redisUrl, options.poolSize ?? 4, log);
  // Starting with Redis down is allowed (requests get 503 until it is up).
  await pool.waitReady(2000);
  const knobs = { latencyMs: options.latencyMs ?? 0, faultRate: options.faultRate ?? 0 };
  const expected = digest(options.token);
  let counts = {
    requests: 0,
    commands: 0,
    faults: 0,
    errors: 0,
    byPath: {} as Record<string, number>,
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path === "/__bridge/stats") {
      const body = { ...counts, byPath: { ...counts.byPath }, redis: pool.ready ? "up" : "down" };
      return send(res, 200, body);
    }
    if (path !== "/" && path !== "/pipeline" && path !== "/multi-exec") {
      throw new HttpError(404, `unknown path ${path}: use /, /pipeline or /multi-exec`);
    }
    if (req.method !== "POST") {
      throw new HttpError(405, `method ${req.method} not allowed: use POST`);
    }
    if (!authorized(req.headers.authorization, expected)) {
      throw new HttpError(401, "Unauthorized: missing or invalid bearer token");
    }
    counts.requests++;
    counts.byPath[path] = (counts.byPath[path] ?? 0) + 1;
    const raw = await readJson(req);
    if (knobs.latencyMs > 0) {
      await new Promise((r) => setTimeout(r, knobs.latencyMs));
    }
    if (knobs.faultRate > 0 && Math.random() < knobs.faultRate) {
      counts.faults++;
      throw new HttpError(500, "injected fault (BRIDGE_FAULT_RATE): command not run");
    }
    const base64 = String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
    if (path === "/") {
      const command = toCommand(raw);
      counts.commands++;
      try {
        return send(res, 200, { result: encodeReply(await pool.pick().send(command), base64) });
      } catch (e) {
        if (isRedisReply(e)) {
          return send(res, 400, { error: e.message });
        }
        throw e;
      }
    }
    const commands = toCommands(raw);
    counts.commands += commands.length;
    const replies = path === "/pipeline" ? await pipeline(commands) : await multiExec(commands);
    if (!Array.isArray(replies)) {
      return send(res, 400, { error: replies.message });
    }
    return send(
      res,
      200,
      replies.map((r) => toItem(r, base64)),
    );
  }

  /** In order on one connection; one failing command does not stop the rest. */
  async function pipeline(commands: Command[]): Promise<(RawReply | Error)[]> {
    const conn = pool.pick();
    const settled = await Promise.allSettled(commands.map((c) => conn.send(c)));
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
  async function multiExec(commands: Command[]): Promise<(RawReply | Error)[] | Error> {
    return pool.exclusive(async (conn) => {
      await conn.send(["MULTI"]);
      const queued = await Promise.allSettled(commands.map((c) => conn.send(c)));
      try {
        const reply = await conn.send(["EXEC"]);
        if (!Array.isArray(reply)) {
          return new Error("EXECABORT Transaction discarded");
        }
        return reply;
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

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status =
        e instanceof HttpError
          ? e.status
          : e instanceof BadRequest
            ? 400
            : e instanceof RedisUnavailable
              ? 503
              : 500;
      if (status >= 500) {
        counts.errors++;
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
    ...knobs,
  });
  return {
    url: `http://${host}:${port}`,
    port,
    knobs,
    stats: () => ({ ...counts, byPath: { ...counts.byPath }, redis: pool.ready ? "up" : "down" }),
    resetStats: () => {
      counts = { requests: 0, commands: 0, faults: 0, errors: 0, byPath: {} };
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      pool.close();
    },
  };
}

function toItem(reply: RawReply | Error, base64: boolean): { result: unknown } | { error: string } {
  return reply instanceof Error ? { error: reply.message } : { result: encodeReply(reply, base64) };
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

/** Compares hashes so the time taken says nothing about the token. */
function authorized(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? "");
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
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
  // A refused oversized body is left unread: close the connection rather than let the next
  // keep-alive request be parsed out of its remains.
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
