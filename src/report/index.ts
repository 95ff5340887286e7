/**
 * The report stage: formatters that turn lint results into text.
 * A formatter returns the whole report without a trailing newline, or `""` when it has nothing to print;
 * the caller writes it followed by a newline when it is not empty.
 */
import { github } from "./github.js";
import { json } from "./json.js";
import { sarif } from "./sarif.js";
import { stylish } from "./stylish.js";
import type { Formatter } from "./types.js";

export type { FormatContext, Formatter, LintMessage, LintResult, ResourceRef, RuleDescriptor } from "./types.js";
export { buildResult, compareMessages, countMessages, countResults, type ResultCounts } from "./summarize.js";
export { escapeData, escapeProperty } from "./github.js";
export { displayPath } from "./paths.js";
export { github, json, sarif, stylish };

const formatters = {
  stylish,
  json,
  sarif,
  github,
} satisfies Record<string, Formatter>;

export type FormatterName = keyof typeof formatters;

/** The formatter used when none is asked for. */
export const defaultFormatterName: FormatterName = "stylish";

/** The names `--format` accepts. */
export const formatterNames: readonly FormatterName[] = Object.freeze(Object.keys(formatters) as FormatterName[]);

/** The formatter with this name, or `undefined` for an unknown name. */
export function getFormatter(name: string): Formatter | undefined {
  return Object.hasOwn(formatters, name) ? formatters[name as FormatterName] : undefined;
}
