/** @module `tsx bench/render.ts`: rewrites bench/RESULTS.md from bench/results.json without re-running. */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Results, renderMarkdown } from "./report";

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const results = JSON.parse(readFileSync(here("results.json"), "utf8")) as Results;
writeFileSync(here("RESULTS.md"), renderMarkdown(results));
process.stderr.write("wrote bench/RESULTS.md\n");
