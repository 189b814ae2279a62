/**
 * @module `npm run check:size`: keeps src/ readable. Fails when a file passes 250 lines or a
 * function passes 120 (tests, benchmarks and tooling are not checked).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

const MAX_FILE_LINES = 250;
const MAX_FUNCTION_LINES = 120;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

const problems: string[] = [];
for (const file of files("src")) {
  const text = readFileSync(file, "utf8");
  const lines = text.split("\n").length;
  if (lines > MAX_FILE_LINES) {
    problems.push(`${file}: ${lines} lines (at most ${MAX_FILE_LINES})`);
  }
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      if (last - first + 1 > MAX_FUNCTION_LINES) {
        const name = node.name?.getText(source) ?? "(anonymous)";
        problems.push(
          `${file}:${first + 1}: ${name} has ${last - first + 1} lines (at most ${MAX_FUNCTION_LINES})`,
        );
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
for (const p of problems) {
  console.error(p);
}
if (problems.length > 0) {
  process.exit(1);
}
console.log(
  `check:size: every file in src/ within ${MAX_FILE_LINES} lines, every function within ${MAX_FUNCTION_LINES}`,
);
