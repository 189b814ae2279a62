import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/**
 * The repository stands on its own: no file points at documents outside it or speaks of the
 * project's history. The patterns are assembled from pieces so this file does not match them.
 */
const FORBIDDEN: [string, RegExp][] = [
  ["a path outside the repository", new RegExp(["\\.\\./", "shared"].join(""))],
  [
    "an outside design document",
    new RegExp(["\\bDES", "IGN(\\.md|\\s+(section\\s+)?\\d)"].join("")),
  ],
  ["the project's history", new RegExp(["\\bse", "ed"].join(""), "i")],
  ["an issue number", new RegExp(["\\biss", "ues?\\s*#?\\d+"].join(""), "i")],
];

const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
  encoding: "utf8",
})
  .split("\n")
  .filter((f) => f !== "" && f !== "package-lock.json" && !f.endsWith(".png"));

describe("a self-contained repository", () => {
  it.each(FORBIDDEN)("mentions %s nowhere", (_, pattern) => {
    const hits = files.flatMap((file) => {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch {
        return [];
      }
      return text
        .split("\n")
        .flatMap((line, i) => (pattern.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : []));
    });
    expect(hits).toEqual([]);
  });
});
