/** @module The environment variables of continuous drains, fan-out and publishing. */
import { DEFAULTS } from "./defaults";
import { BEARER, between, code } from "./expected";
import type { ConfigVariable } from "./variables";

/** In the README's table, after the variables of the jobs. */
export const CONTINUOUS_VARIABLES: readonly ConfigVariable[] = [
  {
    name: "DRAIN_MODE",
    default: code(DEFAULTS.drainMode),
    meaning:
      "`continuous`: a cron drain keeps polling while messages arrive (up to CRON_BUDGET_MS) and starts more drains when it cannot keep up; `cron`: one bounded drain per tick",
    expected: '"continuous" or "cron"',
  },
  {
    name: "POLL_MIN_MS",
    default: String(DEFAULTS.pollMinMs),
    meaning:
      "continuous mode: wait after the first empty read; doubles on each empty read after it",
    expected: between("POLL_MIN_MS"),
  },
  {
    name: "POLL_MAX_MS",
    default: String(DEFAULTS.pollMaxMs),
    meaning: "continuous mode: longest wait between two reads of a busy stream",
    expected: between("POLL_MAX_MS"),
  },
  {
    name: "POLL_IDLE_MS",
    default: String(DEFAULTS.pollIdleMs),
    meaning:
      "continuous mode: polling stops once nothing arrived for this long; a drain whose first read is empty stops at once",
    expected: between("POLL_IDLE_MS"),
  },
  {
    name: "CRON_BUDGET_MS",
    default: String(DEFAULTS.cronBudgetMs),
    meaning:
      "continuous mode: how long one cron drain may keep polling (TIME_BUDGET_MS stays for POST /drain)",
    expected: between("CRON_BUDGET_MS"),
  },
  {
    name: "MAX_PARALLEL_DRAINS",
    default: String(DEFAULTS.maxParallelDrains),
    meaning:
      "most drains running at once on the stream's group across all invocations; 1 = no fan-out",
    expected: between("MAX_PARALLEL_DRAINS"),
  },
  {
    name: "PUBLISH_TOKEN",
    default: "unset",
    meaning: "bearer token for POST /publish; unset = publishing through the Worker is off",
    expected: BEARER,
    secret: true,
  },
  {
    name: "MAX_MESSAGE_BYTES",
    default: String(DEFAULTS.maxMessageBytes),
    meaning: "largest message POST /publish takes, in bytes of its JSON",
    expected: between("MAX_MESSAGE_BYTES"),
  },
];
