/** @module An HTTP endpoint on 127.0.0.1 that keeps every JSON body POSTed to it. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type JsonSink<T> = { url: string; received: T[]; close(): Promise<void> };

/** Starts the sink; it answers 204 to every POST. */
export async function startJsonSink<T>(): Promise<JsonSink<T>> {
  const received: T[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      received.push(JSON.parse(body) as T);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sink`,
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
