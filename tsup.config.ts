// The package build: ESM JavaScript and type declarations in dist/, as the Upstash SDKs build
// theirs. Two entries: the core (`redis-streams-worker`) and the Worker (`/worker`); shared
// code goes to chunks. Dependencies and peer dependencies stay external.
import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/lib/index.ts", worker: "src/handlers/worker.ts" },
  format: ["esm"],
  dts: true,
  clean: true,
  sourcemap: true,
  splitting: true,
  treeshake: true,
  target: "es2022",
  platform: "neutral",
  tsconfig: "tsconfig.json",
});
