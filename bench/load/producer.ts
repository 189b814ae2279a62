/**
 * @module The producer of a load run: R messages a second for a fixed time, straight into Redis
 * (pipelined XADDs on a connection of its own) or through the Worker's `POST /publish`.
 */
import { body, type Direct, sleep } from "../common";
import { PUBLISH_BATCH } from "./plan";

/** Every TICK_MS the producer adds what is due by then, so the rate holds on average. */
const TICK_MS = 10;
/** Publish requests in flight at most; past that the producer falls behind (and says so). */
const PUBLISH_IN_FLIGHT = 8;
/** Direct pipelines in flight at most, for the same reason. */
const DIRECT_IN_FLIGHT = 4;

export type Production = {
  /** Every id added, in the order the replies came. */
  ids: string[];
  /** Messages whose write was confirmed so far. */
  produced(): number;
  /** Resolves when the producer stopped and every write it sent was answered. */
  done: Promise<void>;
  /** Publish only: time from sending a POST /publish to its answer, per request. */
  publishMs: number[];
  /** Requests (or pipelines) that failed; their messages are not counted as produced. */
  failures: string[];
};

export type ProducerOptions = {
  rate: number;
  seconds: number;
  /** Called once the first write is confirmed: the stream has something to read. */
  onFirst?: () => void;
};

/** Calls `send(from, count)` with what is due every tick, at most `maxInFlight` at once. */
function pace(
  o: ProducerOptions,
  batch: number,
  maxInFlight: number,
  send: (from: number, count: number) => Promise<void>,
): Promise<void> {
  const started = performance.now();
  const running = new Set<Promise<void>>();
  let issued = 0;
  const total = Math.round(o.rate * o.seconds);
  return (async () => {
    while (issued < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * o.rate));
      while (issued < due && running.size < maxInFlight) {
        const count = Math.min(batch, due - issued);
        const p = send(issued, count).finally(() => running.delete(p));
        running.add(p);
        issued += count;
      }
      await sleep(TICK_MS);
    }
    await Promise.all(running);
  })();
}

/** Adds `messageBody=<json>` entries with XADD, each tick's due ones pipelined together. */
export function produceDirect(d: Direct, stream: string, o: ProducerOptions): Production {
  const p = production();
  const batch = Math.max(1, Math.ceil((o.rate * TICK_MS) / 1000));
  p.done = pace(o, batch, DIRECT_IN_FLIGHT, async (from, count) => {
    try {
      const replies = await Promise.all(
        Array.from({ length: count }, (_, k) =>
          d.sendCommand(["XADD", stream, "*", "messageBody", body(from + k)]),
        ),
      );
      p.confirm(replies.map(String), o.onFirst);
    } catch (e) {
      p.failures.push((e as Error).message);
    }
  });
  return p;
}

/** Posts batches of up to PUBLISH_BATCH messages to `POST /publish` with the publish token. */
export function producePublish(url: string, token: string, o: ProducerOptions): Production {
  const p = production();
  p.done = pace(o, PUBLISH_BATCH, PUBLISH_IN_FLIGHT, async (from, count) => {
    const messages = Array.from({ length: count }, (_, k) => ({
      fields: { messageBody: body(from + k) },
    }));
    const t0 = performance.now();
    try {
      const res = await fetch(`${url}/publish`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(messages),
      });
      const text = await res.text();
      p.publishMs.push(performance.now() - t0);
      if (res.status !== 201) {
        p.failures.push(`POST /publish answered ${res.status}: ${text.slice(0, 200)}`);
        return;
      }
      p.confirm((JSON.parse(text) as { ids: string[] }).ids, o.onFirst);
    } catch (e) {
      p.failures.push((e as Error).message);
    }
  });
  return p;
}

function production(): Production & { confirm(ids: string[], onFirst?: () => void): void } {
  const ids: string[] = [];
  return {
    ids,
    produced: () => ids.length,
    done: Promise.resolve(),
    publishMs: [],
    failures: [],
    confirm(added, onFirst) {
      const first = ids.length === 0;
      ids.push(...added);
      if (first && added.length > 0) {
        onFirst?.();
      }
    },
  };
}
