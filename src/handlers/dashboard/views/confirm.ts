/** @module Confirmation and outcome pages: every action is asked about once, then reported. */
import { html } from "hono/html";
import type { StreamView } from "../data";
import { targetFields } from "./dead-letters";
import { layout, type View } from "./layout";
import { streamHref } from "./overview";

export type ConfirmInput = {
  title: string;
  /** What will happen, in a sentence. */
  question: string;
  /** Facts shown before confirming, e.g. where the group stands now. */
  facts: [string, string][];
  /** Where the confirming form posts. */
  action: string;
  /** Extra hidden fields the action needs (besides stream, group, CSRF and confirm). */
  fields: Record<string, string>;
  button: string;
  target: StreamView["config"];
  csrf: string;
};

/** The page that asks before an action: its confirming form is the only way to run it. */
export function confirmPage(input: ConfirmInput): View {
  const { target, csrf } = input;
  const extra = Object.entries(input.fields).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  );
  const body = html`<h2>${input.title}</h2><p id="question">${input.question}</p>
<div class="box"><table><tbody>${input.facts.map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}</tbody></table></div>
<div class="actions"><form method="post" action="${input.action}">${targetFields(target, csrf)}${extra}<input type="hidden" name="confirm" value="1"><button class="primary" type="submit" id="confirm">${input.button}</button></form>
<a href="${streamHref(target)}">Cancel</a></div>`;
  return layout({ title: input.title, body, csrf });
}

/** What an action did, as label/value rows, with the way back to the stream. */
export function outcomePage(
  title: string,
  facts: [string, string][],
  target: StreamView["config"],
  csrf: string,
): View {
  const body = html`<h2>${title}</h2>
<div class="box"><table id="outcome"><tbody>${facts.map(([k, v]) => html`<tr><th>${k}</th><td data-field="${k}">${v}</td></tr>`)}</tbody></table></div>
<p><a href="${streamHref(target)}">← ${target.stream}</a></p>`;
  return layout({ title, body, csrf });
}
