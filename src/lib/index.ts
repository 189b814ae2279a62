/** @module Public API of the library: the runtime-agnostic core of redis-streams-worker. */

export { DEFAULTS, type Defaults } from "./config/defaults";
export {
  parseConfig,
  type ResolvedConfig,
  type RetryBackoff,
  type TrimPolicy,
} from "./config/env";
export { RANGES } from "./config/ranges";
export {
  MAX_STREAMS,
  parseStreamConfigs,
  STREAM_SETTINGS,
  type StreamSetting,
} from "./config/streams";
export {
  type DeadLetterByIdOptions,
  type DeleteDeadLetterResult,
  deleteDeadLetter,
  readDeadLetter,
} from "./dead-letter/by-id";
export { countDeadLetters } from "./dead-letter/count";
export type { DeadLetter, DeadLetterInput, DeadLetterReason } from "./dead-letter/entry";
export {
  type DeadLetterPage,
  type ListOptions,
  listDeadLetters,
  type UnreadableDeadLetter,
} from "./dead-letter/list";
export { type MoveOptions, type MoveResult, moveToDeadLetter } from "./dead-letter/move";
export {
  type RedriveMove,
  type RedriveOptions,
  type RedriveReport,
  type RedriveSkip,
  type RedriveSkipReason,
  redrive,
} from "./dead-letter/redrive";
export { type DeadLetterArgument, DeadLetterInputError } from "./dead-letter/select";
export { consumeBatch, drain } from "./drain/drain";
export type {
  DrainBatch,
  DrainEvent,
  DrainOptions,
  DrainPoll,
  DrainRedis,
  DrainReport,
  DrainStop,
} from "./drain/options";
export {
  ConfigError,
  errorMessage,
  GroupNotFoundError,
  IdPastEndError,
  PermanentError,
  PublishInputError,
  type PublishInputPlace,
  QueueSendError,
  RedisCommandError,
  type RedisFailureKind,
  ReplyShapeError,
  type ReportError,
  RequestBudgetError,
  type StreamsErrorOptions,
  StreamsWorkerError,
} from "./errors";
export { estimateBacklog } from "./fanout/backlog";
export {
  cronConsumerName,
  httpConsumerName,
  isValidConsumerName,
  MAX_CONSUMER_NAME_LENGTH,
} from "./group/consumer-name";
export { type EnsureGroupOptions, type EnsureGroupResult, ensureGroup } from "./group/ensure";
export { recordGroupPosition } from "./group/position";
export { type ResetOptions, type ResetReport, resetGroup } from "./group/reset";
export type { HandlerContext, MessageHandler, StreamMessage } from "./handling/message";
export { isPermanentError } from "./handling/outcome";
export { RetryLaterError } from "./handling/retry";
export { type JobRecord, jobRecord, parseJobRecord } from "./history/job-record";
export {
  type History,
  parseHistoryList,
  parseLastJobs,
  type ReadHistoryOptions,
  readHistory,
} from "./history/read";
export {
  HISTORY_BACKLOG_CAP,
  isIdleJob,
  type RecordJobOptions,
  type RecordSnapshotOptions,
  recordJob,
  recordSnapshot,
} from "./history/record";
export { MINUTE_MS, minuteOf, parseSnapshot, type Snapshot } from "./history/snapshot";
export {
  MAX_PUBLISH_PAIRS,
  type PublishMessage,
  type PublishOptions,
  type PublishRedis,
  type PublishResult,
  publish,
} from "./publish/publish";
export type {
  QueueBatch,
  QueueBatchMetadata,
  QueueMessage,
  QueueRetryOptions,
} from "./queues/batch";
export {
  BODY_FIELD,
  CONTENT_TYPE_FIELD,
  decodeBody,
  encodeBody,
  type QueueContentType,
} from "./queues/body";
export {
  isQueueConsumer,
  QueueConsumer,
  type QueueConsumerOptions,
  type QueueHandler,
} from "./queues/consumer";
export { InvalidDelayError } from "./queues/delay";
export {
  type AddDelayedOptions,
  addDelayed,
  type DelayedMessage,
  delayedKey,
  PROMOTE_DUE,
  type PromoteOptions,
  type PromoteResult,
  parsePromoteReply,
  promoteDue,
  promoteDueArgs,
} from "./queues/delayed";
export {
  type BacklogMetrics,
  createQueue,
  type MessageToSend,
  type QueueOptions,
  type QueueProducer,
  type QueueRedis,
  type SendBatchOptions,
  type SendOptions,
  type SendResult,
} from "./queues/producer";
export { RequestBudget } from "./redis/budget";
export type { StreamsRedis } from "./redis/calls";
export { createStreamsRedis, type StreamsRedisOptions } from "./redis/client";
export { type StreamKeys, streamKeys } from "./redis/keys";
export { PoolShare, RequestPool } from "./redis/request-pool";
export {
  type ConsumerStats,
  type GroupStart,
  type GroupStats,
  getStats,
  type StatsOptions,
  type StatsSnapshot,
} from "./stats/stats";
export type { SweepEvent, SweepOptions, SweepRedis } from "./sweep/options";
export type { SweepStop } from "./sweep/pages";
export { type SweepReport, sweep } from "./sweep/sweep";
export { type HeldReason, type TrimOptions, type TrimReport, trimStream } from "./trim/trim";

/**
 * The drain's options under its former name.
 * @deprecated use {@link DrainOptions}
 */
export type ConsumeOptions = import("./drain/options").DrainOptions;
