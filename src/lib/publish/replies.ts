/** @module Parsers of publish replies: the script's per-message outcomes, the pipeline's XADD ids. */
import { type PipelineReply, replyResult } from "../redis/calls";
import { asArray, asInteger, asString, fail } from "../replies/shape";

/** What a publish did: the id of each message, in order, and how many were already there. */
export type PublishResult = {
  /** `ids[i]` is the id of message `i`: its new id, or for a duplicate the id it got first. */
  ids: string[];
  /** Messages not added because their idempotency key was remembered. */
  duplicates: number;
};

/**
 * Reply of the publish-once script, one `[id, duplicate]` per message.
 *
 * Raw: `[["1795709122566-0", 0], ["1795709122300-0", 1]]`
 * @param expected how many messages were sent
 * @throws ReplyShapeError when the reply is not one such pair per message
 */
export function parsePublishOnceReply(raw: unknown, expected: number): PublishResult {
  const items = asArray(raw, "publish-once reply");
  if (items.length !== expected) {
    fail("publish-once reply", `${expected} outcomes`, raw);
  }
  const ids: string[] = [];
  let duplicates = 0;
  for (const [i, item] of items.entries()) {
    const what = `publish-once outcome ${i}`;
    const [id, duplicate] = asArray(item, what);
    ids.push(asString(id, `${what} id`));
    const flag = asInteger(duplicate, `${what} flag`);
    if (flag !== 0 && flag !== 1) {
      fail(`${what} flag`, "0 or 1", flag);
    }
    duplicates += flag;
  }
  return { ids, duplicates };
}

/**
 * The ids of a pipeline of `XADD`s, one reply each.
 *
 * Raw: `[{ result: "1795709122566-0" }, { result: "1795709122566-1" }]`
 * @throws RedisCommandError when an `XADD` failed (the ones before it were added)
 * @throws ReplyShapeError when an id is not a string
 */
export function parseXAddReplies(replies: readonly PipelineReply[]): PublishResult {
  const ids = replies.map((reply, i) => asString(replyResult(reply, "XADD"), `XADD reply ${i}`));
  return { ids, duplicates: 0 };
}
