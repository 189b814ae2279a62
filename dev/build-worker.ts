/**
 * @module `npm run build:worker`: bundles the Worker exactly as `wrangler deploy` would (dry
 * run, into .wrangler/bundle) and prints its size, raw and gzipped, as one JSON line.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const outdir = join(".wrangler", "bundle");
execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outdir], {
  env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true" },
  stdio: ["ignore", "ignore", "inherit"],
});
const bundle = readFileSync(join(outdir, "index.js"));
console.log(
  JSON.stringify({
    event: "worker_bundle",
    file: join(outdir, "index.js"),
    bytes: bundle.length,
    gzipBytes: gzipSync(bundle).length,
  }),
);
