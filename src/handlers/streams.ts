/** @module Which configured stream a request or a tick is about, and whose handler runs it. */
import { entryLabel } from "../lib/config/streams";
import { ConfigError, type MessageHandler, type ResolvedConfig } from "../lib/index";
import { HttpError } from "./http-errors";
import { type Invocation, type QueueFn, queueHandler } from "./queue-consumer";
import { createWebhookHandler } from "./webhook-handler";

/**
 * The user's handler, else the webhook handler when TARGET_URL is set. Neither: the job
 * refuses to start, because acking messages nobody processed would lose them.
 * @throws ConfigError
 */
export function resolveHandler(config: ResolvedConfig, handler?: MessageHandler): MessageHandler {
  if (handler) {
    return handler;
  }
  if (config.targetUrl) {
    return createWebhookHandler({ targetUrl: config.targetUrl, timeoutMs: config.targetTimeoutMs });
  }
  throw new ConfigError(
    "TARGET_URL",
    "TARGET_URL is not set and no handler was given: nothing would process the messages, so none are read",
  );
}

/**
 * The handlers a Worker is built with (`createWorker`): per message (`handler`, `handlers`)
 * or, as Cloudflare Queues calls them, per batch (`queue`, `queues`).
 */
export type HandlerOptions = {
  /** The handler of every stream without one of its own in `handlers` or `queues`. */
  handler?: MessageHandler;
  /**
   * A handler per stream name (`{ "orders:payments": pay, emails: send }`); a stream without
   * one runs `handler`, else POSTs to its target URL.
   */
  handlers?: Readonly<Record<string, MessageHandler>>;
  /**
   * A Cloudflare Queues consumer, `async queue(batch, env, ctx)`, for every stream without a
   * handler of its own; `batch.queue` tells the streams apart. Not with `handler`.
   */
  queue?: QueueFn;
  /** A Queues consumer per stream name, as `handlers` is per message. */
  queues?: Readonly<Record<string, QueueFn>>;
};

/** `"a", "b" and "c"`: the configured streams, for errors that list them. */
const listed = (configs: readonly ResolvedConfig[]): string =>
  [...new Set(configs.map((c) => JSON.stringify(c.stream)))].join(", ");

/**
 * The handler of `configs[index]`: its own in `handlers`, else `handler`, else the webhook
 * handler of its target URL. With one stream configured (STREAM/GROUP), as before.
 * @throws ConfigError naming the stream when none of them is there: acking messages nobody
 *   processed would lose them
 */
export function handlerFor(
  configs: readonly ResolvedConfig[],
  index: number,
  options: HandlerOptions,
  invocation?: Invocation,
): MessageHandler {
  const config = configs[index];
  if (config === undefined) {
    throw new RangeError(`no stream entry ${index}`);
  }
  const { stream } = config;
  const queue = queueFnFor(stream, options);
  if (queue !== undefined) {
    if (invocation === undefined) {
      throw new RangeError("a queue consumer needs the invocation's env and ctx");
    }
    return queueHandler(config, queue, invocation);
  }
  const own = options.handlers?.[stream] ?? options.handler;
  if (own !== undefined || config.targetUrl !== undefined || configs.length === 1) {
    return resolveHandler(config, own);
  }
  const name = JSON.stringify(config.stream);
  throw new ConfigError(
    `${entryLabel(index)}.targetUrl`,
    `stream ${name} (${entryLabel(index)}) has no handler: pass handlers[${name}] or a default handler to createWorker, or set its targetUrl (or TARGET_URL); nothing would process its messages, so none are read`,
  );
}

/**
 * The Queues consumer of `stream`, if that is what handles it: its own in `queues`, else
 * `queue` when it has no handler of its own and no default `handler` is given.
 */
export function queueFnFor(stream: string, options: HandlerOptions): QueueFn | undefined {
  if (options.handlers?.[stream] !== undefined) {
    return undefined;
  }
  return options.queues?.[stream] ?? (options.handler ? undefined : options.queue);
}

