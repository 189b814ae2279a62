/** @module A webhook target on 127.0.0.1 that answers what each message asks for. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type Delivery = {
  id: string;
  deliveries: number;
  fields: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
};

export type Target = {
  url: string;
  deliveries: Delivery[];
  close(): Promise<void>;
};

/**
 * Answers with the status in the message's `status` field (default 200); `status: "hang"`
 * never answers within any sane timeout.
 */
export async function startTarget(): Promise<Target> {
  const deliveries: Delivery[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const parsed = JSON.parse(body) as Omit<Delivery, "headers">;
      deliveries.push({ ...parsed, headers: req.headers });
      const wanted = parsed.fields.status ?? "200";
      if (wanted === "hang") {
        setTimeout(() => res.writeHead(200).end(), 5000).unref();
        return;
      }
      res.writeHead(Number(wanted), { "content-type": "text/plain" }).end(`answered ${wanted}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    deliveries,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
