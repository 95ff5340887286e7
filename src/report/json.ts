import type { Formatter, LintResult } from "./types.js";

/** A result as the `json` formatter writes it: everything except the file's text. */
export type JsonResult = Omit<LintResult, "source">;

/**
 * ESLint's `json` format: the array of results, each with its messages and counts,
 * including mesh-lint's extra message fields (`istioCode`, `resource`, `url`, `messageId`), without `source`.
 */
export const json: Formatter = (results) => JSON.stringify(results.map(withoutSource));

function withoutSource(result: LintResult): JsonResult {
  const { source: _source, ...rest } = result;
  return rest;
}
