/** @module Who may publish: the PUBLISH_TOKEN check of `POST /publish`, before the env is read. */
import type { MiddlewareHandler } from "hono";
import { bearerToken, isUnset } from "../lib/config/parsers";
import { CONFIG_VARIABLES } from "../lib/config/variables";
import { ConfigError } from "../lib/index";
import { checkBearer } from "./auth";
import type { Env } from "./env";
import { HttpError } from "./http-errors";

/**
 * PUBLISH_TOKEN alone, read before the rest of the env so that only a producer holding it
 * sees configuration errors.
 * @throws ConfigError naming PUBLISH_TOKEN (never its value) when it could never be sent as a
 *   bearer token
 */
function publishTokenOf(env: Env): string | undefined {
  const raw = env.PUBLISH_TOKEN;
  if (isUnset(raw)) {
    return undefined;
  }
  const token = bearerToken(raw);
  if (typeof token !== "string") {
    const expected = CONFIG_VARIABLES.find((v) => v.name === "PUBLISH_TOKEN")?.expected;
    throw new ConfigError("PUBLISH_TOKEN", `PUBLISH_TOKEN must be ${expected}, got <redacted>`);
  }
  return token;
}

/**
 * Lets a request through only with `Authorization: Bearer $PUBLISH_TOKEN`, compared in
 * constant time as the admin token is; ADMIN_TOKEN does not open it.
 * @throws HttpError 404 `PUBLISH_OFF` when PUBLISH_TOKEN is unset, 401 when the token is
 *   missing or wrong
 */
export const requirePublisher: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  const expected = publishTokenOf(c.env);
  if (expected === undefined) {
    throw new HttpError(404, "PUBLISH_OFF", "PUBLISH_TOKEN is not set: publishing is off");
  }
  await checkBearer(c.req.header("authorization"), expected, "PUBLISH_TOKEN");
  await next();
};
