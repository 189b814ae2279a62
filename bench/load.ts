/**
 * @module `npm run bench:load`: the bundled Worker in Miniflare under a steady stream of
 * messages, in three drain modes, against the real Redis (REDIS_URL, default
 * redis://127.0.0.1:6379) through an in-process bridge (the `upstash` profile, 5 ms per
 * request) and a local webhook target that takes 20 ms per message. Also measured: what an
 * idle stream costs in Upstash commands, the drain's CPU time per 1,000 messages, and how
 * parallel drains scale. Writes bench/load.json, bench/LOAD.md and bench/load.svg (about
 * 15 minutes); progress goes to stderr. Keys live under a random `rsw-load:<uuid>:` prefix and
 * are deleted at the end (never FLUSH anything: the server is shared).
 *
 * LOAD_SECONDS (default 60; fewer makes a smoke run, whose results go to the temp dir and
 * stdout, not the result files), LOAD_RATES (e.g. "100,1000"), LOAD_MODES (e.g. "cron,fanout")
 * and LOAD_PARTS (any of runs, publish, timers, idle, cpu, scaling) exist for developing the
 * benchmark. `tsx bench/load/render.ts` rewrites LOAD.md and load.svg from load.json.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startBridge } from "../dev/bridge/server";
import { bundleWorker } from "../dev/miniflare-worker";
import { deleteKeys, direct, progress, workerClient } from "./common";
import type { BenchContext } from "./context";
import { CPU_CASES, type CpuResult, cpuCost } from "./load/cpu";
import { type IdleResult, idleCost } from "./load/idle";
import { describeRun } from "./load/meta";
import { FULL, HANDLER_MS, loadPlan, MODE_NAMES, PARTS, SECONDS } from "./load/plan";
import { type LoadResults, renderLoadMarkdown } from "./load/report";
import { type LoadRun, loadRun } from "./load/run";
import { fanoutScaling, type ScalingResult } from "./load/scaling";
import { renderLoadSvg } from "./load/svg";
import { startLoadTarget } from "./load/target";
import { hasInternalDrainRoute } from "./load/worker";

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const pct = (v: { ms: number; atLeast: boolean } | null) =>
  v === null ? "—" : `${v.atLeast ? "≥" : ""}${Math.round(v.ms)} ms`;

function describeLoadRun(r: LoadRun): string {
  const c = r.case;
  return [
    `load R=${c.rate} ${MODE_NAMES[c.mode]}${c.source === "publish" ? " via POST /publish" : ""}:`,
    `${Math.round(r.handledPerS)} handled/s (last ${r.lastSeconds} s: ${Math.round(r.handledPerSLast)}),`,
    `backlog max ${r.backlogMax}${r.backlogGrows ? " growing" : ""},`,
    `p50/p99 ${pct(r.latency.p50)}/${pct(r.latency.p99)},`,
    `${r.commandsPerMessage?.toFixed(3) ?? "—"} commands/msg, ${r.worker.drainsEnded} drains`,
  ].join(" ");
}

const redisUrl = process.env.REDIS_URL || "redis://127.0.0.1:6379";
const token = randomBytes(16).toString("hex");
const prefix = `rsw-load:${randomUUID()}:`;
const started = Date.now();
const bridge = await startBridge({ redisUrl, token, port: 0, log: () => {}, profile: "upstash" });
const d = await direct(redisUrl);
const producerConnection = await direct(redisUrl);
const target = await startLoadTarget(HANDLER_MS);
const ctx: BenchContext = {
  bridge,
  token,
  d,
  redis: workerClient(bridge.url, token),
  prefix,
  key: (name) => `${prefix}${name}`,
};
const cleanup = async () => {
  const n = await deleteKeys(d, [`${prefix}*`]);
  progress(`deleted ${n} leftover keys under ${prefix}`);
};
process.once("SIGINT", () => {
  void cleanup().finally(() => process.exit(130));
});

const bundle = bundleWorker();
try {
  const info = String(await d.sendCommand(["INFO", "server"]));
  const meta = describeRun(/redis_version:(\S+)/.exec(info)?.[1] ?? "unknown");
  const self = hasInternalDrainRoute();
  progress(`Redis ${meta.redis}, prefix ${prefix}, ${SECONDS} s per run`);
  progress(`fan-out mode ${self ? "with a SELF service binding" : "in-process (no SELF route)"}`);

  let idle: IdleResult | null = null;
  if (PARTS.has("idle")) {
    idle = await idleCost(ctx, bundle.script, target);
    progress(
      `idle: ${idle.commandsPerConsumeTick} commands per drain tick, ${idle.commandsPerSweepTick} per sweep tick, ${idle.commandsPerDay} per day`,
    );
  }
  const cpu: CpuResult[] = [];
  for (const c of PARTS.has("cpu") ? CPU_CASES : []) {
    const r = await cpuCost(ctx, c);
    progress(
      `cpu B=${c.batchSize} C=${c.concurrency}: ${r.cpuMsPer1000.toFixed(1)} ms per 1,000 messages (user ${r.userMsPer1000.toFixed(1)})`,
    );
    cpu.push(r);
  }
  const scaling: ScalingResult[] = PARTS.has("scaling")
    ? await fanoutScaling(ctx, (k, r) =>
        progress(
          `scaling K=${k}: ${Math.round(r.messagesPerS)} msg/s in ${(r.wallMs / 1000).toFixed(1)} s`,
        ),
      )
    : [];
  const runs: LoadRun[] = [];
  for (const [i, c] of loadPlan().entries()) {
    const r = await loadRun({ ctx, target, script: bundle.script, self, producerConnection }, c, i);
    progress(describeLoadRun(r));
    runs.push(r);
  }

  meta.totalSeconds = Math.round((Date.now() - started) / 1000);
  const results: LoadResults = {
    meta,
    settings: { seconds: SECONDS, selfBinding: self },
    runs,
    idle,
    cpu,
    scaling,
  };
  const json = `${JSON.stringify(results, null, 2)}\n`;
  if (FULL) {
    writeFileSync(here("load.json"), json);
    writeFileSync(here("LOAD.md"), renderLoadMarkdown(results));
    writeFileSync(here("load.svg"), renderLoadSvg(results));
    progress(`wrote bench/load.json, bench/LOAD.md and bench/load.svg in ${meta.totalSeconds} s`);
  } else {
    writeFileSync(join(tmpdir(), "rsw-load-smoke.json"), json);
    writeFileSync(join(tmpdir(), "rsw-load-smoke.svg"), renderLoadSvg(results));
    process.stdout.write(renderLoadMarkdown(results));
    progress(`smoke run (${SECONDS} s per run): result files left alone, see ${tmpdir()}`);
  }
} finally {
  bundle.remove();
  await cleanup();
  await target.close();
  await producerConnection.quit();
  await d.quit();
  await bridge.close();
}
