/**
 * @module Things a reliability scenario owns and may break: a durable redis-server it can kill
 * and restart, and a webhook target that runs the ledger's handler for the bundled Worker.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { errorMessage } from "../../src/lib/errors";
import type { Ledger } from "../helpers/ledger";
import { sleep } from "../helpers/sleep";
import { answers, freePort } from "../setup/find-redis";

export type DurableRedis = {
  url: string;
  /** SIGKILL, no shutdown: what a crash or an OOM kill does. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  stop(): Promise<void>;
};

/**
 * A redis-server of our own (never the shared one) with `appendonly yes` and
 * `appendfsync always`: every write is on disk before Redis answers it, so a SIGKILL loses
 * nothing that was acknowledged, and "nothing acked is lost" stays a meaningful check across
 * a restart. (`startRedisServer` keeps nothing on disk: a restart there empties Redis.)
 */
export async function startDurableRedis(): Promise<DurableRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "rsw-durable-"));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      "redis-server",
      [
        ...["--bind", "127.0.0.1", "--port", String(port), "--dir", dir],
        ...["--appendonly", "yes", "--appendfsync", "always", "--save", ""],
      ],
      { stdio: "ignore" },
    );
    const deadline = Date.now() + 10_000;
    while (!(await answers(url, 500))) {
      if (Date.now() > deadline) {
        throw new Error(`redis-server did not answer on ${url}`);
      }
      await sleep(30);
    }
  };
  const kill = async () => {
    const c = child;
    child = undefined;
    if (c && c.exitCode === null) {
      const exited = new Promise((r) => c.once("exit", r));
      c.kill("SIGKILL");
      await exited;
    }
  };
  await start();
  return {
    url,
    kill,
    start,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type LedgerTarget = { url: string; deliveries: () => number; close(): Promise<void> };

/**
 * A webhook target for the bundled Worker's webhook handler that runs the ledger's
 * handler: success → 200, PermanentError → 400 (dead-letter now), other throws → 500.
 */
export async function startLedgerTarget(ledger: Ledger): Promise<LedgerTarget> {
  let count = 0;
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      count++;
      const m = JSON.parse(body) as {
        id: string;
        stream: string;
        group: string;
        deliveries: number;
        fields: Record<string, string>;
      };
      const signal = new AbortController().signal;
      const message = {
        ...m,
        consumer: "worker",
        originalId: m.id,
        pairs: Object.entries(m.fields),
      };
      Promise.resolve(ledger.handler(message, { signal })).then(
        () => res.writeHead(200).end("ok"),
        (e: unknown) =>
          res
            .writeHead((e as { code?: string })?.code === "PERMANENT" ? 400 : 500)
            .end(errorMessage(e)),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    deliveries: () => count,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
