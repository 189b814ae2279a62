/** @module Types of the Worker env and of the hono context the routes share. */
import type { ResolvedConfig } from "../lib/config/env";

/** The Worker's bindings: vars and secrets, validated per request by `parseConfig`. */
export type Env = Record<string, unknown>;

/** Hono env of the admin routes: `c.var.config` is set once auth passed. */
export type AdminEnv = { Bindings: Env; Variables: { config: ResolvedConfig } };
