/**
 * The Markdown job summary the GitHub Action writes to `$GITHUB_STEP_SUMMARY`: the totals, the counts by rule,
 * the top findings with links to the rule docs (and to the file on GitHub when a link maker is given), and any
 * diagrams the caller adds. Like the formatters, it knows nothing of Istio: it prints the results it is given.
 */
import { displayPath, isPseudoPath } from "../report/paths.js";
import type { LintMessage, LintResult } from "../report/types.js";

export interface Diagram {
  /** What the diagram shows (a host name, a proxy...), used as its heading. */
  title: string;
  /** The Mermaid source, without the fence. */
  mermaid: string;
}

export interface SummaryOptions {
  /** Paths are shown relative to this directory (the repository root on GitHub). */
  cwd: string;
  /** Heading of the summary. */
  title?: string;
  /** How many findings to list (default 10). */
  top?: number;
  /** A link to the file at the line, e.g. on github.com; `undefined` for no link. */
  fileLink?: (relativePath: string, line: number) => string | undefined;
  /** Diagrams appended under "Routes the findings touch". */
  diagrams?: readonly Diagram[];
  /** Heading of the diagrams' section. */
  diagramsTitle?: string;
  /** A line printed under the totals (e.g. which files were linted). */
  note?: string;
}

/** One message with the file it is in. */
export interface Finding {
  file: string;
  message: LintMessage;
}

/** The messages of all results, errors first, then in file and line order. */
export function rankFindings(results: readonly LintResult[]): Finding[] {
  const findings: Finding[] = [];
  for (const result of results) for (const message of result.messages) findings.push({ file: result.filePath, message });
  // A stable sort keeps the results' file order (and the messages' line order) within each severity.
  return findings.sort((a, b) => b.message.severity - a.message.severity);
}

interface RuleRow {
  id: string;
  url?: string;
  errors: number;
  warnings: number;
}

/** Counts by rule id (messages without one are counted under `parse`), most errors first, then most warnings, then id. */
export function countByRule(results: readonly LintResult[]): RuleRow[] {
  const rows = new Map<string, RuleRow>();
  for (const result of results) {
    for (const message of result.messages) {
      const id = message.ruleId ?? "parse";
      let row = rows.get(id);
      if (!row) rows.set(id, (row = { id, errors: 0, warnings: 0 }));
      if (!row.url && message.url) row.url = message.url;
      if (message.severity === 2) row.errors++;
      else row.warnings++;
    }
  }
  return [...rows.values()].sort((a, b) => b.errors - a.errors || b.warnings - a.warnings || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Text safe inside a Markdown table cell: one line, pipes and HTML escaped, shortened to `max` characters. */
export function cell(text: string, max = 300): string {
  let value = text.replace(/\s*\r?\n\s*/g, " ").trim();
  if (value.length > max) value = `${value.slice(0, max - 1).trimEnd()}…`;
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\|/g, "\\|");
}

function ruleLink(id: string, url: string | undefined): string {
  const label = `\`${id}\``;
  return url ? `[${label}](${url})` : label;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/** The summary as Markdown, ending with a newline. */
export function renderSummary(results: readonly LintResult[], options: SummaryOptions): string {
  const top = options.top ?? 10;
  const errors = results.reduce((sum, result) => sum + result.errorCount, 0);
  const warnings = results.reduce((sum, result) => sum + result.warningCount, 0);
  const withFindings = results.filter((result) => result.messages.length > 0).length;
  const lines: string[] = [`## ${options.title ?? "mesh-lint"}`, ""];

  if (errors + warnings === 0) {
    lines.push(`✅ No problems found in ${plural(results.length, "file")}.`);
  } else {
    lines.push(
      `${errors > 0 ? "❌" : "⚠️"} **${plural(errors, "error")}** and **${plural(warnings, "warning")}** in ${withFindings} of ${plural(results.length, "file")}.`,
    );
  }
  if (options.note) lines.push("", options.note);

  if (errors + warnings > 0) {
    lines.push("", "### Findings by rule", "", "| Rule | Errors | Warnings |", "| --- | ---: | ---: |");
    for (const row of countByRule(results)) lines.push(`| ${ruleLink(row.id, row.url)} | ${row.errors} | ${row.warnings} |`);

    const findings = rankFindings(results);
    const shown = findings.slice(0, Math.max(0, top));
    if (shown.length > 0) {
      lines.push("", findings.length > shown.length ? `### Top ${shown.length} findings` : "### Findings", "");
      lines.push("| | Rule | Where | Message |", "| --- | --- | --- | --- |");
      for (const { file, message } of shown) {
        const severity = message.severity === 2 ? "❌ error" : "⚠️ warning";
        lines.push(`| ${severity} | ${ruleLink(message.ruleId ?? "parse", message.url)} | ${where(file, message, options)} | ${messageText(message)} |`);
      }
      if (findings.length > shown.length) {
        lines.push("", `…and ${plural(findings.length - shown.length, "more finding")}: see the annotations, the SARIF report or the job log.`);
      }
    }
  }

  const diagrams = options.diagrams ?? [];
  if (diagrams.length > 0) {
    lines.push("", `### ${options.diagramsTitle ?? "Routes the findings touch"}`);
    for (const diagram of diagrams) {
      lines.push("", `#### \`${diagram.title.replace(/`/g, "")}\``, "", "```mermaid", diagram.mermaid.trimEnd(), "```");
    }
  }
  return `${lines.join("\n")}\n`;
}

function where(file: string, message: LintMessage, options: SummaryOptions): string {
  const shown = displayPath(file, options.cwd);
  const label = message.line >= 1 ? `${shown}:${message.line}` : shown;
  const link = !isPseudoPath(file) && !shown.startsWith("/") ? options.fileLink?.(shown, message.line) : undefined;
  return link ? `[${cell(label, 200)}](${link})` : cell(label, 200);
}

function messageText(message: LintMessage): string {
  const resource = message.resource
    ? `${message.resource.kind} ${message.resource.namespace ? `${message.resource.namespace}/` : ""}${message.resource.name}: `
    : "";
  const code = message.istioCode ? ` [${message.istioCode}]` : "";
  return cell(`${resource}${message.message}${code}`);
}
