import { DEFAULTS } from "../../src/lib/index";
import { fillStream, median, pendingCount, runJsonChild } from "../common";
import type { BenchContext } from "../context";
import { CPU_N, CPU_RUNS } from "./plan";

export type CpuCase = { batchSize: number; concurrency: number; n: number };

export type CpuResult = {
  case: CpuCase;
  runs: Omit<ChildReport, "acked">[];
  /** Median over the runs of (user + system) CPU ms per 1,000 messages. */
  cpuMsPer1000: number;
  /** Median of the user part alone: the JavaScript, without the kernel's socket work. */
  userMsPer1000: number;
  /** The same entries read by the client alone in pages of the same size (user + system). */
  clientMsPer1000: number;
  /** Messages whose drain fits the Free plan's 10 ms of CPU per invocation, at that rate. */
  messagesIn10Ms: number;
};

type ChildReport = {
  acked: number;
  requests: number;
  wallMs: number;
  userUs: number;
  systemUs: number;
  /** The client-only reads: their requests and CPU. */
  clientRequests: number;
  clientUserUs: number;
  clientSystemUs: number;
};

function runChild(env: Record<string, string>): Promise<ChildReport> {
  return runJsonChild<ChildReport>(
    ["--import", "tsx", "bench/load/cpu-child.ts"],
    env,
    "cpu child",
  );
}

/** The cases: the defaults, and the BATCH_SIZE/CONCURRENCY of the load runs. */
export const CPU_CASES: CpuCase[] = [
  { batchSize: DEFAULTS.batchSize, concurrency: DEFAULTS.concurrency, n: CPU_N },
  { batchSize: 100, concurrency: 50, n: CPU_N },
];

/** Measures one case CPU_RUNS times, each on two fresh streams (warm-up, measured). */
export async function cpuCost(ctx: BenchContext, c: CpuCase): Promise<CpuResult> {
  ctx.bridge.knobs.latencyMs = 0;
  const runs: CpuResult["runs"] = [];
  for (let run = 0; run < CPU_RUNS; run++) {
    const warm = ctx.key(`cpu:${c.batchSize}:${run}:warm`);
    const measured = ctx.key(`cpu:${c.batchSize}:${run}`);
    await fillStream(ctx.d, warm, "g", Math.min(c.n, 2000));
    await fillStream(ctx.d, measured, "g", c.n);
    const r = await runChild({
      LOAD_URL: ctx.bridge.url,
      LOAD_TOKEN: ctx.token,
      LOAD_WARM_STREAM: warm,
      LOAD_STREAM: measured,
      LOAD_BATCH: String(c.batchSize),
      LOAD_CONCURRENCY: String(c.concurrency),
    });
    const pending = await pendingCount(ctx.d, measured, "g");
    if (r.acked !== c.n || pending !== 0) {
      throw new Error(`cpu: acked ${r.acked} of ${c.n}, ${pending} pending`);
    }
    await ctx.d.sendCommand(["UNLINK", warm, measured]);
    const { acked: _, ...figures } = r;
    runs.push(figures);
  }
  const per1000 = (us: number) => us / 1000 / (c.n / 1000);
  const cpuMsPer1000 = median(runs.map((r) => per1000(r.userUs + r.systemUs)));
  return {
    case: c,
    runs,
    cpuMsPer1000,
    userMsPer1000: median(runs.map((r) => per1000(r.userUs))),
    clientMsPer1000: median(runs.map((r) => per1000(r.clientUserUs + r.clientSystemUs))),
    messagesIn10Ms: Math.floor((10 / cpuMsPer1000) * 1000),
  };
}
