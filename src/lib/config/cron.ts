/** @module Cron expressions as Cloudflare's Cron Triggers take them, checked field by field. */

/** One of the five fields: its name in messages, its values, and the forms only it allows. */
type CronField = {
  name: string;
  min: number;
  max: number;
  /** Three-letter names of the values from `min` on, any case. */
  names?: readonly string[];
  /** A whole-field form of its own (`L`, `15W`, `FRI#2`, ...). */
  special?: (field: string, value: (text: string) => number | undefined) => boolean;
};

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
// Cloudflare counts weekdays from 1 = Sunday, as Quartz does (not cron's 0 = Sunday).
const WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const inRange = (n: number, min: number, max: number) => n >= min && n <= max;

/** Day of month: `L` (last day), `LW` (last weekday), `L-3`, `L-3W` (offset 1-30), `15W`. */
function dayOfMonthSpecial(field: string, value: (text: string) => number | undefined): boolean {
  const last = /^L(?:-(\d+))?(W?)$/.exec(field);
  if (last) {
    return last[1] === undefined || inRange(Number(last[1]), 1, 30);
  }
  const weekday = /^(\d+)W$/.exec(field);
  return weekday?.[1] !== undefined && value(weekday[1]) !== undefined;
}

/** Day of week: `L` (Saturday), `5L`/`friL` (last Friday of the month), `MON#2` (nth, 1-5). */
function dayOfWeekSpecial(field: string, value: (text: string) => number | undefined): boolean {
  if (field === "L") {
    return true;
  }
  const last = /^([^#L]+)L$/.exec(field);
  if (last?.[1] !== undefined) {
    return value(last[1]) !== undefined;
  }
  const nth = /^([^#]+)#(\d+)$/.exec(field);
  return nth?.[1] !== undefined && value(nth[1]) !== undefined && inRange(Number(nth[2]), 1, 5);
}

/** The fields in order, with the values Cloudflare's parser accepts. */
export const CRON_FIELDS: readonly CronField[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31, special: dayOfMonthSpecial },
  { name: "month", min: 1, max: 12, names: MONTHS },
  { name: "day-of-week", min: 1, max: 7, names: WEEKDAYS, special: dayOfWeekSpecial },
];

const DIGITS = /^\d+$/;

/** One value of `f`: digits within its range, or one of its names. */
function valueIn(f: CronField, text: string): number | undefined {
  if (DIGITS.test(text)) {
    const n = Number(text);
    return inRange(n, f.min, f.max) ? n : undefined;
  }
  const index = f.names?.indexOf(text.toUpperCase()) ?? -1;
  return index === -1 ? undefined : f.min + index;
}

/** One list item: `*`, `v` or `a-b`, each optionally `/step` (step 1 to max − min). */
function validItem(f: CronField, item: string): boolean {
  const match = /^([^-/]+)(?:-([^-/]+))?(?:\/(\d+))?$/.exec(item);
  if (!match) {
    return false;
  }
  const [, start, end, step] = match;
  const bound = (text: string | undefined) =>
    text === undefined || text === "*" || valueIn(f, text) !== undefined;
  const stepOk = step === undefined || inRange(Number(step), 1, f.max - f.min);
  return bound(start) && bound(end) && stepOk;
}

function validField(f: CronField, field: string): boolean {
  if (f.special?.(field, (text) => valueIn(f, text))) {
    return true;
  }
  return field.split(",").every((item) => validItem(f, item));
}

/**
 * What makes `expression` unusable as a Cloudflare Cron Trigger, or `undefined` when it is
 * valid: 5 fields separated by spaces; minute 0-59, hour 0-23, day of month 1-31, month 1-12
 * or JAN-DEC, day of week 1-7 or SUN-SAT (1 = Sunday); `*`, lists `a,b`, ranges `a-b` and
 * steps `/n` everywhere; `L`, `LW`, `L-n`, `nW` in the day of month; `L`, `nL`, `n#k` in the
 * day of week. Checked here because Cloudflare only checks `[triggers] crons` on deploy, not
 * the CONSUME_CRON and SWEEP_CRON variables that must equal them.
 * @returns e.g. `the day-of-week field "8" is not valid`
 * @see https://developers.cloudflare.com/workers/configuration/cron-triggers/
 */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== CRON_FIELDS.length) {
    return `it has ${fields.length} field${fields.length === 1 ? "" : "s"}`;
  }
  for (const [i, f] of CRON_FIELDS.entries()) {
    const field = fields[i] ?? "";
    if (!validField(f, field)) {
      return `the ${f.name} field ${JSON.stringify(field)} is not valid`;
    }
  }
  return undefined;
}
