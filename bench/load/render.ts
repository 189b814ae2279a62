/**
 * @module `tsx bench/load/render.ts`: rewrites bench/LOAD.md and bench/load.svg from
 * bench/load.json without re-running the load benchmark.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type LoadResults, renderLoadMarkdown } from "./report";
import { renderLoadSvg } from "./svg";

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const results = JSON.parse(readFileSync(here("../load.json"), "utf8")) as LoadResults;
writeFileSync(here("../LOAD.md"), renderLoadMarkdown(results));
writeFileSync(here("../load.svg"), renderLoadSvg(results));
process.stderr.write("wrote bench/LOAD.md and bench/load.svg\n");
