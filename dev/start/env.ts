/**
 * @module Numeric settings read from the environment by `npm start` and `npm run bridge`: a
 * bad value stops the program with one JSON line on stderr and exit code 2, never a stack
 * trace or a silently wrong number (`Number("abc")` is NaN, which a bridge happily uses).
 */
import { writeSync } from "node:fs";

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

/** The bridge's knobs, the same for `npm run bridge` and the bridge `npm start` runs. */
export const BRIDGE_SETTINGS = {
  /** 0 picks a free port. */
  BRIDGE_PORT: { fallback: 8079, max: 65535, integer: true },
  BRIDGE_LATENCY_MS: { fallback: 0, max: 60_000 },
  /** A fraction of requests, not a percentage. */
  BRIDGE_FAULT_RATE: { fallback: 0, max: 1 },
} as const satisfies Record<string, NumberSpec>;

export type BridgeSettings = { port: number; latencyMs: number; faultRate: number };

/** Reads BRIDGE_PORT, BRIDGE_LATENCY_MS and BRIDGE_FAULT_RATE; `event` names a bad one. */
export function bridgeSettings(event: string): BridgeSettings {
  return {
    port: numberEnv("BRIDGE_PORT", BRIDGE_SETTINGS.BRIDGE_PORT, event),
    latencyMs: numberEnv("BRIDGE_LATENCY_MS", BRIDGE_SETTINGS.BRIDGE_LATENCY_MS, event),
    faultRate: numberEnv("BRIDGE_FAULT_RATE", BRIDGE_SETTINGS.BRIDGE_FAULT_RATE, event),
  };
}
