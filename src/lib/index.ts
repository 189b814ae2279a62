/** @module Public API of the library: the runtime-agnostic core of redis-streams-worker. */

export { isRipe, reclaimAfterMs } from "./backoff";
export { Limiter } from "./concurrency";
export {
  CONFIG_RANGES,
  CONFIG_VARIABLES,
  type ConfigVariable,
  parseConfig,
  type ResolvedConfig,
  type RetryBackoff,
  type TrimPolicy,
} from "./config";
export {
  type ConsumeOptions,
  type ConsumeRedis,
  consumeBatch,
  type DrainEvent,
  type DrainReport,
} from "./consume";
export { deleteIdleConsumers, type HygieneOptions } from "./consumer-hygiene";
export {
  cronConsumerName,
  httpConsumerName,
  isValidConsumerName,
  MAX_CONSUMER_NAME_LENGTH,
  randomSuffix,
} from "./consumer-name";
export {
  type DeadLetter,
  type DeadLetterInput,
  type DeadLetterReason,
  listDeadLetters,
  moveToDeadLetter,
  type RedriveReport,
  redrive,
} from "./dead-letter";
export { DEFAULTS, type Defaults } from "./defaults";
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
  classifyStatus,
  type DeliveryOutcome,
  describeTarget,
  targetRequest,
} from "./forward-policy";
export { ensureGroup, forgetGroup, isNoGroupError } from "./group";
export { GroupNotFoundError, type ResetOptions, type ResetReport, resetGroup } from "./group-reset";
export { type StreamKeys, streamKeys } from "./keys";
export type { HandlerContext, MessageHandler, StreamMessage } from "./message";
export * from "./replies/index";
export {
  ackedTrimBound,
  type GroupPosition,
  type TrimOptions,
  type TrimReport,
  trimStream,
} from "./retention";
export {
  type ConsumerStats,
  type GroupStats,
  getStats,
  type StatsOptions,
  type StatsSnapshot,
} from "./stats";
export {
  type SweepOptions,
  type SweepRedis,
  type SweepReport,
  type SweepStop,
  sweep,
} from "./sweep";
