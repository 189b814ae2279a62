/** @module Counts the Upstash HTTP requests one drain or sweep makes (each is a subrequest). */

/** A running count shared by everything one invocation sends. */
export type RequestCounter = { count: number };

/** A fresh counter at zero. */
export function requestCounter(): RequestCounter {
  return { count: 0 };
}

/** Awaits one HTTP request and counts it whether it succeeds or not. */
export async function counted<T>(counter: RequestCounter, request: Promise<T>): Promise<T> {
  counter.count++;
  return request;
}
