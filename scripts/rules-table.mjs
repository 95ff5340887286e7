#!/usr/bin/env node
// Writes the rules table of README.md from the rule registry (never kept by hand).
// `node scripts/rules-table.mjs` rewrites README.md; `--check` exits 1 when it is stale.
import { readFileSync, writeFileSync } from "node:fs";

const { rules } = await import("../dist/rules/index.js");
const START = "<!-- rules-table:start -->";
const END = "<!-- rules-table:end -->";

export function rulesTable(list) {
  const rows = list.map(
    (rule) =>
      `| [\`${rule.meta.id}\`](docs/rules/${rule.meta.id}.md) | ${rule.meta.description} | ${rule.meta.severity} | ${rule.meta.istioCodes.join(", ") || "—"} |`,
  );
  return [START, "| rule | what it catches | default | `istioctl analyze` codes |", "| --- | --- | --- | --- |", ...rows, END].join("\n");
}

const readme = readFileSync("README.md", "utf8");
const start = readme.indexOf(START);
const end = readme.indexOf(END);
if (start < 0 || end < 0) {
  console.error("README.md has no rules-table markers");
  process.exit(2);
}
const next = readme.slice(0, start) + rulesTable(rules) + readme.slice(end + END.length);
if (process.argv.includes("--check")) {
  if (next !== readme) {
    console.error("README.md's rules table is stale: run `npm run docs`");
    process.exit(1);
  }
} else {
  writeFileSync("README.md", next);
}
