/** @module Pure parsers of raw Redis stream replies (RESP2 shapes, as @upstash/redis returns them). */

export {
  type AutoClaimResult,
  type FieldPair,
  pairsToFields,
  parsePairs,
  parseStreamEntries,
  parseXAutoClaim,
  parseXClaim,
  parseXReadGroup,
  type ReadEntry,
  type StreamEntry,
} from "./entries";
export {
  type PendingEntry,
  parseXPendingExtended,
} from "./pending";
export {
  parseFailureCounts,
  parseFailureHash,
  parseFailureRecords,
  parseMarks,
} from "./run-records";
export { compareStreamIds, isStreamId } from "./stream-id";
export {
  type ConsumerInfo,
  type GroupInfo,
  parseXInfoConsumers,
  parseXInfoGroups,
} from "./xinfo";
