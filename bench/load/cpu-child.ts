/**
 * @module Child process of the CPU measurement: one warm-up `drain()`, then one measured with
 * `process.cpuUsage()` around it, and nothing else in the process (the bridge runs in the
 * parent). Then, for comparison, the same entries read again in batches of the same size by
 * the client alone (`XRANGE`): what the HTTP requests and their replies cost without the drain.
 * Run as `node --import tsx bench/load/cpu-child.ts` with LOAD_URL, LOAD_TOKEN,
 * LOAD_WARM_STREAM, LOAD_STREAM, LOAD_BATCH, LOAD_CONCURRENCY set; prints one JSON line.
 */
import { drain } from "../../src/lib/index";
import { workerClient } from "../common";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
};

const redis = workerClient(env("LOAD_URL"), env("LOAD_TOKEN"));
const options = (stream: string, consumer: string) => ({
  redis,
  stream,
  group: "g",
  consumer,
  handler: async () => {},
  batchSize: Number(env("LOAD_BATCH")),
  concurrency: Number(env("LOAD_CONCURRENCY")),
  maxMessages: 1_000_000,
  timeBudgetMs: 900_000,
  maxRequests: 100_000,
});

// The first drain compiles the code paths; the second is the one a warm isolate runs.
await drain(options(env("LOAD_WARM_STREAM"), "cpu-warm"));
const before = process.cpuUsage();
const t0 = performance.now();
const report = await drain(options(env("LOAD_STREAM"), "cpu-measured"));
const wallMs = performance.now() - t0;
const used = process.cpuUsage(before);

/** Reads the whole stream in pages of `batch` with the bare client; returns the requests. */
async function readAll(stream: string, batch: number): Promise<number> {
  let start = "-";
  let requests = 0;
  for (;;) {
    const page = (await redis.exec(["XRANGE", stream, start, "+", "COUNT", String(batch)])) as [
      string,
      string[],
    ][];
    requests++;
    const last = page.at(-1);
    if (page.length < batch || last === undefined) {
      return requests;
    }
    start = `(${last[0]}`;
  }
}

await readAll(env("LOAD_WARM_STREAM"), Number(env("LOAD_BATCH")));
const beforeReads = process.cpuUsage();
const reads = await readAll(env("LOAD_STREAM"), Number(env("LOAD_BATCH")));
const readsUsed = process.cpuUsage(beforeReads);
process.stdout.write(
  `${JSON.stringify({
    acked: report.acked,
    requests: report.requests,
    wallMs,
    userUs: used.user,
    systemUs: used.system,
    clientRequests: reads,
    clientUserUs: readsUsed.user,
    clientSystemUs: readsUsed.system,
  })}\n`,
);
