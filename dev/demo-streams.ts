/**
 * @module `npm run demo:streams`: one Worker serving two streams, printed as it happens.
 * The Worker is bundled as `wrangler deploy` bundles it and runs in Miniflare (workerd) with
 * STREAMS of two entries, each with its own webhook target and settings: publish to both,
 * one drain tick for both, a poison order retried by the sweep until dead-lettered, a
 * malformed email dead-lettered at once, the admin API per stream, a redrive, the totals.
 * Uses fresh key names each run and deletes them at the end.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Miniflare } from "miniflare";
import { createStreamsRedis } from "../src/lib/index";
import type { Bridge } from "./bridge/server";
import { startDemoBridge } from "./demo-bridge";
import { bundleWorker, jsonLines, runWorker } from "./miniflare-worker";

const CONSUME_CRON = "* * * * *";
const SWEEP_CRON = "*/5 * * * *";
const MIN_IDLE_MS = 1000;
const run = `${Date.now().toString(36)}${randomBytes(2).toString("hex")}`;
const orders = { stream: `demo:${run}:orders`, group: "fulfilment" };
const emails = { stream: `demo:${run}:emails`, group: "mailer" };
const adminToken = randomBytes(16).toString("hex");
const publishToken = randomBytes(16).toString("hex");

const say = (text: string) => console.log(text);
let stepNo = 0;
const step = (text: string) => console.log(`\n== ${++stepNo}. ${text}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Target = { url: string; server: Server; delivered: number; refused: number };

/**
 * A local webhook target: `refuse` picks the status for a message's fields (null accepts it
 * with 204). Each delivery is printed as it arrives.
 */
async function startTarget(
  name: string,
  refuse: (fields: Record<string, string>) => number | null,
): Promise<Target> {
  const target: Target = { url: "", server: createServer(), delivered: 0, refused: 0 };
  target.server.on("request", (req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      const message = JSON.parse(body) as { fields: Record<string, string>; deliveries: number };
      const status = refuse(message.fields);
      const what = Object.values(message.fields)[0];
      if (status === null) {
        target.delivered++;
        say(`   ${name} ✓ ${what} (delivery ${message.deliveries})`);
        res.writeHead(204).end();
      } else {
        target.refused++;
        say(`   ${name} ✗ ${what} (delivery ${message.deliveries}): answered ${status}`);
        res.writeHead(status, { "content-type": "text/plain" }).end(refusal(status));
      }
    });
  });
  await new Promise<void>((r) => target.server.listen(0, "127.0.0.1", r));
  target.url = `http://127.0.0.1:${(target.server.address() as AddressInfo).port}/hook`;
  return target;
}

const refusal = (status: number) =>
  status === 422 ? "invalid recipient address" : "upstream card issuer unreachable";

type StreamFigures = Record<string, number | string>;
type Tick = { job: string; requests: number; streams: StreamFigures[] };

/** Running sums of every tick's per-stream figures, by stream. */
const totals = new Map<string, Record<string, number>>();

function tickLine(s: StreamFigures): string {
  const what =
    s.read !== undefined ? `read ${s.read}` : `claimed ${s.claimed}, retried ${s.retried}`;
  return `${what}, acked ${s.acked}, failed ${s.failed}, dead-lettered ${s.deadLettered}, ${s.requests} requests, stopped by ${s.stoppedBy}`;
}

/**
 * Fires `cron` as Cloudflare would and prints the tick line's figures per stream, with what
 * the bridge counted meanwhile.
 */
async function fire(
  ctx: { mf: Miniflare; lines: Record<string, unknown>[]; bridge: Bridge },
  cron: string,
): Promise<Tick> {
  const seen = ctx.lines.length;
  ctx.bridge.resetStats();
  const worker = await ctx.mf.getWorker();
  const result = await worker.scheduled({ cron, scheduledTime: new Date() });
  let tick: Tick | undefined;
  for (let waited = 0; tick === undefined && waited < 3000; waited += 20) {
    tick = ctx.lines.slice(seen).find((l) => l.event === "tick") as Tick | undefined;
    if (tick === undefined) {
      await sleep(20);
    }
  }
  if (tick === undefined) {
    throw new Error(`no tick line after cron ${cron} (outcome ${result.outcome})`);
  }
  say(
    `   tick (${tick.job}): ${tick.requests} requests in all; the bridge counted ${ctx.bridge.stats().requests}`,
  );
  for (const s of tick.streams) {
    say(`     ${String(s.stream).padEnd(28)} ${tickLine(s)}`);
    const sum = totals.get(String(s.stream)) ?? {};
    for (const key of ["read", "claimed", "acked", "failed", "deadLettered", "requests"]) {
      sum[key] = (sum[key] ?? 0) + Number(s[key] ?? 0);
    }
    totals.set(String(s.stream), sum);
  }
  return tick;
}

