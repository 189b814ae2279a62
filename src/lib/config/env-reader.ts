/** @module Reads variables out of an env, collecting every problem with the name the user wrote. */

import { ConfigError } from "../errors";
import { isUnset, type Parser, Refusal } from "./parsers";
import { redactUrl } from "./redact";
import { CONFIG_VARIABLES } from "./variables";

const EXPECTED = new Map(CONFIG_VARIABLES.map((v) => [v.name, v]));

const SHOWN_MAX = 80;

/**
 * `"abc"` for strings, the literal for numbers/booleans, the type otherwise; a secret as
 * `<redacted>`, a URL without its userinfo, query string and fragment.
 */
export function shown(name: string, value: unknown): string {
  const variable = EXPECTED.get(name);
  if (variable?.secret) {
    return "<redacted>";
  }
  if (typeof value === "string") {
    const safe = variable?.url ? redactUrl(value) : value;
    return JSON.stringify(safe.length > SHOWN_MAX ? `${safe.slice(0, SHOWN_MAX)}…` : safe);
  }
  if (typeof value === "number" || typeof value === "boolean") {
    return String(value);
  }
  return `a value of type ${value === null ? "null" : typeof value}`;
}

/** What a valid value of the variable looks like, as its "must be ..." says. */
export const expectedOf = (name: string): string => EXPECTED.get(name)?.expected ?? "valid";

/** One thing wrong: the name as the user wrote it (`BATCH_SIZE`, `STREAMS[2].batchSize`) and why. */
export type Problem = { name: string; text: string };

/**
 * Collects every problem instead of stopping at the first, so one failed deploy shows all.
 * `labels` renames variables in what it says: a stream entry of `STREAMS` sets `BATCH_SIZE`
 * as `STREAMS[2].batchSize`, and its errors must say so.
 */
export class EnvReader {
  readonly problems: Problem[] = [];

  constructor(
    private readonly env: Record<string, unknown>,
    private readonly labels: ReadonlyMap<string, string> = new Map(),
  ) {}

  /** The name the user wrote for `name`. */
  label(name: string): string {
    return this.labels.get(name) ?? name;
  }

  /** A variable without default; `""` stands in when missing so parsing can go on. */
  required(name: string, parser: Parser<string>): string {
    const raw = this.env[name];
    if (isUnset(raw)) {
      const label = this.label(name);
      this.problems.push({ name: label, text: `${label} is required: ${expectedOf(name)}` });
      return "";
    }
    return this.parse(name, parser, raw) ?? "";
  }

  /** A variable whose absence means "off". */
  optional<T>(name: string, parser: Parser<T>): T | undefined {
    const raw = this.env[name];
    return isUnset(raw) ? undefined : this.parse(name, parser, raw);
  }

  /** A variable with a default, which goes through the same parser as a user value. */
  withDefault<T>(name: string, parser: Parser<T>, fallback: unknown): T {
    const raw = this.env[name];
    const value = isUnset(raw) ? undefined : this.parse(name, parser, raw);
    if (value !== undefined) {
      return value;
    }
    const parsed = parser(fallback);
    if (parsed === undefined || parsed instanceof Refusal) {
      throw new Error(`the default of ${name} breaks its own rule: ${JSON.stringify(fallback)}`);
    }
    return parsed;
  }

  /** The raw value of `name` as shown in errors (secrets redacted). */
  shown(name: string): string {
    return shown(name, this.env[name]);
  }

  /** A problem that is not one variable's own rule (a combination of two). */
  refuse(name: string, text: string): void {
    this.problems.push({ name: this.label(name), text });
  }

  /** Whether a problem was already found with `name`. */
  failed(name: string): boolean {
    const label = this.label(name);
    return this.problems.some((p) => p.name === label);
  }

  /** @throws ConfigError listing every problem met so far */
  check(): void {
    throwProblems(this.problems);
  }

  private parse<T>(name: string, parser: Parser<T>, raw: unknown): T | undefined {
    const value = parser(raw);
    if (value !== undefined && !(value instanceof Refusal)) {
      return value;
    }
    const why = value instanceof Refusal ? `: ${value.why}` : "";
    const label = this.label(name);
    this.problems.push({
      name: label,
      text: `${label} must be ${expectedOf(name)}, got ${shown(name, raw)}${why}`,
    });
    return undefined;
  }
}

/**
 * @throws ConfigError naming every problem, each said once (Worker-wide variables are read
 *   once per stream entry, and their problems would repeat), separated by `; `
 */
export function throwProblems(problems: readonly Problem[]): void {
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const key = `${p.name}\n${p.text}`;
    const first = !seen.has(key);
    seen.add(key);
    return first;
  });
  if (unique.length > 0) {
    throw new ConfigError(
      [...new Set(unique.map((p) => p.name))],
      unique.map((p) => p.text).join("; "),
    );
  }
}
