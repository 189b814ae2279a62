/**
 * @module The dashboard's actions: drain now, sweep now, reset a group, redrive and delete
 * dead letters. Each is a POST with the session's CSRF token, answered first by a page that
 * asks (a dry run for a redrive), and run only when that page's form comes back confirmed.
 */
import type { Context, Hono } from "hono";
import {
  DEFAULTS,
  deleteDeadLetter,
  getStats,
  httpConsumerName,
  type RedriveReport,
  redrive,
  resetGroup,
} from "../../lib/index";
import { runDrain, runSweep } from "../jobs";
import { log } from "../log";
import { parseDeadLetterId, parseResetId } from "../query";
import { invocationOf } from "../queue-consumer";
import { type HandlerOptions, handlerFor } from "../streams";
import { type DashboardEnv, field, requireSession, type Selected, selected } from "./guard";
import { confirmPage, outcomePage } from "./views/confirm";
import { redrivePage } from "./views/dead-letters";
import { count, duration } from "./views/format";

/** Most dead letters "redrive all" looks at in one dry run (pages of the redrive size). */
export const REDRIVE_ALL_LIMIT = 10 * DEFAULTS.redrivePageSize;

type Ctx = Context<DashboardEnv>;

/** The posted form (parsed and cached by the CSRF check) and the stream it names. */
async function posted(c: Ctx): Promise<{ form: Record<string, unknown>; target: Selected }> {
  const form = (await c.req.parseBody({ all: true })) as Record<string, unknown>;
  return { form, target: selected(c.env, field(form, "stream"), field(form, "group")) };
}

const confirmed = (form: Record<string, unknown>) => field(form, "confirm") === "1";

/** Every `ids` value of the form (one or several checkboxes), each a valid stream id. */
function idsOf(form: Record<string, unknown>): string[] {
  const raw = form.ids;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.filter((v): v is string => typeof v === "string").map(parseDeadLetterId);
}

/** Adds one report's outcomes to another's (a redrive run in chunks). */
function merge(into: RedriveReport, more: RedriveReport): RedriveReport {
  return {
    ...more,
    moved: [...into.moved, ...more.moved],
    skipped: [...into.skipped, ...more.skipped],
    requests: into.requests + more.requests,
  };
}

/**
 * Dry run or move of `ids` (in chunks of the page size), or of the whole dead-letter stream
 * from its oldest entry, up to {@link REDRIVE_ALL_LIMIT}.
 */
async function redriveMany(t: Selected, ids: string[] | "all", dryRun: boolean) {
  const { redis, config } = t;
  const base = { redis, stream: config.stream, dlqStream: config.dlqStream, dryRun };
  let report: RedriveReport = { dryRun, moved: [], skipped: [], next: null, requests: 0 };
  if (ids === "all") {
    let start: string | undefined;
    do {
      report = merge(report, await redrive({ ...base, ...(start ? { start } : {}) }));
      start = report.next ?? undefined;
    } while (
      start !== undefined &&
      report.moved.length + report.skipped.length < REDRIVE_ALL_LIMIT
    );
    return report;
  }
  for (let i = 0; i < ids.length; i += DEFAULTS.redrivePageSize) {
    const chunk = ids.slice(i, i + DEFAULTS.redrivePageSize);
    report = merge(report, await redrive({ ...base, ids: chunk }));
  }
  return report;
}

