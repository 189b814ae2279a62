/** @module Pooled connections from the bridge to the real Redis, replies kept raw. */
import { createClient, ErrorReply, RESP_TYPES } from "redis";
import type { Command, RawReply } from "./protocol";

/** Redis could not be reached; the bridge answers 503 and keeps running. */
export class RedisUnavailable extends Error {
  override name = "RedisUnavailable";
}

/** True for an error Redis itself replied with (WRONGTYPE, BUSYGROUP, NOSCRIPT, ...). */
export function isRedisReply(e: unknown): e is Error {
  return e instanceof ErrorReply;
}

type Connection = {
  readonly isReady: boolean;
  send(command: Command): Promise<RawReply>;
  close(): void;
};

type Log = (event: Record<string, unknown>) => void;

// RESP2 with every string mapped to a Buffer: replies arrive exactly as Redis sent them
// (no reshaping of XREADGROUP, no UTF-8 guess), and base64 can encode the raw bytes.
const TYPE_MAPPING = {
  [RESP_TYPES.BLOB_STRING]: Buffer,
  [RESP_TYPES.SIMPLE_STRING]: Buffer,
} as const;

function connect(url: string, log: Log, label: string): Connection {
  let down = false;
  const client = createClient({
    url,
    RESP: 2,
    // Fail fast while disconnected instead of queueing: the caller answers 503.
    disableOfflineQueue: true,
    socket: { connectTimeout: 2000, reconnectStrategy: (n: number) => Math.min(50 * 2 ** n, 1000) },
  }).withTypeMapping(TYPE_MAPPING);
  client.on("error", (e: Error) => {
    if (!down) {
      down = true;
      log({ event: "redis_error", connection: label, error: e.message });
    }
  });
  client.on("ready", () => {
    if (down) {
      log({ event: "redis_reconnected", connection: label });
    }
    down = false;
  });
  client.connect().catch(() => {
    // Reported through the "error" event; reconnecting continues in the background.
  });
  return {
    get isReady() {
      return client.isReady;
    },
    async send(command) {
      if (!client.isReady) {
        throw new RedisUnavailable("Redis is not reachable");
      }
      try {
        return (await client.sendCommand(command)) as RawReply;
      } catch (e) {
        if (isRedisReply(e)) {
          throw e;
        }
        throw new RedisUnavailable(`Redis connection failed: ${(e as Error).message}`, {
          cause: e,
        });
      }
    },
    close() {
      client.destroy();
    },
  };
}

/**
 * A fixed set of shared connections for single commands and pipelines (node-redis keeps
 * the order of commands written to one connection), plus connections leased exclusively
 * for transactions so no other request's command lands between MULTI and EXEC.
 */
export class RedisPool {
  private readonly shared: Connection[];
  private readonly idle: Connection[] = [];
  private next = 0;
  private leased = 0;

  constructor(
    private readonly url: string,
    size: number,
    private readonly log: Log,
  ) {
    this.shared = Array.from({ length: size }, (_, i) => connect(url, log, `shared-${i}`));
  }

  /** A ready shared connection, round-robin; RedisUnavailable when none is. */
  pick(): Connection {
    for (let i = 0; i < this.shared.length; i++) {
      const conn = this.shared[(this.next + i) % this.shared.length];
      if (conn?.isReady) {
        this.next = (this.next + i + 1) % this.shared.length;
        return conn;
      }
    }
    throw new RedisUnavailable("Redis is not reachable");
  }

  /** Runs `fn` on a connection nobody else uses meanwhile. */
  async exclusive<T>(fn: (conn: Connection) => Promise<T>): Promise<T> {
    const conn = this.idle.pop() ?? (await this.open());
    this.leased++;
    let healthy = true;
    try {
      return await fn(conn);
    } catch (e) {
      healthy = isRedisReply(e);
      throw e;
    } finally {
      this.leased--;
      if (healthy && conn.isReady) {
        this.idle.push(conn);
      } else {
        conn.close();
      }
    }
  }

  /** Waits until every shared connection is up, or `ms` passed (Redis may be down). */
  async waitReady(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.shared.every((c) => c.isReady) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.ready;
  }

  /** Whether any shared connection is up (for /__bridge/stats). */
  get ready(): boolean {
    return this.shared.some((c) => c.isReady);
  }

  close(): void {
    for (const c of [...this.shared, ...this.idle]) {
      c.close();
    }
  }

  private async open(): Promise<Connection> {
    const conn = connect(this.url, this.log, `tx-${this.leased}`);
    const deadline = Date.now() + 2000;
    while (!conn.isReady) {
      if (Date.now() > deadline) {
        conn.close();
        throw new RedisUnavailable("Redis is not reachable");
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    return conn;
  }
}
