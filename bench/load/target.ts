/**
 * @module The webhook target of the load runs: each POST is a handler of `handlerMs`, and the
 * time it arrived is when that message's handler started (its pickup time).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** What one run's target saw. */
export type Deliveries = {
  /** Message id → when its first delivery arrived (ms since epoch). */
  started: Map<string, number>;
  /** Distinct messages whose first delivery was answered 200. */
  handled: number;
  /** Deliveries of a message already delivered before (a redelivery). */
  duplicates: number;
  /** Most POSTs held open at once: what the Worker had in flight to its handler. */
  peakInFlight: number;
};

export type LoadTarget = {
  /** Starts recording a new run; returns the TARGET_URL the Worker of that run must use. */
  begin(run: string): string;
  /** The current run's deliveries. */
  current(): Deliveries;
  close(): Promise<void>;
};

const fresh = (): Deliveries => ({
  started: new Map(),
  handled: 0,
  duplicates: 0,
  peakInFlight: 0,
});

/**
 * Listens on 127.0.0.1. Each run has its own path, so that a POST still on its way from the
 * previous run's Worker is answered but not counted.
 */
export async function startLoadTarget(handlerMs: number): Promise<LoadTarget> {
  let run = "";
  let deliveries = fresh();
  let inFlight = 0;
  const server: Server = createServer((req, res) => {
    const arrived = Date.now();
    const mine = req.url === `/hook/${run}` ? deliveries : null;
    inFlight++;
    if (mine) {
      mine.peakInFlight = Math.max(mine.peakInFlight, inFlight);
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const id = messageId(Buffer.concat(chunks).toString("utf8"));
      const first = mine !== null && id !== null && !mine.started.has(id);
      if (mine && id !== null) {
        if (first) {
          mine.started.set(id, arrived);
        } else {
          mine.duplicates++;
        }
      }
      setTimeout(() => {
        inFlight--;
        if (first && mine) {
          mine.handled++;
        }
        res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      }, handlerMs);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    begin(name) {
      run = name;
      deliveries = fresh();
      return `http://127.0.0.1:${port}/hook/${name}`;
    },
    current: () => deliveries,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The stream id of a webhook body (`{ "id": "1718000000000-0", ... }`), or null. */
function messageId(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { originalId?: unknown; id?: unknown };
    const id = parsed.originalId ?? parsed.id;
    return typeof id === "string" ? id : null;
  } catch {
    return null;
  }
}
