/** @module The frame every dashboard page shares: head, header with navigation and logout. */
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

/** What the views produce: hono's escaped HTML (sync or async). */
export type View = HtmlEscapedString | Promise<HtmlEscapedString>;

export type PageInput = {
  title: string;
  body: View;
  /** The session's CSRF token; absent on the login page (no logout form, no navigation). */
  csrf?: string;
  /** This page's own address: the Refresh link for a browser without JavaScript. */
  self?: string;
};

/** A hidden `_csrf` field: every state-changing form carries one. */
export function csrfField(csrf: string): View {
  return html`<input type="hidden" name="_csrf" value="${csrf}">`;
}

/** A whole page. Everything interpolated is escaped by hono's `html` tag. */
export function layout({ title, body, csrf, self = "/dashboard" }: PageInput): View {
  const header =
    csrf === undefined
      ? html`<header><h1>redis-streams-worker</h1></header>`
      : html`<header><h1><a href="/dashboard">redis-streams-worker</a></h1>
<nav><a href="/dashboard">Overview</a><a href="${self}" id="refresh-link">Refresh</a><span id="refreshed" class="muted"></span></nav>
<form method="post" action="/dashboard/logout">${csrfField(csrf)}<button type="submit">Log out</button></form></header>`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · redis-streams-worker</title><link rel="stylesheet" href="/dashboard/assets/style.css">
<script src="/dashboard/assets/live.js" defer></script></head>
<body>${header}<main>${body}</main></body></html>`;
}

/** The login form; `error` says why the last attempt failed. */
export function loginPage(error?: string): View {
  const body = html`<form class="login" method="post" action="/dashboard/login">
<h2>Dashboard login</h2>
${error === undefined ? "" : html`<p class="notice error" role="alert">${error}</p>`}
<label for="token">Admin token (ADMIN_TOKEN)</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button class="primary" type="submit">Log in</button></form>`;
  return layout({ title: "Log in", body });
}

/** A page saying what went wrong, with a way back. */
export function messagePage(
  title: string,
  message: string,
  csrf: string | undefined,
  back: string,
): View {
  const body = html`<h2>${title}</h2><p class="notice error" role="alert">${message}</p><p><a href="${back}">Back</a></p>`;
  return layout({ title, body, csrf });
}
