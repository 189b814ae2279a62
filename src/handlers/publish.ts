/** @module `POST /publish`: producers add messages through the Worker, which wakes a drain. */
import type { Redis } from "@upstash/redis/cloudflare";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { toReportError } from "../lib/errors";
import {
  addDelayed,
  httpConsumerName,
  type MessageHandler,
  PublishInputError,
  parseStreamConfigs,
  publish,
  RANGES,
  RequestBudget,
  type ResolvedConfig,
} from "../lib/index";
import { idsInBodyOrder, type PublishBody, parsePublishBody } from "../lib/publish/body";
import { redisFor } from "./client";
import type { Env } from "./env";
import { HttpError } from "./http-errors";
import { runContinuousDrain } from "./jobs";
import { log, logError } from "./log";
import { requirePublisher } from "./publish-auth";
import { singleParam } from "./query";
import { type Invocation, invocationOf } from "./queue-consumer";
import {
  type HandlerOptions,
  handlerFor,
  queueFnFor,
  resolveHandler,
  selectStream,
} from "./streams";

/**
 * Largest request body: the largest MAX_MESSAGE_BYTES allowed (9 MiB), under Upstash's 10 MiB
 * request limit with room for the command around the messages.
 */
export const MAX_PUBLISH_BODY_BYTES = RANGES.maxMessageBytes[1];

/**
 * Time budget of a woken drain: `waitUntil` work ends 30 s after the response, and 20 s of
 * reading leaves 10 s (TARGET_TIMEOUT_MS's default) for the last handlers and acks.
 */
export const WAKE_BUDGET_MS = 20_000;

const tooLarge = (): never => {
  throw new HttpError(
    413,
    "BODY_TOO_LARGE",
    `the body is larger than ${MAX_PUBLISH_BODY_BYTES} bytes: split the batch`,
  );
};

/** What a woken drain runs; default: the webhook handler (TARGET_URL). */
export type PublishRouteOptions = HandlerOptions;

/**
 * The handler a woken drain of `configs[index]` runs, or undefined when it has none (no
 * handler, no queue consumer, no target URL): the publish stands, the next tick says why.
 */
function handlerOrNone(
  configs: readonly ResolvedConfig[],
  index: number,
  options: HandlerOptions,
  invocation: Invocation,
): MessageHandler | undefined {
  const config = configs[index];
  const { stream } = config ?? { stream: "" };
  const some = options.handlers?.[stream] ?? queueFnFor(stream, options) ?? options.handler;
  return some !== undefined || config?.targetUrl !== undefined
    ? handlerFor(configs, index, options, invocation)
    : undefined;
}

/** `POST /publish`; `options.handler` is what a drain woken by a publish runs. */
export function createPublish(options: PublishRouteOptions = {}): Hono<{ Bindings: Env }> {
  const app = new Hono<{ Bindings: Env }>();

  app.post(
    "/publish",
    requirePublisher,
    bodyLimit({ maxSize: MAX_PUBLISH_BODY_BYTES, onError: tooLarge }),
    async (c) => {
      const configs = parseStreamConfigs(c.env);
      const named = singleParam("stream", c.req.queries("stream"));
      // The stream, whatever its groups: each configured group of it is woken.
      const group = configs.find((each) => each.stream === named)?.group;
      const config = configs[selectStream(configs, named, group)] as ResolvedConfig;
      const body = await asBadRequest(() => messagesOf(c, config.maxMessageBytes));
      const { messages, delayed } = body;
      const redis = redisFor(config.url, config.token);
      const budget = new RequestBudget(config.maxRequests);
      const { stream } = config;
      if (delayed.length > 0 && queueFnFor(stream, options) === undefined) {
        throw new HttpError(
          400,
          "DELAY_UNSUPPORTED",
          `delaySeconds needs a queue consumer on stream ${JSON.stringify(stream)} (createWorker({ queue })): its drains are the ones that move delayed messages in when due`,
        );
      }
      const { ids, duplicates } = await asBadRequest(() =>
        publish({ redis, stream, messages, budget }),
      );
      // Delayed messages wait in the delayed set: a drain moves them into the stream when due.
      await addDelayed({ redis, stream, budget, messages: delayed });
      const counts = { messages: ids.length, delayed: delayed.length, duplicates };
      log("publish", { stream, ...counts, requests: budget.used });
      // Duplicates only: nothing new to drain.
      if (duplicates < ids.length) {
        configs.forEach((each, index) => {
          if (each.stream === stream) {
            const handler = handlerOrNone(configs, index, options, invocationOf(c));
            const tagged = configs.length > 1;
            wake(c, { config: each, redis, handler, used: budget.used, tagged });
          }
        });
      }
      return c.json({ stream, ids: idsInBodyOrder(ids, body), duplicates }, 201);
    },
  );

  return app;
}

