/** @module The ready-made Worker: HTTP API and cron jobs, configured purely by env. */
import { createWorker } from "./handlers/worker";

export default createWorker();
