/** @module Bearer-token auth of the admin routes, compared in constant time. */
import type { MiddlewareHandler } from "hono";
import { parseAdminToken } from "../lib/config/env";
import { HttpError } from "./http-errors";

/** SHA-256 first: equal-length digests, so neither length nor content leaks through timing. */
async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/**
 * Whether two tokens are equal, taking the same time wherever they differ: both are hashed
 * and every byte of the digests is compared, without an early exit.
 */
export async function tokensEqual(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  }
  return diff === 0;
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;
const CHALLENGE = { "www-authenticate": 'Bearer realm="redis-streams-worker"' };

/**
 * Lets a request through only with `Authorization: Bearer $ADMIN_TOKEN`. Runs before the
 * env is validated, so configuration errors are shown to the admin only. The token is never
 * logged nor echoed.
 * @throws HttpError 403 when ADMIN_TOKEN is unset (the admin API is off), 401 when the
 *   token is missing or wrong
 * @throws ConfigError (500) when ADMIN_TOKEN could never be sent as a bearer token (a space
 *   in it, say): nobody could log in, so the one thing said before auth is that the variable
 *   is wrong, never its value
 */
export const requireAdmin: MiddlewareHandler<{ Bindings: Record<string, unknown> }> = async (
  c,
  next,
) => {
  const expected = parseAdminToken(c.env);
  if (expected === undefined) {
    throw new HttpError(403, "ADMIN_DISABLED", "ADMIN_TOKEN is not set: admin endpoints are off");
  }
  await checkBearer(c.req.header("authorization"), expected, "ADMIN_TOKEN");
  await next();
};

/**
 * Checks an `Authorization` header against the token of variable `name`, in constant time.
 * @throws HttpError 401 when the bearer token is missing (the answer says which one to send)
 *   or wrong; neither answer nor log ever shows a token
 */
export async function checkBearer(
  header: string | undefined,
  expected: string,
  name: string,
): Promise<void> {
  const given = BEARER.exec(header ?? "")?.[1];
  if (given === undefined) {
    throw new HttpError(
      401,
      "UNAUTHORIZED",
      `missing bearer token: send Authorization: Bearer <${name}>`,
      CHALLENGE,
    );
  }
  if (!(await tokensEqual(given, expected))) {
    throw new HttpError(401, "UNAUTHORIZED", "invalid bearer token", CHALLENGE);
  }
}