/**
 * The body's messages: those added now and the delayed ones.
 * @throws PublishInputError when the body is not JSON or not messages
 * @throws HttpError 413 `MESSAGE_TOO_LARGE` naming the first message over MAX_MESSAGE_BYTES
 */
async function messagesOf(c: Context<{ Bindings: Env }>, maxBytes: number): Promise<PublishBody> {
  const text = await c.req.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    const what = text.trim() === "" ? "empty" : "not valid JSON";
    throw new PublishInputError(
      `the body is ${what}: send a JSON object { "fields": ... } or an array of them`,
      {},
      { cause: e },
    );
  }
  const parsed = parsePublishBody(body, c.req.header("idempotency-key"));
  const { bytes } = parsed;
  const index = bytes.findIndex((n) => n > maxBytes);
  if (index >= 0) {
    throw new HttpError(
      413,
      "MESSAGE_TOO_LARGE",
      `message ${index} is ${bytes[index]} bytes of JSON, more than MAX_MESSAGE_BYTES (${maxBytes})`,
    );
  }
  return parsed;
}

/** Runs `parse`, answering its PublishInputError as a 400 naming what was wrong. */
async function asBadRequest<T>(parse: () => Promise<T> | T): Promise<T> {
  try {
    return await parse();
  } catch (e) {
    if (e instanceof PublishInputError) {
      throw Object.assign(new HttpError(400, e.code, e.message), { cause: e });
    }
    throw e;
  }
}

type WakeInput = {
  config: ResolvedConfig;
  redis: Redis;
  handler: MessageHandler | undefined;
  /** Requests the publish used: the drain gets the rest of MAX_REQUESTS. */
  used: number;
  /** Several streams are configured: the drain's lines name its stream. */
  tagged: boolean;
};

/**
 * After a publish, starts a polling drain in `waitUntil` when none is running, so the message
 * is picked up in about one round trip rather than at the next tick. The drain takes its slot
 * before it reads, and only while no slot is held (the check and the take are one script run):
 * two publishes at once start one drain. DRAIN_MODE=cron holds no slots, so nothing is woken:
 * the next tick drains.
 */
function wake(c: Context<{ Bindings: Env }>, input: WakeInput): void {
  const { config } = input;
  if (config.drainMode !== "continuous") {
    return;
  }
  if (input.handler === undefined && config.targetUrl === undefined) {
    log("wake_skipped", { reason: "no_handler" });
    return;
  }
  const consumer = httpConsumerName(c.req.header("cf-ray"));
  const drain = runContinuousDrain({
    config,
    redis: input.redis,
    consumer,
    handler: resolveHandler(config, input.handler),
    tagged: input.tagged,
    slot: "at-start",
    slotMax: 1,
    budgetMs: Math.min(config.cronBudgetMs, WAKE_BUDGET_MS),
    maxRequests: config.maxRequests - input.used,
  }).catch((e: unknown) => {
    // The published messages are safe in the stream: the next tick drains them.
    logError("wake_failed", { consumer, ...toReportError(e) });
  });
  c.executionCtx.waitUntil(drain);
}
