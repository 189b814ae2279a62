import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createWebhookHandler, DeliveryError } from "../../src/handlers/webhook-handler";
import { PermanentError } from "../../src/lib/errors";
import type { StreamMessage } from "../../src/lib/handling/message";

type Seen = { path: string; headers: IncomingMessage["headers"]; body: string };

let server: Server;
let base: string;
let seen: Seen[] = [];

/** Answers by path: /ok 200, /status/N N, /slow after 1 s, /redirect 302. */
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      seen.push({ path, headers: req.headers, body });
      const status = /^\/status\/(\d+)$/.exec(path)?.[1];
      if (status) {
        res.writeHead(Number(status)).end(`said ${status}`);
      } else if (path === "/slow") {
        setTimeout(() => res.writeHead(200).end("late"), 1000).unref();
      } else if (path === "/redirect") {
        res.writeHead(302, { location: "/ok" }).end();
      } else {
        res.writeHead(200).end("ok");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen = [];
});

const message: StreamMessage = {
  id: "1795709122566-0",
  originalId: "1795709122566-0",
  stream: "orders:payments",
  group: "payment-processors",
  consumer: "cron-1-abcdef",
  fields: { orderID: "A-1", amount: "007" },
  pairs: [
    ["orderID", "A-1"],
    ["amount", "007"],
  ],
  deliveries: 2,
};
const ctx = { signal: new AbortController().signal };

function deliver(path: string, timeoutMs = 500, signal = ctx.signal) {
  return createWebhookHandler({ targetUrl: `${base}${path}`, timeoutMs })(message, { signal });
}

describe("createWebhookHandler", () => {
  it("posts the message as JSON with the idempotency and delivery headers", async () => {
    await deliver("/ok");
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers).toMatchObject({
      "content-type": "application/json",
      "idempotency-key": "orders:payments:1795709122566-0",
      "x-stream-deliveries": "2",
    });
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual({
      id: message.id,
      originalId: message.id,
      stream: message.stream,
      group: message.group,
      deliveries: 2,
      fields: { orderID: "A-1", amount: "007" },
    });
  });

  it("keys a redriven message by the id it first had, so the target can drop a duplicate", async () => {
    const redriven = {
      ...message,
      id: "1795709999999-0",
      originalId: "1795709122566-0",
      pairs: [...message.pairs, ["original_id", "1795709122566-0"] as [string, string]],
    };
    await createWebhookHandler({ targetUrl: `${base}/ok` })(redriven, ctx);
    expect(seen[0]?.headers["idempotency-key"]).toBe("orders:payments:1795709122566-0");
    expect(JSON.parse(seen[0]?.body ?? "")).toMatchObject({
      id: redriven.id,
      fields: message.fields,
    });
  });

  it("sends every pair in order when a field name repeats", async () => {
    const pairs: [string, string][] = [
      ["tag", "a"],
      ["tag", "b"],
    ];
    await createWebhookHandler({ targetUrl: `${base}/ok` })(
      { ...message, fields: { tag: "b" }, pairs },
      ctx,
    );
    expect(JSON.parse(seen[0]?.body ?? "")).toMatchObject({ fields: { tag: "b" }, pairs });
  });

  it("resolves on any 2xx", async () => {
    await expect(deliver("/status/204")).resolves.toBeUndefined();
  });

  it("throws a transient DeliveryError on 500 naming the status", async () => {
    const err = await deliver("/status/500").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).not.toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({
      status: 500,
      message: `POST ${base}/status/500 answered 500: said 500`,
    });
  });

  it("throws a transient DeliveryError on 429 and 408", async () => {
    await expect(deliver("/status/429")).rejects.toMatchObject({
      name: "DeliveryError",
      status: 429,
    });
    await expect(deliver("/status/408")).rejects.toMatchObject({
      name: "DeliveryError",
      status: 408,
    });
  });

  it("throws PermanentError on 400 with the target's reason", async () => {
    const err = await deliver("/status/400").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toBe(`POST ${base}/status/400 answered 400: said 400`);
  });

  it("does not follow a redirect and treats it as permanent", async () => {
    await expect(deliver("/redirect")).rejects.toBeInstanceOf(PermanentError);
    expect(seen.map((s) => s.path)).toEqual(["/redirect"]);
  });

  it("throws a transient DeliveryError when the target is too slow", async () => {
    const started = Date.now();
    const err = await deliver("/slow", 100).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({
      status: null,
      message: `POST ${base}/slow timed out after 100 ms`,
    });
    expect(Date.now() - started).toBeLessThan(900);
  });

  it("throws a transient DeliveryError when nothing listens", async () => {
    const forward = createWebhookHandler({ targetUrl: "http://127.0.0.1:1/in", timeoutMs: 500 });
    const err = await forward(message, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect((err as Error).message).toMatch(/^POST http:\/\/127\.0\.0\.1:1\/in failed: /);
  });

  it("stops when the invocation's signal aborts", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = await deliver("/slow", 5000, controller.signal).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "DeliveryError", message: expect.stringMatching(/aborted/) });
  });

  it("keeps credentials and query of the target out of errors", async () => {
    const url = new URL(`${base}/status/503?token=s3cret`);
    url.username = "user";
    url.password = "pw-s3cret";
    const forward = createWebhookHandler({ targetUrl: url.href, timeoutMs: 500 });
    const err = await forward(message, ctx).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`POST ${base}/status/503 answered 503: said 503`);
  });

  it("sends userinfo of the target as basic auth", async () => {
    const url = new URL(`${base}/ok`);
    url.username = "user";
    url.password = "pw";
    await createWebhookHandler({ targetUrl: url.href })(message, ctx);
    expect(seen[0]?.headers.authorization).toBe(`Basic ${btoa("user:pw")}`);
  });
});
