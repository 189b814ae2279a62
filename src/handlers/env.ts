/** @module Types of the Worker env and of the hono context the routes share. */
import type { Redis } from "@upstash/redis/cloudflare";
import type { ResolvedConfig } from "../lib/index";

/**
 * The Worker's bindings: vars and secrets, validated per request by `parseConfig`, and the
 * optional `SELF` service binding (the Worker bound to itself, wrangler.toml `[[services]]`),
 * through which a drain that falls behind starts more drains as invocations of their own.
 */
export type Env = Record<string, unknown> & { SELF?: Fetcher };

/** Hono env of the admin routes: `c.var.config` and `c.var.redis` are set once auth passed. */
export type AdminEnv = {
  Bindings: Env;
  Variables: {
    /** Every configured stream, and the index among them of the one the request names. */
    configs: ResolvedConfig[];
    index: number;
    config: ResolvedConfig;
    redis: Redis;
  };
};
