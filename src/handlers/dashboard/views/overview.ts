/** @module The overview: one row per configured stream and group, most in need of a look first. */
import { html } from "hono/html";
import type { JobRecord } from "../../../lib/index";
import { byAttention, oldestPendingAge, type StreamView } from "../data";
import { ago, count, duration } from "./format";
import { layout, type View } from "./layout";

/** Where a stream's page is. */
export function streamHref(config: StreamView["config"]): string {
  const q = new URLSearchParams({ stream: config.stream, group: config.group });
  return `/dashboard/stream?${q}`;
}

/** A job's last report in one cell: when, its counts, why it stopped (and its error). */
export function jobCell(record: JobRecord | null, now: number): View {
  if (record === null) {
    return html`<span class="muted">never</span>`;
  }
  const counts = `${record.read}/${record.acked}/${record.failed}/${record.deadLettered}`;
  const error = record.error
    ? html` <span class="badge bad" title="${record.error}">error</span>`
    : "";
  return html`<span title="${record.consumer}">${ago(record.at, now)}</span><br><span class="muted">${counts} · ${record.stoppedBy}</span>${error}`;
}

function row(view: StreamView, now: number): View {
  const { config, stats, group } = view;
  const alerting = stats.alerts.filter((a) => a.group === config.group).length;
  const age = oldestPendingAge(view, now);
  const needsLook = alerting > 0 || stats.dlq.length > 0;
  const dlq = new URLSearchParams({ stream: config.stream, group: config.group });
  return html`<tr data-stream="${config.stream}" data-group="${config.group}"${needsLook ? html` class="attention"` : ""}>
<td data-label="Stream"><div><a href="${streamHref(config)}">${config.stream}</a><br><span class="muted">${config.group}${group === null ? " (no group yet)" : ""}</span></div></td>
<td class="num" data-field="length" data-label="Length">${count(stats.stream.length)}</td>
<td class="num" data-field="backlog" data-label="Backlog">${count(view.backlogs.get(config.group) ?? null)}</td>
<td class="num" data-field="pending" data-label="Pending">${count(group?.pending ?? 0)}</td>
<td class="num" data-field="oldest" data-label="Oldest pending">${duration(age)}</td>
<td class="num" data-field="dlq" data-label="DLQ"><a href="/dashboard/dlq?${dlq}">${count(stats.dlq.length)}</a></td>
<td class="num" data-label="Consumers"><div><span data-field="consumers">${count(group?.consumerCount ?? 0)}</span>${alerting > 0 ? html` <span class="badge bad" data-field="alerts">${alerting} alerting</span>` : ""}</div></td>
<td data-field="last-drain" data-label="Last drain"><div>${jobCell(view.lastDrain, now)}</div></td>
<td data-field="last-sweep" data-label="Last sweep"><div>${jobCell(view.lastSweep, now)}</div></td></tr>`;
}

/** The overview page of every configured stream. */
export function overviewPage(views: StreamView[], csrf: string, now: number): View {
  const rows = byAttention(views, now).map((v) => row(v, now));
  const body = html`<h2>Streams</h2>
<div class="box" id="overview-box" data-live>
<table id="overview"><thead><tr><th>Stream / group</th><th class="num">Length</th><th class="num">Backlog</th><th class="num">Pending</th><th class="num">Oldest pending</th><th class="num">DLQ</th><th class="num">Consumers</th><th>Last drain</th><th>Last sweep</th></tr></thead>
<tbody>${rows}</tbody></table>
<p class="muted">Sorted by what needs a look: alerting consumers, failed jobs, dead letters, oldest pending entry, backlog. Job counts are read/acked/failed/dead-lettered (a sweep's read is what it claimed).</p></div>`;
  return layout({ title: "Overview", body, csrf });
}