/**
 * Every stream's handler, in the order of `configs`, once the handler names are checked.
 * @throws ConfigError naming a key of `handlers` that is no configured stream (a typo would
 *   leave that stream to the default handler), or the first stream without a handler
 */
export function handlersOf(
  configs: readonly ResolvedConfig[],
  options: HandlerOptions,
  invocation?: Invocation,
): MessageHandler[] {
  checkHandlerOptions(configs, options);
  return configs.map((_, i) => handlerFor(configs, i, options, invocation));
}

/**
 * @throws ConfigError naming a key of `handlers` or `queues` that is no configured stream (a
 *   typo would leave that stream to the default handler), a stream in both, or `handler`
 *   given beside `queue`
 */
function checkHandlerOptions(configs: readonly ResolvedConfig[], options: HandlerOptions): void {
  const streams = new Set(configs.map((c) => c.stream));
  for (const option of ["handlers", "queues"] as const) {
    const unknown = Object.keys(options[option] ?? {}).filter((name) => !streams.has(name));
    if (unknown.length > 0) {
      const names = unknown.map((n) => `${option}[${JSON.stringify(n)}]`).join(", ");
      throw new ConfigError(
        option,
        `${names} of createWorker ${unknown.length === 1 ? "names no" : "name no"} configured stream: the configured streams are ${listed(configs)}`,
      );
    }
  }
  const both = Object.keys(options.queues ?? {}).filter((name) => options.handlers?.[name]);
  if (both.length > 0) {
    throw new ConfigError(
      "queues",
      `stream ${JSON.stringify(both[0])} has both handlers[] and queues[] in createWorker: give it one`,
    );
  }
  if (options.handler !== undefined && options.queue !== undefined) {
    throw new ConfigError(
      "queue",
      "createWorker has both handler and queue as the default: pass one (per stream, use handlers or queues)",
    );
  }
}

/**
 * The entry a request is about, from its `?stream=` (and `?group=` when the stream is
 * configured with several groups). With one stream configured, both may be left out.
 * @returns the entry's index in `configs`
 * @throws HttpError 400 `STREAM_REQUIRED` when several streams are configured and none is
 *   named, `UNKNOWN_STREAM` when the one named is not configured, `GROUP_REQUIRED` /
 *   `UNKNOWN_GROUP` likewise for the group; each lists what is configured
 */
export function selectStream(
  configs: readonly ResolvedConfig[],
  stream: string | undefined,
  group?: string,
): number {
  const only = configs.length === 1 ? configs[0]?.stream : undefined;
  const named = stream === undefined || stream === "" ? only : stream;
  if (named === undefined) {
    throw new HttpError(
      400,
      "STREAM_REQUIRED",
      `several streams are configured: add ?stream= with one of ${listed(configs)}`,
    );
  }
  const matches = configs.flatMap((c, i) => (c.stream === named ? [i] : []));
  if (matches.length === 0) {
    throw new HttpError(
      400,
      "UNKNOWN_STREAM",
      `stream ${JSON.stringify(named.slice(0, 256))} is not configured: use one of ${listed(configs)}`,
    );
  }
  const groups = matches.map((i) => JSON.stringify(configs[i]?.group)).join(", ");
  if (group === undefined || group === "") {
    if (matches.length === 1) {
      return matches[0] ?? 0;
    }
    throw new HttpError(
      400,
      "GROUP_REQUIRED",
      `stream ${JSON.stringify(named)} is configured with several groups: add ?group= with one of ${groups}`,
    );
  }
  const index = matches.find((i) => configs[i]?.group === group);
  if (index === undefined) {
    throw new HttpError(
      400,
      "UNKNOWN_GROUP",
      `group ${JSON.stringify(group.slice(0, 256))} is not configured on stream ${JSON.stringify(named)}: use one of ${groups}`,
    );
  }
  return index;
}
