/** @module A stream's page: its groups and consumers, charts, last reports and actions. */
import { html } from "hono/html";
import type { ConsumerStats, GroupStats, JobRecord } from "../../../lib/index";
import { oldestPendingAge, type StreamView } from "../data";
import { count, duration, idTime, isoTime } from "./format";
import { historyCharts } from "./history-charts";
import { csrfField, layout, type View } from "./layout";
import { streamHref } from "./overview";

function card(label: string, value: string, field: string): View {
  return html`<div class="card"><span class="muted">${label}</span><b data-field="${field}">${value}</b></div>`;
}

function consumerRow(c: ConsumerStats): View {
  return html`<tr data-consumer="${c.name}"${c.alert ? html` class="dead"` : ""}>
<td>${c.name}${c.alert ? html` <span class="badge bad">may be dead</span>` : ""}</td>
<td class="num" data-field="pending">${count(c.pending)}</td><td class="num" data-field="idle">${duration(c.idleMs)}</td></tr>`;
}

function groupSection(view: StreamView, g: GroupStats, now: number): View {
  const age = idTime(g.oldestPendingId);
  const consumers = g.consumers.length
    ? html`<table class="consumers"><thead><tr><th>Consumer</th><th class="num">Pending</th><th class="num">Idle</th></tr></thead><tbody>${g.consumers.map(consumerRow)}</tbody></table>`
    : html`<p class="muted">No consumers.</p>`;
  return html`<div class="box group" data-group="${g.name}">
<h3>Group ${g.name}${g.name === view.config.group ? html` <span class="badge">configured</span>` : ""}</h3>
<table><tbody>
<tr><th>Backlog</th><td class="num" data-field="backlog">${count(view.backlogs.get(g.name) ?? null)}</td><th>Pending</th><td class="num" data-field="pending">${count(g.pending)}</td></tr>
<tr><th>Oldest pending</th><td class="num" data-field="oldest">${age === null ? "–" : duration(now - age)}</td><th>Consumers</th><td class="num" data-field="consumers">${count(g.consumerCount)}</td></tr>
<tr><th>Last delivered</th><td colspan="3" data-field="last-delivered-id">${g.lastDeliveredId}</td></tr>
</tbody></table>${consumers}</div>`;
}

function reportTable(title: string, r: JobRecord | null): View {
  if (r === null) {
    return html`<div class="box"><h3>${title}</h3><p class="muted">None recorded yet.</p></div>`;
  }
  const rows: [string, string][] = [
    ["ended", isoTime(r.at)],
    ["consumer", r.consumer],
    [r.job === "drain" ? "read" : "claimed", count(r.read)],
    ["acked", count(r.acked)],
    ["failed", count(r.failed)],
    ["dead-lettered", count(r.deadLettered)],
    ["stopped by", r.stoppedBy],
    ["took", duration(r.durationMs)],
    ["requests", count(r.requests)],
  ];
  if (r.error) {
    rows.push(["error", r.error]);
  }
  return html`<div class="box"><h3>${title}</h3><table><tbody>${rows.map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}</tbody></table></div>`;
}

/** Drain now, sweep now, reset the group: each leads to a confirmation page first. */
function actions(view: StreamView, csrf: string): View {
  const { stream, group } = view.config;
  const hidden = html`${csrfField(csrf)}<input type="hidden" name="stream" value="${stream}"><input type="hidden" name="group" value="${group}">`;
  const previous = view.group?.lastDeliveredId ?? "–";
  return html`<h2>Actions</h2><div class="box actions">
<form method="post" action="/dashboard/actions/drain">${hidden}<button type="submit">Drain now…</button></form>
<form method="post" action="/dashboard/actions/sweep">${hidden}<button type="submit">Sweep now…</button></form>
<form method="post" action="/dashboard/actions/reset">${hidden}<label>Reset group ${group} to id <input type="text" name="id" placeholder="0, $ or an id" required size="22"></label><button type="submit">Reset…</button><span class="muted">now at ${previous}</span></form>
</div>`;
}

/** The page of one configured stream and group. */
export function streamPage(view: StreamView, csrf: string, now: number): View {
  const { config, stats } = view;
  const alerting = stats.alerts.length;
  const q = new URLSearchParams({ stream: config.stream, group: config.group });
  const cards = html`<div class="cards" id="cards" data-live>
${card("Length", count(stats.stream.length), "length")}
${card("Backlog", count(view.backlogs.get(config.group) ?? null), "backlog")}
${card("Pending", count(view.group?.pending ?? 0), "pending")}
${card("Oldest pending", duration(oldestPendingAge(view, now)), "oldest")}
${card("Dead letters", count(stats.dlq.length), "dlq")}
${card("Alerting consumers", count(alerting), "alerts")}</div>`;
  const groups = stats.groups.length
    ? stats.groups.map((g) => groupSection(view, g, now))
    : html`<p class="muted">The stream has no consumer group yet: the first drain creates ${config.group}.</p>`;
  const body = html`<h2>${config.stream} <span class="muted">· ${config.group}</span></h2>
<p><a href="/dashboard/dlq?${q}">Dead letters (${count(stats.dlq.length)})</a> · stream ${stats.stream.exists ? "" : "does not exist yet · "}first ${stats.stream.firstEntryId ?? "–"}, last ${stats.stream.lastEntryId ?? "–"}</p>
${cards}
<h2>History</h2><div id="charts" data-live>${historyCharts(view.snapshots, now)}</div>
<h2>Groups and consumers</h2><div id="groups" data-live>${groups}</div>
<h2>Latest jobs</h2><div class="charts" id="reports" data-live>${reportTable("Last drain", view.lastDrain)}${reportTable("Last sweep", view.lastSweep)}</div>
${actions(view, csrf)}`;
  return layout({ title: config.stream, body, csrf, self: streamHref(config) });
}
