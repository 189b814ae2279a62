/**
 * @module `npm run test:package`: installs the package as a user would and builds a Worker
 * with it. `npm pack`, then a fresh project outside the repo with only wrangler, typescript
 * and @cloudflare/workers-types (no @types/node), whose Worker is examples/worker.ts (the
 * README's snippet); `tsc --noEmit` (strict) and `wrangler deploy --dry-run` must pass.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** What the tarball may hold, and nothing else. */
const ALLOWED = [/^dist\//, /^README\.md$/, /^LICENSE$/, /^CHANGELOG\.md$/, /^package\.json$/];

const repo = resolve(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as {
  devDependencies: Record<string, string>;
};
const log = (event: string, fields: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ event, ...fields }));
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true" };

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, env, encoding: "utf8", stdio: "pipe" });
}

const work = mkdtempSync(join(tmpdir(), "rsw-package-"));
try {
  run("npm", ["run", "build"], repo);
  const packArgs = ["pack", "--json", "--ignore-scripts", "--pack-destination", work];
  const [packed] = JSON.parse(run("npm", packArgs, repo)) as {
    filename: string;
    files: { path: string }[];
  }[];
  if (!packed) {
    throw new Error("npm pack made no tarball");
  }
  const stray = packed.files.map((f) => f.path).filter((p) => !ALLOWED.some((re) => re.test(p)));
  if (stray.length > 0) {
    throw new Error(`the tarball holds files it should not: ${stray.join(", ")}`);
  }
  log("packed", { tarball: packed.filename, files: packed.files.length });

  const app = join(work, "app");
  mkdirSync(join(app, "src"), { recursive: true });
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({ name: "my-worker", private: true, type: "module" }),
  );
  writeFileSync(
    join(app, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "ESNext",
        moduleResolution: "Bundler",
        lib: ["ES2022"],
        types: ["@cloudflare/workers-types"],
        strict: true,
        noUncheckedIndexedAccess: true,
        noEmit: true,
      },
      include: ["src"],
    }),
  );
  writeFileSync(
    join(app, "wrangler.toml"),
    'name = "my-worker"\nmain = "src/index.ts"\ncompatibility_date = "2026-04-20"\n',
  );
  copyFileSync(join(repo, "examples", "worker.ts"), join(app, "src", "index.ts"));
  const dev = pkg.devDependencies;
  run(
    "npm",
    [
      "install",
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
      join(work, packed.filename),
      `@upstash/redis@${dev["@upstash/redis"]}`,
      `wrangler@${dev.wrangler}`,
      `typescript@${dev.typescript}`,
      `@cloudflare/workers-types@${dev["@cloudflare/workers-types"]}`,
    ],
    app,
  );
  log("installed", { project: app });
  run("npx", ["tsc", "--noEmit"], app);
  log("typechecked", { strict: true, types: "@cloudflare/workers-types only" });
  run("npx", ["wrangler", "deploy", "--dry-run", "--outdir", "out"], app);
  log("bundled", { bytes: readFileSync(join(app, "out", "index.js")).length });
  log("package_ok");
} catch (e) {
  const err = e as { message?: string; stdout?: string; stderr?: string };
  console.error(err.stdout ?? "", err.stderr ?? "");
  log("package_failed", { error: err.message?.split("\n")[0] });
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
