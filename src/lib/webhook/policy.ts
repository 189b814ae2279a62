/** @module How the webhook handler judges a target's answer; pure, no fetch. */

/**
 * What a delivery outcome means for the message: `success` acks it, `transient` leaves it
 * pending for the sweep to retry, `permanent` dead-letters it at once.
 */
export type DeliveryOutcome = "success" | "transient" | "permanent";

/** 4xx answers that say "later", not "never": request timeout and rate limiting. */
const RETRYABLE_4XX = new Set([408, 429]);

/**
 * Classifies an HTTP status of the target: 2xx success; 408, 429 and 5xx transient; every
 * other status permanent. 3xx is permanent because redirects are not followed (a followed
 * 301/302 would turn the POST into a GET): the same URL would redirect again on every retry,
 * so the fix is TARGET_URL, then a redrive.
 * @see https://developer.mozilla.org/docs/Web/HTTP/Status
 */
export function classifyStatus(status: number): DeliveryOutcome {
  if (status >= 200 && status <= 299) {
    return "success";
  }
  if (status >= 500 || RETRYABLE_4XX.has(status)) {
    return "transient";
  }
  return "permanent";
}

/**
 * The target as errors and logs may show it: origin and path only. Userinfo and query
 * strings often carry credentials (`?token=...`), and error texts end up in dead-letter
 * entries and logs.
 * @example describeTarget("https://u:p@hooks.example.com/in?token=x") // "https://hooks.example.com/in"
 */
export function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "<invalid url>";
  }
}

/**
 * Moves userinfo out of the URL into an `Authorization: Basic` header, as curl does:
 * fetch refuses to construct a request from a URL with credentials in it.
 * @example targetRequest("https://u:p%40ss@h/in") // { url: "https://h/in", authorization: "Basic dTpwQHNz" }
 */
export function targetRequest(url: string): { url: string; authorization?: string } {
  const u = new URL(url);
  if (u.username === "" && u.password === "") {
    return { url };
  }
  const pair = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
  u.username = "";
  u.password = "";
  const bytes = new TextEncoder().encode(pair);
  return { url: u.href, authorization: `Basic ${btoa(String.fromCharCode(...bytes))}` };
}
