/** @module Types of the Worker env and of the hono context the routes share. */
import type { Redis } from "@upstash/redis/cloudflare";
import type { ResolvedConfig } from "../lib/index";

/** The Worker's bindings: vars and secrets, validated per request by `parseConfig`. */
export type Env = Record<string, unknown>;

/** Hono env of the admin routes: `c.var.config` and `c.var.redis` are set once auth passed. */
export type AdminEnv = { Bindings: Env; Variables: { config: ResolvedConfig; redis: Redis } };