/** One admin or publish request through the Worker; the JSON it answered. */
async function call(mf: Miniflare, method: string, path: string, token: string, body?: unknown) {
  const res = await mf.dispatchFetch(`http://localhost${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

type DeadLetterRow = {
  originalId: string;
  payload: Record<string, string>;
  reason: string;
  failures: number;
  error: string;
};

async function showDeadLetters(mf: Miniflare, stream: string): Promise<void> {
  const path = `/dlq?stream=${encodeURIComponent(stream)}`;
  const { status, body } = await call(mf, "GET", path, adminToken);
  const entries = (body.entries ?? []) as DeadLetterRow[];
  say(`   GET ${path} → ${status}, ${entries.length} dead letter(s) in ${body.dlqStream}`);
  for (const e of entries) {
    const first = Object.values(e.payload)[0];
    say(
      `     ${e.originalId}  ${first}  reason=${e.reason}  failures=${e.failures}  error="${e.error}"`,
    );
  }
}

type Snapshot = {
  stream: { key: string; length: number };
  groups: { name: string; pending: number; lastDeliveredId: string; consumerCount: number }[];
  dlq: { length: number };
};

async function showStats(mf: Miniflare): Promise<void> {
  const { status, body } = await call(mf, "GET", "/stats", adminToken);
  const streams = (body.streams ?? []) as Snapshot[];
  say(`   GET /stats → ${status}, { streams: [${streams.length} snapshots] }`);
  for (const s of streams) {
    for (const g of s.groups) {
      say(
        `     ${s.stream.key.padEnd(28)} length ${s.stream.length}, group ${g.name}: pending ${g.pending}, consumers ${g.consumerCount}; DLQ length ${s.dlq.length}`,
      );
    }
  }
}

/** The Worker's variables: both streams in STREAMS, the Worker-wide ones beside them. */
function workerBindings(bridge: Bridge, token: string, targets: Target[]): Record<string, string> {
  const streams = [
    {
      ...orders,
      targetUrl: targets[0]?.url,
      maxDeliveries: 2,
      minIdleMs: MIN_IDLE_MS,
      retryBackoff: "fixed",
    },
    { ...emails, targetUrl: targets[1]?.url, batchSize: 2, minIdleMs: MIN_IDLE_MS },
  ];
  say(`   STREAMS=${JSON.stringify(streams).replaceAll(/http:\/\/127\.0\.0\.1:\d+/g, "…")}`);
  return {
    UPSTASH_REDIS_REST_URL: bridge.url,
    UPSTASH_REDIS_REST_TOKEN: token,
    ADMIN_TOKEN: adminToken,
    PUBLISH_TOKEN: publishToken,
    DRAIN_MODE: "cron",
    CONSUME_CRON,
    SWEEP_CRON,
    STREAMS: JSON.stringify(streams),
  };
}

/** Publishes the demo's messages to both streams through `POST /publish?stream=`. */
async function produce(mf: Miniflare): Promise<void> {
  const orderFields = [
    ...Array.from({ length: 5 }, (_, i) => ({ orderID: `A-${100 + i}`, amount: `${10 + i}.00` })),
    { orderID: "POISON-1", amount: "99.00" },
  ];
  const emailFields = [
    ...["ana", "ben", "chloé", "dev"].map((n) => ({ to: `${n}@example.com`, template: "receipt" })),
    { to: "not-an-address", template: "receipt" },
  ];
  for (const [s, fields] of [
    [orders.stream, orderFields],
    [emails.stream, emailFields],
  ] as const) {
    const path = `/publish?stream=${encodeURIComponent(s)}`;
    const messages = fields.map((f) => ({ fields: f }));
    const { status, body } = await call(mf, "POST", path, publishToken, messages);
    if (status !== 201) {
      throw new Error(`POST ${path} answered ${status}: ${JSON.stringify(body)}`);
    }
    say(`   POST ${path} → ${status}, ${(body.ids as string[]).length} ids`);
  }
  say("   DRAIN_MODE=cron: a publish wakes no drain, the next tick reads");
}

/** Sweeps until the poison order is in the orders DLQ (at most 5 rounds). */
async function sweepUntilDead(ctx: Parameters<typeof fire>[0]): Promise<void> {
  for (let round = 1; round <= 5; round++) {
    await sleep(MIN_IDLE_MS + 100);
    step(`Sweep tick #${round} (SWEEP_CRON): both streams' pending entries, side by side`);
    await fire(ctx, SWEEP_CRON);
    const dead = Number(await redis.xlen(`${orders.stream}:dlq`));
    if (dead > 0) {
      say(`   the poison order failed MAX_DELIVERIES (2) times: dead-lettered`);
      return;
    }
  }
  say("   the poison order was not dead-lettered within 5 sweeps");
}

