/** @module How the dashboard writes numbers, ages and times: short, and the same everywhere. */

/** `1234567` → `1,234,567`; `null` → `–` (unknown). */
export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? "–" : n.toLocaleString("en-US");
}

/** A duration in its largest sensible unit: `850 ms`, `42 s`, `7 min`, `3 h 5 min`, `2 d 4 h`. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms < 0) {
    return "–";
  }
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  const s = Math.floor(ms / 1000);
  if (s < 60) {
    return `${s} s`;
  }
  const min = Math.floor(s / 60);
  if (min < 60) {
    return `${min} min`;
  }
  const h = Math.floor(min / 60);
  if (h < 48) {
    return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
  }
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** When something happened, relative to `now`: `3 min ago`; `never` when it did not. */
export function ago(at: number | null | undefined, now: number): string {
  return at === null || at === undefined ? "never" : `${duration(Math.max(0, now - at))} ago`;
}

/** The time part of a stream id (`1795709122566-0` → 1795709122566), or null. */
export function idTime(id: string | null | undefined): number | null {
  const ms = /^(\d+)-\d+$/.exec(id ?? "")?.[1];
  return ms === undefined ? null : Number(ms);
}

/** An ISO time without milliseconds, UTC: `2026-11-27 03:04:05Z`. */
export function isoTime(at: number): string {
  return new Date(at)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
}
