/** @module The ready-made Worker: HTTP API and cron jobs, configured purely by env. */
import { app, type Env } from "./handlers/http";

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
