/** @module Parses and validates the Worker env into a fully-typed config. */

import { ConfigError } from "../errors";
import { EnvReader } from "./env-reader";
import { bearerToken, isUnset } from "./parsers";
import { type ResolvedConfig, readConfig } from "./read";
import { parseStreamConfigs } from "./streams";

export type { DrainMode, RetryBackoff, TrimPolicy } from "./parsers";
export { type ResolvedConfig, readConfig } from "./read";
export { CONFIG_RANGES, CONFIG_VARIABLES, type ConfigVariable } from "./variables";

/**
 * Validates a Worker env. Vars may be strings or, when set as TOML numbers/booleans in
 * wrangler.toml, numbers/booleans; an empty string counts as unset.
 * @param env the Worker `env` (or any record of variables, e.g. `process.env`)
 * @returns the configuration with the defaults of {@link DEFAULTS} applied; DLQ_STREAM
 *   defaults to `${STREAM}:dlq`
 * @throws ConfigError naming each bad variable, what it got (secrets as `<redacted>`) and
 *   what it expects, problems separated by `; `; with STREAMS, when it has more than one entry
 *   (read those with `parseStreamConfigs`)
 */
export function parseConfig(env: Record<string, unknown>): ResolvedConfig {
  if (!isUnset(env.STREAMS)) {
    return onlyStream(parseStreamConfigs(env));
  }
  const r = new EnvReader(env);
  const config = readConfig(r);
  r.check();
  return config;
}

/** The one entry of STREAMS. @throws ConfigError when there are several */
function onlyStream(configs: ResolvedConfig[]): ResolvedConfig {
  const [config] = configs;
  if (config === undefined || configs.length > 1) {
    throw new ConfigError(
      "STREAMS",
      `STREAMS has ${configs.length} entries: parseConfig reads one stream, parseStreamConfigs reads them all`,
    );
  }
  return config;
}

/**
 * ADMIN_TOKEN alone, by the same rule as {@link parseConfig}: the admin routes check the token
 * before the rest of the env is read, so that only the admin sees configuration errors.
 * @returns the token, or `undefined` when it is unset (the admin API is off)
 * @throws ConfigError naming ADMIN_TOKEN, never showing its value
 */
export function parseAdminToken(env: Record<string, unknown>): string | undefined {
  const r = new EnvReader(env);
  const token = r.optional("ADMIN_TOKEN", bearerToken);
  r.check();
  return token;
}
