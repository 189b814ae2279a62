/** @module Public API of the library: the runtime-agnostic core of redis-streams-worker. */

export { DEFAULTS, type Defaults } from "./config/defaults";
export {
  CONFIG_RANGES,
  CONFIG_VARIABLES,
  type ConfigVariable,
  parseConfig,
  type ResolvedConfig,
  type RetryBackoff,
  type TrimPolicy,
} from "./config/env";
export {
  type DeadLetter,
  type DeadLetterInput,
  type DeadLetterReason,
  listDeadLetters,
  moveToDeadLetter,
  type RedriveReport,
  redrive,
} from "./dead-letter/dead-letter";
export {
  type ConsumeOptions,
  type ConsumeRedis,
  consumeBatch,
  type DrainEvent,
  type DrainReport,
} from "./drain/drain";
export {
  ConfigError,
  errorMessage,
  HandlerTimeoutError,
  PermanentError,
  RedisCommandError,
  ReplyShapeError,
  type StreamsErrorOptions,
  StreamsWorkerError,
} from "./errors";
export {
  cronConsumerName,
  httpConsumerName,
  isValidConsumerName,
  MAX_CONSUMER_NAME_LENGTH,
  randomSuffix,
} from "./group/consumer-name";
export { ensureGroup, forgetGroup, isNoGroupError } from "./group/ensure";
export { deleteIdleConsumers, type HygieneOptions } from "./group/idle-consumers";
export { GroupNotFoundError, type ResetOptions, type ResetReport, resetGroup } from "./group/reset";
export { Limiter } from "./handling/limiter";
export type { HandlerContext, MessageHandler, StreamMessage } from "./handling/message";
export { type StreamKeys, streamKeys } from "./redis/keys";
export * from "./replies/index";
export {
  type ConsumerStats,
  type GroupStats,
  getStats,
  type StatsOptions,
  type StatsSnapshot,
} from "./stats/stats";
export { isRipe, reclaimAfterMs } from "./sweep/backoff";
export {
  type SweepOptions,
  type SweepRedis,
  type SweepReport,
  type SweepStop,
  sweep,
} from "./sweep/sweep";
export {
  ackedTrimBound,
  type GroupPosition,
  type TrimOptions,
  type TrimReport,
  trimStream,
} from "./trim/trim";
export {
  classifyStatus,
  type DeliveryOutcome,
  describeTarget,
  targetRequest,
} from "./webhook/policy";
