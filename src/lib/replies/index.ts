/** @module Pure parsers of raw Redis stream replies (RESP2 shapes, as @upstash/redis returns them). */

export {
  type AutoClaimResult,
  parseStreamEntries,
  parseXAutoClaim,
  parseXClaim,
  parseXClaimJustId,
  parseXReadGroup,
  type ReadEntry,
  type StreamEntry,
} from "./entries";
export {
  type PendingEntry,
  type PendingSummary,
  parseXPendingExtended,
  parseXPendingSummary,
} from "./pending";
export { compareStreamIds, isStreamId } from "./stream-id";
export {
  type ConsumerInfo,
  type GroupInfo,
  parseFlatMap,
  parseXInfoConsumers,
  parseXInfoGroups,
  parseXInfoStream,
  type StreamInfo,
} from "./xinfo";
