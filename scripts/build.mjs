#!/usr/bin/env node
// The build (`npm run build`, also run by `prepare` on `npm ci`):
//   1. tsc: type-checks and emits dist/** (the modules the tests' worker runs, and build-validators uses);
//   2. scripts/build-validators.mjs: ajv standalone validators of the bundled schemas → dist/validators;
//   3. esbuild: the CLI and the validation worker bundled (dependencies included) → dist/bundle, split into
//      chunks so a run loads only what it uses (CEL, ajv, the stylish reporter... are loaded on demand).
// bin/mesh-lint.js runs dist/bundle/mesh-lint.js. dist/ is never committed.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { swapDirectory } from "./build-swap.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);

function step(name, command, args) {
  const started = performance.now();
  const r = spawnSync(command, args, { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) {
    process.stderr.write(`build: ${name} failed${r.error ? `: ${r.error.message}` : ""}\n`);
    process.exit(r.status ?? 1);
  }
  return performance.now() - started;
}

const tscMs = step("tsc", process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.json"]);
step("build-validators", process.execPath, [join(ROOT, "scripts", "build-validators.mjs")]);

const started = performance.now();
const finalDir = join(ROOT, "dist", "bundle");
// Built beside and swapped in at the end, so a CLI started meanwhile never finds a half-written bundle.
const outdir = `${finalDir}.next-${process.pid}`;
rmSync(outdir, { recursive: true, force: true });
const { build } = await import("esbuild");
await build({
  absWorkingDir: ROOT,
  // Entries and chunks flat in dist/bundle, at the depth of tsc's dist/<dir>/, so URLs relative to a
  // module (`../../schemas/`, `../../dist/validators/`, `./validation-worker.js`) hold in both builds.
  entryPoints: { "mesh-lint": "src/cli/main.ts", "validation-worker": "src/engine/validation-worker.ts" },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  chunkNames: "[name]-[hash]",
  // Bundled CommonJS dependencies (ajv, ignore) call require() for Node's built-ins.
  banner: { js: 'import { createRequire as __meshLintCreateRequire } from "node:module"; const require = __meshLintCreateRequire(import.meta.url);' },
  legalComments: "linked",
  logLevel: "warning",
});
swapDirectory(outdir, finalDir);
process.stdout.write(`build: tsc ${tscMs.toFixed(0)} ms, bundle ${(performance.now() - started).toFixed(0)} ms → ${finalDir}\n`);
