/** @module Dead-letter pages: the paged list, one entry's payload, redrive and delete outcomes. */
import { html } from "hono/html";
import type { DeadLetter, RedriveReport, UnreadableDeadLetter } from "../../../lib/index";
import type { StreamView } from "../data";
import { count, isoTime } from "./format";
import { csrfField, layout, type View } from "./layout";
import { streamHref } from "./overview";

type Target = StreamView["config"];

/** The hidden fields that say which stream a form is about, and its CSRF token. */
export function targetFields(target: Target, csrf: string): View {
  return html`${csrfField(csrf)}<input type="hidden" name="stream" value="${target.stream}"><input type="hidden" name="group" value="${target.group}">`;
}

function query(target: Target, extra: Record<string, string> = {}): string {
  return new URLSearchParams({ stream: target.stream, group: target.group, ...extra }).toString();
}

/** Where one dead letter's page is. */
export function entryHref(target: Target, id: string): string {
  return `/dashboard/dlq/entry?${query(target, { id })}`;
}

const short = (text: string, max = 120) => (text.length > max ? `${text.slice(0, max)}…` : text);

function entryRow(target: Target, e: DeadLetter): View {
  return html`<tr data-dlq-id="${e.id}"><td><input type="checkbox" name="ids" value="${e.id}" form="selection" aria-label="select ${e.id}"></td>
<td><a href="${entryHref(target, e.id)}">${e.id}</a><br><span class="muted">was ${e.originalId}</span></td>
<td>${e.reason}</td><td class="num">${e.deliveries}</td><td class="error-text" title="${e.error}">${short(e.error)}</td><td>${isoTime(e.deadAt)}</td></tr>`;
}

export type DeadLetterListInput = {
  target: Target;
  length: number;
  entries: DeadLetter[];
  unreadable: UnreadableDeadLetter[];
  next: string | null;
  csrf: string;
};

/** A page of dead letters, newest first, with redrive of a selection or of all. */
export function deadLetterListPage(input: DeadLetterListInput): View {
  const { target, csrf } = input;
  const unreadable = input.unreadable.length
    ? html`<p class="notice">${input.unreadable.length} entries here are not dead letters this package can read: ${input.unreadable.map((u) => html`<br>${u.id}: ${u.error}`)}</p>`
    : "";
  const older = input.next
    ? html`<a href="/dashboard/dlq?${query(target, { start: input.next })}">Older →</a>`
    : html`<span class="muted">End of the dead letters.</span>`;
  const body = html`<h2>Dead letters of <a href="${streamHref(target)}">${target.stream}</a> <span class="muted">· ${count(input.length)} in the DLQ</span></h2>
<form id="selection" method="post" action="/dashboard/dlq/redrive">${targetFields(target, csrf)}</form>
<div class="box"><table id="dead-letters"><thead><tr><th></th><th>Id</th><th>Reason</th><th class="num">Deliveries</th><th>Error</th><th>Dead at</th></tr></thead>
<tbody>${input.entries.map((e) => entryRow(target, e))}</tbody></table>
${input.entries.length === 0 ? html`<p class="muted">No dead letters.</p>` : ""}${unreadable}<p>${older}</p></div>
<div class="actions"><button type="submit" form="selection" class="primary">Redrive selected…</button>
<form method="post" action="/dashboard/dlq/redrive">${targetFields(target, csrf)}<input type="hidden" name="all" value="1"><button type="submit">Redrive all…</button></form></div>
<p class="muted">Each redrive shows what would move first (a dry run) and moves nothing until you confirm.</p>`;
  return layout({ title: `Dead letters of ${target.stream}`, body, csrf });
}

/** A value pretty-printed when it is a JSON object or array, else as it is (escaped). */
export function payloadText(value: string): string {
  const t = value.trim();
  if (t.startsWith("{") || t.startsWith("[")) {
    try {
      return JSON.stringify(JSON.parse(t), null, 2);
    } catch {
      // Not JSON after all: shown as the text it is.
    }
  }
  return value;
}

/** One dead letter: metadata, every original pair, redrive and delete. */
export function deadLetterPage(target: Target, e: DeadLetter, csrf: string): View {
  const meta: [string, string][] = [
    ["original id", e.originalId],
    ["original stream", e.originalStream],
    ["group", e.group],
    ["last consumer", e.lastConsumer],
    ["deliveries", String(e.deliveries)],
    ["failed runs", String(e.failures)],
    ["reason", e.reason],
    ["dead at", isoTime(e.deadAt)],
  ];
  const pairs = e.pairs.map(
    ([field, value]) => html`<h3>${field}</h3><pre class="payload">${payloadText(value)}</pre>`,
  );
  const body = html`<h2>Dead letter ${e.id}</h2>
<p><a href="/dashboard/dlq?${query(target)}">← dead letters of ${target.stream}</a></p>
<div class="box"><table><tbody>${meta.map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}</tbody></table></div>
<h3>Error</h3><pre class="error-text">${e.error}</pre>
<h2>Payload</h2>${pairs}
<div class="actions"><form method="post" action="/dashboard/dlq/redrive">${targetFields(target, csrf)}<input type="hidden" name="ids" value="${e.id}"><button class="primary" type="submit">Redrive…</button></form>
<form method="post" action="/dashboard/dlq/delete">${targetFields(target, csrf)}<input type="hidden" name="id" value="${e.id}"><button class="danger" type="submit">Delete…</button></form></div>`;
  return layout({ title: `Dead letter ${e.id}`, body, csrf });
}

/** A redrive's dry run (with the form that confirms it) or its outcome. */
export function redrivePage(target: Target, report: RedriveReport, csrf: string): View {
  const { moved, skipped, dryRun } = report;
  const movedRows = moved.map(
    (m) =>
      html`<tr data-moved="${m.dlqId}"><td>${m.dlqId}</td><td>${m.originalId}</td><td>${m.newId ?? "–"}</td></tr>`,
  );
  const skippedList = skipped.length
    ? html`<h3>Left in place (${skipped.length})</h3><ul>${skipped.map((s) => html`<li data-skipped="${s.id}">${s.id}: ${s.reason}${s.error ? ` (${s.error})` : ""}</li>`)}</ul>`
    : "";
  const confirm =
    dryRun && moved.length > 0
      ? html`<form method="post" action="/dashboard/dlq/redrive">${targetFields(target, csrf)}${moved.map((m) => html`<input type="hidden" name="ids" value="${m.dlqId}">`)}<input type="hidden" name="confirm" value="1"><button class="primary" type="submit" id="confirm-redrive">Confirm: move ${moved.length} back to ${target.stream}</button></form>`
      : "";
  const verb = dryRun ? "Would move" : "Moved";
  const body = html`<h2>${dryRun ? "Redrive: dry run" : "Redrive done"}</h2>
<p id="redrive-summary">${verb} ${moved.length} dead letters back to ${target.stream}; ${skipped.length} left in place.</p>
<div class="box"><table id="redrive"><thead><tr><th>Dead-letter id</th><th>Original id</th><th>New id</th></tr></thead><tbody>${movedRows}</tbody></table></div>
${skippedList}${confirm}
<p><a href="/dashboard/dlq?${query(target)}">← dead letters</a> · <a href="${streamHref(target)}">stream</a></p>`;
  return layout({ title: "Redrive", body, csrf });
}
