/** @module Public API of the library: the runtime-agnostic core of redis-streams-worker. */

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
  cronConsumerName,
  httpConsumerName,
  isValidConsumerName,
  MAX_CONSUMER_NAME_LENGTH,
  randomSuffix,
} from "./consumer-name";
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
export { type StreamKeys, streamKeys } from "./keys";
export * from "./replies/index";
