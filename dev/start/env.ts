/**
 * @module Settings read from the environment by `npm start` and `npm run bridge`: a bad value
 * stops the program with one JSON line on stderr and exit code 2, never a stack trace or a
 * silently wrong value (`Number("abc")` is NaN, which a bridge happily uses).
 */
import { writeSync } from "node:fs";
import { PROFILES, type ProfileName } from "../bridge/profile";

/** What a numeric variable may hold. */
export type NumberSpec = {
  /** Used when the variable is unset or empty. */
  fallback: number;
  /** @default 0 */
  min?: number;
  max: number;
  /** Ports and sizes: reject `8080.5`. @default false */
  integer?: boolean;
};

/** Prints one JSON line on stderr and exits 2, the exit code of a usage error. */
export function fail(event: string, fields: Record<string, unknown>): never {
  try {
    // Synchronous even where stderr is a pipe that Node writes asynchronously (macOS): the
    // line must be out before the exit.
    writeSync(2, `${JSON.stringify({ event, ...fields })}\n`);
  } catch {
    // Nobody reads stderr any more; the exit code still says it.
  }
  process.exit(2);
}

/** The number in `process.env[name]`, or `fail(event, ...)` naming the variable and the range. */
export function numberEnv(name: string, spec: NumberSpec, event: string): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") {
    return spec.fallback;
  }
  const min = spec.min ?? 0;
  const value = Number(raw);
  const whole = spec.integer !== true || Number.isInteger(value);
  if (!Number.isFinite(value) || !whole || value < min || value > spec.max) {
    fail(event, {
      variable: name,
      value: raw,
      expected: `${spec.integer === true ? "an integer" : "a number"} between ${min} and ${spec.max}`,
    });
  }
  return value;
}

/** One of `choices` in `process.env[name]`, or `fail(event, ...)` naming the variable. */
export function choiceEnv<T extends string>(
  name: string,
  choices: readonly T[],
  fallback: T,
  event: string,
): T {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") {
    return fallback;
  }
  const value = choices.find((c) => c === raw.trim());
  if (value === undefined) {
    fail(event, { variable: name, value: raw, expected: `one of ${choices.join(", ")}` });
  }
  return value;
}

/** The bridge's knobs, the same for `npm run bridge` and the bridge `npm start` runs. */
export const BRIDGE_SETTINGS = {
  /** 0 picks a free port. */
  BRIDGE_PORT: { fallback: 8079, max: 65535, integer: true },
  BRIDGE_LATENCY_MS: { fallback: 0, max: 60_000 },
  /** A fraction of requests, not a percentage. */
  BRIDGE_FAULT_RATE: { fallback: 0, max: 1 },
  /** A fraction of requests, not a percentage. */
  BRIDGE_FAULT_AFTER_RATE: { fallback: 0, max: 1 },
  /** Bytes; unset (the fallback 0) keeps the profile's own limit. */
  BRIDGE_MAX_REQUEST_BYTES: { fallback: 0, min: 1, max: 1024 ** 3, integer: true },
} as const satisfies Record<string, NumberSpec>;

export type BridgeSettings = {
  port: number;
  latencyMs: number;
  faultRate: number;
  faultAfterRate: number;
  profile: ProfileName;
  /** Unset: the profile's own limit. */
  maxRequestBytes?: number;
};

/**
 * Reads BRIDGE_PROFILE (default `upstash`: a local run meets the limits production has),
 * BRIDGE_PORT, BRIDGE_LATENCY_MS, BRIDGE_FAULT_RATE, BRIDGE_FAULT_AFTER_RATE and
 * BRIDGE_MAX_REQUEST_BYTES; `event` names a bad one.
 */
export function bridgeSettings(event: string): BridgeSettings {
  const number = (name: keyof typeof BRIDGE_SETTINGS) =>
    numberEnv(name, BRIDGE_SETTINGS[name], event);
  const maxRequestBytes = number("BRIDGE_MAX_REQUEST_BYTES");
  return {
    profile: choiceEnv("BRIDGE_PROFILE", PROFILES, "upstash", event),
    port: number("BRIDGE_PORT"),
    latencyMs: number("BRIDGE_LATENCY_MS"),
    faultRate: number("BRIDGE_FAULT_RATE"),
    faultAfterRate: number("BRIDGE_FAULT_AFTER_RATE"),
    ...(maxRequestBytes === 0 ? {} : { maxRequestBytes }),
  };
}
