/** @module Where the many-streams test Worker's handlers say what they handled, on 127.0.0.1. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One handler run: which handler, for which stream's entry. */
export type HandlerReport = { handler: string; stream: string; id: string };

export type ReportServer = {
  url: string;
  reports: HandlerReport[];
  /** The handlers that ran for `stream`, each once. */
  handlersOf(stream: string): string[];
  close(): Promise<void>;
};

/** Records every report POSTed to it and answers 200, after `?delayMs=` when the URL has it. */
export async function startReports(): Promise<ReportServer> {
  const reports: HandlerReport[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      reports.push(JSON.parse(body) as HandlerReport);
      const delayMs = Number(new URL(req.url ?? "/", "http://x").searchParams.get("delayMs") ?? 0);
      setTimeout(() => res.writeHead(200).end("ok"), delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/report`,
    reports,
    handlersOf: (stream) => [
      ...new Set(reports.filter((r) => r.stream === stream).map((r) => r.handler)),
    ],
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
