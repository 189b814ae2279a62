import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleWorker } from "../dev/miniflare-worker";
import { direct, progress } from "./common";
import { openBench } from "./context";
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

const started = Date.now();
const { ctx, redisUrl, cleanup } = await openBench("rsw-load");
const { bridge, d, prefix } = ctx;
const producerConnection = await direct(redisUrl);
const target = await startLoadTarget(HANDLER_MS);

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
