#!/usr/bin/env node
// Writes the rules table of README.md from the rule registry (never kept by hand).
// `node scripts/rules-table.mjs` rewrites README.md; `--check` exits 1 when it is stale. Needs a build.
import { readFileSync, writeFileSync } from "node:fs";

const { rules } = await import("../dist/rules/index.js");
const { withRulesTable } = await import("../dist/rules/table.js");

const readme = readFileSync("README.md", "utf8");
const next = withRulesTable(readme, rules);
if (next === undefined) {
  console.error("README.md has no rules-table markers");
  process.exit(2);
}
if (process.argv.includes("--check")) {
  if (next !== readme) {
    console.error("README.md's rules table is stale: run `npm run docs`");
    process.exit(1);
  }
} else {
  writeFileSync("README.md", next);
}
