/**
 * @module The README's configuration table, rendered from `CONFIG_VARIABLES` so the two
 * cannot drift (test/unit/readme-config.test.ts checks it). Regenerate with
 * `npx tsx dev/config-table.ts` and paste between the README's config-table markers.
 */
import { CONFIG_VARIABLES } from "../src/lib/config/variables";

const cell = (s: string) => s.replaceAll("|", "\\|");

/** The markdown table: name, default, meaning, valid values. */
export function renderConfigTable(): string {
  const rows = CONFIG_VARIABLES.map(
    (v) => `| \`${v.name}\` | ${cell(v.default)} | ${cell(v.meaning)} | ${cell(v.expected)} |`,
  );
  return ["| name | default | meaning | valid values |", "|---|---|---|---|", ...rows].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(renderConfigTable());
}