/** Mounts the action routes on the dashboard. */
export function mountActions(app: Hono<DashboardEnv>, options: HandlerOptions): void {
  app.post("/dashboard/actions/drain", requireSession, (c) => job(c, "drain", options));
  app.post("/dashboard/actions/sweep", requireSession, (c) => job(c, "sweep", options));

  app.post("/dashboard/actions/reset", requireSession, async (c) => {
    const { form, target } = await posted(c);
    const { config, redis } = target;
    const id = parseResetId(field(form, "id"));
    if (!confirmed(form)) {
      const stats = await getStats({
        redis,
        stream: config.stream,
        group: config.group,
        dlqStream: config.dlqStream,
      });
      const now = stats.groups[0]?.lastDeliveredId ?? "(no such group)";
      return c.html(
        confirmPage({
          title: `Reset group ${config.group}`,
          question: `Move group ${config.group} of ${config.stream} to ${id}? Entries after it are delivered (again); entries up to it are skipped.`,
          facts: [
            ["last-delivered-id now (to undo, reset to it)", now],
            ["new position", id],
          ],
          action: "/dashboard/actions/reset",
          fields: { id },
          button: `Reset to ${id}`,
          target: config,
          csrf: c.var.csrf,
        }),
      );
    }
    const report = await resetGroup({ redis, stream: config.stream, group: config.group, id });
    log("group_reset", { ...report, via: "dashboard" });
    const facts: [string, string][] = [
      ["group", report.group],
      ["now at", report.id],
      ["previous id (reset to it to undo)", report.previousLastDeliveredId ?? "–"],
    ];
    return c.html(outcomePage("Group reset", facts, config, c.var.csrf));
  });

  app.post("/dashboard/dlq/redrive", requireSession, async (c) => {
    const { form, target } = await posted(c);
    const all = field(form, "all") === "1";
    const ids = all ? "all" : idsOf(form);
    if (ids !== "all" && ids.length === 0) {
      return c.html(
        outcomePage(
          "Nothing to redrive",
          [["selected", "none: tick the dead letters to move"]],
          target.config,
          c.var.csrf,
        ),
        400,
      );
    }
    // Confirming always names the ids the dry run listed: nothing that arrived since moves.
    const dryRun = !confirmed(form);
    const report = await redriveMany(target, ids, dryRun);
    const { stream, dlqStream } = target.config;
    log("dlq_redrive", {
      stream,
      dlqStream,
      dryRun,
      all,
      moved: report.moved.length,
      skipped: report.skipped.length,
      via: "dashboard",
    });
    return c.html(redrivePage(target.config, report, c.var.csrf));
  });

  app.post("/dashboard/dlq/delete", requireSession, async (c) => {
    const { form, target } = await posted(c);
    const { config, redis } = target;
    const id = parseDeadLetterId(field(form, "id") ?? "");
    if (!confirmed(form)) {
      return c.html(
        confirmPage({
          title: "Delete a dead letter",
          question: `Delete dead letter ${id} from ${config.dlqStream}? Its message is gone for good.`,
          facts: [["dead-letter id", id]],
          action: "/dashboard/dlq/delete",
          fields: { id },
          button: "Delete it",
          target: config,
          csrf: c.var.csrf,
        }),
      );
    }
    const { deleted } = await deleteDeadLetter({ redis, dlqStream: config.dlqStream, id });
    log("dlq_delete", { dlqStream: config.dlqStream, id, deleted, via: "dashboard" });
    const facts: [string, string][] = [
      ["dead-letter id", id],
      ["deleted", deleted ? "yes" : "no (already gone)"],
    ];
    return c.html(outcomePage("Dead letter deleted", facts, config, c.var.csrf));
  });
}

/** Drain now / sweep now: asks, then runs one job with the configured limits and shows its report. */
async function job(c: Ctx, kind: "drain" | "sweep", options: HandlerOptions): Promise<Response> {
  const { form, target } = await posted(c);
  const { config, redis, configs, index } = target;
  if (!confirmed(form)) {
    const limits: [string, string][] =
      kind === "drain"
        ? [
            ["most messages", count(config.maxMessages)],
            ["time budget", duration(config.timeBudgetMs)],
          ]
        : [
            ["min idle before a retry", duration(config.minIdleMs)],
            ["max deliveries", String(config.maxDeliveries)],
          ];
    return c.html(
      confirmPage({
        title: `${kind === "drain" ? "Drain" : "Sweep"} ${config.stream} now`,
        question: `Run one ${kind} of ${config.stream} (group ${config.group}) now, with its handler?`,
        facts: limits,
        action: `/dashboard/actions/${kind}`,
        fields: {},
        button: `${kind === "drain" ? "Drain" : "Sweep"} now`,
        target: config,
        csrf: c.var.csrf,
      }),
    );
  }
  const handler = handlerFor(configs, index, options, invocationOf(c));
  const consumer = httpConsumerName(c.req.header("cf-ray"));
  const input = { config, redis, consumer, handler, tagged: configs.length > 1 };
  const report = kind === "drain" ? await runDrain(input) : await runSweep(input);
  const read = "read" in report ? report.read : report.claimed;
  const facts: [string, string][] = [
    ["consumer", report.consumer],
    [kind === "drain" ? "read" : "claimed", count(read)],
    ["acked", count(report.acked)],
    ["failed", count(report.failed)],
    ["dead-lettered", count(report.deadLettered)],
    ["stopped by", report.stoppedBy],
    ["took", duration(report.durationMs)],
  ];
  if (report.error) {
    facts.push(["error", report.error.message]);
  }
  return c.html(
    outcomePage(`${kind === "drain" ? "Drain" : "Sweep"} done`, facts, config, c.var.csrf),
  );
}