async function redriveAndDrain(ctx: Parameters<typeof fire>[0], fix: () => void): Promise<void> {
  step("The card issuer is back: redrive the orders DLQ (POST /dlq/redrive?stream=), drain");
  fix();
  const path = `/dlq/redrive?stream=${encodeURIComponent(orders.stream)}`;
  const { status, body } = await call(ctx.mf, "POST", path, adminToken);
  say(`   POST ${path} → ${status}, moved ${(body.moved as unknown[]).length}`);
  await fire(ctx, CONSUME_CRON);
}

function showTotals(targets: Target[]): void {
  step("Per-stream totals over every tick");
  console.table(
    [orders, emails].map((s, i) => ({
      stream: s.stream,
      read: totals.get(s.stream)?.read ?? 0,
      claimed: totals.get(s.stream)?.claimed ?? 0,
      acked: totals.get(s.stream)?.acked ?? 0,
      "dead-lettered": totals.get(s.stream)?.deadLettered ?? 0,
      requests: totals.get(s.stream)?.requests ?? 0,
      "target 2xx": targets[i]?.delivered ?? 0,
      "target refused": targets[i]?.refused ?? 0,
    })),
  );
}

let poisonFixed = false;
const { bridge, token } = await startDemoBridge();
const redis = createStreamsRedis({ url: bridge.url, token });
const targets: Target[] = [];
let mf: Miniflare | undefined;
let removeBundle: (() => void) | undefined;

async function main(): Promise<void> {
  step("Start the bridge and two webhook targets");
  say(`   bridge (profile upstash) at ${bridge.url}`);
  targets.push(
    await startTarget("orders", (f) => (f.orderID === "POISON-1" && !poisonFixed ? 500 : null)),
    await startTarget("emails", (f) => (f.to?.includes("@") ? null : 422)),
  );
  for (const s of [orders, emails]) {
    await redis.xgroup(s.stream, {
      type: "CREATE",
      group: s.group,
      id: "$",
      options: { MKSTREAM: true },
    });
  }
  say(`   groups ${orders.group} on ${orders.stream}, ${emails.group} on ${emails.stream}`);

  step("Bundle the Worker (wrangler deploy --dry-run) and run it in Miniflare with STREAMS");
  const bundle = bundleWorker();
  removeBundle = bundle.remove;
  const lines: Record<string, unknown>[] = [];
  mf = await runWorker(bundle.script, workerBindings(bridge, token, targets), jsonLines(lines));
  const ctx = { mf, lines, bridge };

  step("Publish to both streams");
  await produce(mf);

  step("Drain tick (CONSUME_CRON): both streams' drains run side by side in one invocation");
  await fire(ctx, CONSUME_CRON);

  step("Stats of every stream (GET /stats without ?stream=)");
  await showStats(mf);

  step("Dead letters, per stream (GET /dlq?stream=)");
  await showDeadLetters(mf, orders.stream);
  await showDeadLetters(mf, emails.stream);
  const bare = await call(mf, "GET", "/dlq", adminToken);
  const error = bare.body.error as { code: string; message: string };
  say(`   GET /dlq → ${bare.status} ${error.code}: ${error.message}`);

  await sweepUntilDead(ctx);
  await showDeadLetters(mf, orders.stream);
  await redriveAndDrain(ctx, () => {
    poisonFixed = true;
  });
  step("Stats after the redrive");
  await showStats(mf);
  showTotals(targets);
}

const started = Date.now();
try {
  await main();
} finally {
  await mf?.dispose();
  for (const t of targets) {
    t.server.closeAllConnections();
    await new Promise((r) => t.server.close(r));
  }
  removeBundle?.();
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, found] = await redis.scan(cursor, { match: `demo:${run}:*`, count: 1000 });
    cursor = String(next);
    keys.push(...found);
  } while (cursor !== "0");
  if (keys.length > 0) {
    await redis.del(...keys);
  }
  await bridge.close();
  say(
    `\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s. ${keys.length} keys under demo:${run}: deleted.`,
  );
}
