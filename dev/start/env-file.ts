/**
 * @module The variables handed to `wrangler dev --env-file`: secrets in a file only the user
 * can read, instead of `--var NAME:value` arguments every `ps` shows.
 *
 * Wrangler 4.86 reads the file with dotenv 16 and then dotenv-expand 12, so a value is written
 * in quotes it does not contain (dotenv has no escapes inside quotes) and every `$` as `\$`
 * (else `$NAME` or `${NAME}` in a token would be expanded).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A written env file; `remove()` deletes it and its directory, and may be called again. */
export type EnvFile = { path: string; remove(): void };

/** A value the dotenv format cannot carry exactly; the message names the variable only. */
export class UnwritableValue extends Error {
  override name = "UnwritableValue";
  constructor(readonly variable: string) {
    super(
      `${variable} cannot be passed to wrangler: its value contains a carriage return, ends with a backslash, or contains all three of ' " and \``,
    );
  }
}

/** One `NAME='value'` line that dotenv + dotenv-expand read back as exactly `value`. */
export function dotenvLine(name: string, value: string): string {
  // A closing quote right after a backslash reads as an escaped quote, and dotenv turns
  // "\r\n" into "\n" before parsing: neither survives the round trip.
  if (value.includes("\r") || value.endsWith("\\")) {
    throw new UnwritableValue(name);
  }
  // Double quotes last: inside them dotenv turns the two characters \n into a newline.
  const quote = ["'", "`", '"'].find(
    (q) => !value.includes(q) && (q !== '"' || !/\\[nr]/.test(value)),
  );
  if (quote === undefined) {
    throw new UnwritableValue(name);
  }
  return `${name}=${quote}${value.replaceAll("$", "\\$")}${quote}`;
}

/**
 * Writes `vars` to a new file with mode 0600 in a fresh directory of its own (mode 0700, from
 * mkdtemp), so no other user can read or swap it.
 */
export function writeEnvFile(vars: Record<string, string>): EnvFile {
  const lines = Object.entries(vars).map(([name, value]) => dotenvLine(name, value));
  const dir = mkdtempSync(join(tmpdir(), "rsw-start-"));
  const path = join(dir, "worker.env");
  try {
    writeFileSync(path, `${lines.join("\n")}\n`, { mode: 0o600, flag: "wx" });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
