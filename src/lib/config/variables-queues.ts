/** @module The environment variables of the Queues-compatible consumer. */
import { DEFAULTS } from "./defaults";
import { between, code, NAME_RULE } from "./expected";
import type { ConfigVariable } from "./variables";

/** In the README's table, last: they only matter to a `queue` consumer (docs/queues.md). */
export const QUEUE_VARIABLES: readonly ConfigVariable[] = [
  {
    name: "RETRY_DELAY_S",
    default: String(DEFAULTS.retryDelayS),
    meaning:
      "`queue` consumers: seconds a retried message waits at least before it is delivered again (a `retry()` without `delaySeconds`, and the messages of a batch whose handler threw), as Cloudflare's `retry_delay`; the sweep delivers it, so also no earlier than MIN_IDLE_MS and its backoff",
    expected: between("RETRY_DELAY_S"),
  },
  {
    name: "MAX_BATCH_TIMEOUT_MS",
    default: String(DEFAULTS.maxBatchTimeoutMs),
    meaning:
      "`queue` consumers: how long a batch waits for more messages (up to BATCH_SIZE) once it has one, as Cloudflare's `max_batch_timeout`; 0 = each read is a batch",
    expected: between("MAX_BATCH_TIMEOUT_MS"),
  },
  {
    name: "QUEUE_BODY_FIELD",
    default: code(DEFAULTS.queueBodyField),
    meaning:
      "`queue` consumers: the field whose JSON is a message's `body` (what `createQueue().send` and `POST /publish` write); an entry without it gives its fields object",
    expected: NAME_RULE,
  },
];
