/**
 * @module The dashboard's login session and CSRF tokens: stateless, signed with ADMIN_TOKEN,
 * so rotating the token logs everyone out and nothing is stored in Redis.
 */

/** Name of the session cookie. */
export const SESSION_COOKIE = "rsw_session";

/** How long a login lasts. */
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;

const encoder = new TextEncoder();

/** HMAC-SHA-256 of `message` under `secret`, as lowercase hex. */
async function sign(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(message));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Compares two strings without an early exit, so timing tells nothing of where they differ. */
function sameText(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  }
  return diff === 0;
}

/**
 * A new session cookie value: `<expiresAtMs>.<hmac>`. It carries no secret: the HMAC binds
 * the expiry to ADMIN_TOKEN, so only a holder of the token could have made it.
 */
export async function newSession(token: string, now = Date.now()): Promise<string> {
  const expires = now + SESSION_TTL_MS;
  return `${expires}.${await sign(token, `session.${expires}`)}`;
}

/** Whether `value` is a session this token signed and that has not expired. */
export async function isSession(
  token: string,
  value: string | undefined,
  now = Date.now(),
): Promise<boolean> {
  const match = /^(\d{1,16})\.([0-9a-f]{64})$/.exec(value ?? "");
  if (match === null) {
    return false;
  }
  const [, expires = "", mac = ""] = match;
  if (Number(expires) <= now) {
    return false;
  }
  return sameText(mac, await sign(token, `session.${expires}`));
}

/**
 * The CSRF token of a session: every form of the dashboard carries it in `_csrf`, and a POST
 * whose `_csrf` does not match its session cookie is refused. Derived, not stored: a page
 * made for one session is useless to another.
 */
export function csrfToken(token: string, session: string): Promise<string> {
  return sign(token, `csrf.${session}`);
}

/** Whether `given` is the CSRF token of `session`. */
export async function isCsrfToken(
  token: string,
  session: string,
  given: string | undefined,
): Promise<boolean> {
  if (given === undefined || given === "") {
    return false;
  }
  return sameText(given, await csrfToken(token, session));
}
