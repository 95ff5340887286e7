import type { Rule } from "./types.js";

export const RULES_TABLE_START = "<!-- rules-table:start -->";
export const RULES_TABLE_END = "<!-- rules-table:end -->";

/** The README's rules table, generated from the rule registry (never kept by hand). */
export function rulesTable(rules: readonly Rule[]): string {
  const rows = rules.map(
    (rule) =>
      `| [\`${rule.meta.id}\`](docs/rules/${rule.meta.id}.md) | ${rule.meta.description} | ${rule.meta.severity} | ${rule.meta.istioCodes.join(", ") || "—"} |`,
  );
  return [RULES_TABLE_START, "| rule | what it catches | default | `istioctl analyze` codes |", "| --- | --- | --- | --- |", ...rows, RULES_TABLE_END].join("\n");
}

/** The README text with its rules table replaced by the current one (undefined: no markers). */
export function withRulesTable(readme: string, rules: readonly Rule[]): string | undefined {
  const start = readme.indexOf(RULES_TABLE_START);
  const end = readme.indexOf(RULES_TABLE_END);
  if (start < 0 || end < 0) return undefined;
  return readme.slice(0, start) + rulesTable(rules) + readme.slice(end + RULES_TABLE_END.length);
}
