import type { LintMessage, LintResult } from "./types.js";

/** Problem counts over one or more results, as ESLint reports them. */
export interface ResultCounts {
  errorCount: number;
  warningCount: number;
  fatalErrorCount: number;
}

/** Counts the messages of one file: severity 2 is an error, 1 a warning; fatal ones are also counted apart. */
export function countMessages(messages: readonly LintMessage[]): ResultCounts {
  const counts: ResultCounts = { errorCount: 0, warningCount: 0, fatalErrorCount: 0 };
  for (const message of messages) {
    if (message.severity === 2) counts.errorCount++;
    else counts.warningCount++;
    if (message.fatal) counts.fatalErrorCount++;
  }
  return counts;
}

/** Adds up the counts stored on each result (they are computed by {@link buildResult}). */
export function countResults(results: readonly LintResult[]): ResultCounts {
  const counts: ResultCounts = { errorCount: 0, warningCount: 0, fatalErrorCount: 0 };
  for (const result of results) {
    counts.errorCount += result.errorCount;
    counts.warningCount += result.warningCount;
    counts.fatalErrorCount += result.fatalErrorCount;
  }
  return counts;
}

/** Orders messages by position, then puts errors before warnings, then by rule id and text, so output is stable. */
export function compareMessages(a: LintMessage, b: LintMessage): number {
  return (
    a.line - b.line ||
    a.column - b.column ||
    (a.endLine ?? a.line) - (b.endLine ?? b.line) ||
    (a.endColumn ?? a.column) - (b.endColumn ?? b.column) ||
    b.severity - a.severity ||
    compareText(a.ruleId ?? "", b.ruleId ?? "") ||
    compareText(a.message, b.message)
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Builds the result for one file: the messages sorted by line and column and the counts computed from them.
 * `source` is kept only when given (formatters that show code frames read it; `json` drops it).
 */
export function buildResult(filePath: string, messages: readonly LintMessage[], source?: string): LintResult {
  const sorted = [...messages].sort(compareMessages);
  const result: LintResult = {
    filePath,
    messages: sorted,
    ...countMessages(sorted),
    fixableErrorCount: 0,
    fixableWarningCount: 0,
  };
  if (source !== undefined) result.source = source;
  return result;
}
