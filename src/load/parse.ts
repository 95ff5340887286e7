import { KUBERNETES_SCHEMA, loadAll, YAMLException } from "./js-yaml.js";
import type { Document } from "yaml";
import { KUBERNETES_YAML_OPTIONS, yamlModule } from "./lazy.js";
import type { LoadProblem, SkippedDocument, SourceDocument, SourceFile, SourceRole, Span } from "./types.js";
import { lineStarts, spanAt } from "./text.js";

/** Per-document alias budget: beyond this a document is treated as an alias bomb. */
const MAX_ALIASES = 1000;
/** Deepest nesting accepted; Kubernetes objects are far shallower. */
const MAX_DEPTH = 100;

const HELM_TEMPLATE = /\{\{-?\s*[^}]*\}\}/;

/**
 * Parses a file's text into Kubernetes object documents.
 *
 * The fast path uses js-yaml (a single pass, no syntax tree); positions inside a document are
 * resolved later, on demand, by `locate.ts` with the `yaml` package. When the fast path fails
 * (syntax error, duplicate key, alias bomb, ...), the file is parsed again with `yaml`, which
 * recovers document by document, so one broken document never costs the others.
 */
export function parseSource(path: string, text: string, role: SourceRole): SourceFile {
  const file: SourceFile = { path, role, text, documents: [], skipped: [], problems: [] };
  if (looksLikeHelmTemplate(path, text)) {
    const at = text.search(HELM_TEMPLATE);
    file.problems.push({
      ruleId: "parse",
      severity: 2,
      fatal: true,
      message:
        "This file is an unrendered Helm template ({{ ... }}); render it first and lint the output: `helm template <chart> | mesh-lint -`",
      span: spanAt(text, at, at + (text.slice(at).match(HELM_TEMPLATE)?.[0].length ?? 2)),
    });
    return file;
  }
  let values: unknown[] | undefined;
  try {
    values = loadAll(text, { filename: path, schema: KUBERNETES_SCHEMA, maxAliases: MAX_ALIASES, maxDepth: MAX_DEPTH } as never) as unknown[];
  } catch (error) {
    if (!(error instanceof YAMLException) && !(error instanceof RangeError)) throw error;
    values = undefined;
  }
  // Without an anchor (`&`) no node is shared, so there is nothing to expand.
  if (values && (!text.includes("&") || !containsAliasBomb(values))) {
    const spans = documentSpans(text);
    if (spans.length === values.length) {
      if (COLON_BEFORE_FLOW_INDICATOR.test(text)) values = values.map((value) => keepFlowColons(value, text));
      values.forEach((value, index) => classify(file, index, value, spans[index]));
      return file;
    }
  }
  // A file starting with `{` that is not one YAML (flow) document: kubectl reads it as a stream of
  // JSON objects, which YAML cannot read (`{...}` `{...}` one after the other).
  if (!values && text.charCodeAt(firstNonSpace(text)) === 123) {
    const objects = jsonStreamRanges(text);
    if (objects.length > 1) {
      readJsonStream(file, objects);
      return file;
    }
  }
  parseSlowly(file);
  return file;
}

function firstNonSpace(text: string): number {
  const at = text.search(/\S/);
  return at === -1 ? text.length : at;
}

/**
 * The top-level values of a text read as a JSON stream, as Go's `json.Decoder` splits it: each
 * balanced `{...}` / `[...]` (strings and escapes skipped) or other token up to the next whitespace;
 * an unclosed last value runs to the end (its parse then reports where it breaks).
 */
export function jsonStreamRanges(text: string): { from: number; to: number }[] {
  const ranges: { from: number; to: number }[] = [];
  let at = 0;
  const n = text.length;
  while (at < n) {
    while (at < n && /\s/.test(text[at])) at++;
    if (at >= n) break;
    const from = at;
    let depth = 0;
    let inString = false;
    for (; at < n; at++) {
      const c = text[at];
      if (inString) {
        if (c === "\\") at++;
        else if (c === '"') inString = false;
        if (depth === 0 && !inString) {
          at++;
          break;
        }
        continue;
      }
      if (c === '"') inString = true;
      else if (c === "{" || c === "[") depth++;
      else if (c === "}" || c === "]") {
        depth--;
        if (depth <= 0) {
          at++;
          break;
        }
      } else if (depth === 0 && /\s/.test(c)) break;
    }
    ranges.push({ from, to: at });
  }
  return ranges;
}

/** Reads a JSON stream's objects as documents; one that does not parse is an error at its position. */
function readJsonStream(file: SourceFile, objects: { from: number; to: number }[]): void {
  file.jsonStream = objects;
  const text = file.text;
  objects.forEach(({ from, to }, index) => {
    let value: unknown;
    try {
      value = JSON.parse(text.slice(from, to));
    } catch (error) {
      const message = (error as Error).message;
      // V8 gives an offset ("... in JSON at position 12") or quotes the text around the error.
      const position = /in JSON at position (\d+)/.exec(message);
      const offset = from + (position ? Math.min(Number(position[1]), to - from - 1) : 0);
      file.problems.push(fatal(text, offset, `JSON syntax error: ${message.replace(/ in JSON at position \d+.*$/, "")} (in a stream of JSON objects, as kubectl reads a file that starts with "{")`));
      return;
    }
    if (value !== null && typeof value === "object" && depthExceeds(value, MAX_DEPTH)) {
      file.problems.push(fatal(text, from, `This document is nested deeper than ${MAX_DEPTH} levels; it is skipped`));
      return;
    }
    classify(file, index, value, spanAt(text, from, to));
  });
}

function looksLikeHelmTemplate(path: string, text: string): boolean {
  if (!HELM_TEMPLATE.test(text)) return false;
  if (/(^|[\\/])templates[\\/]/.test(path)) return true;
  // A template expression outside a comment at the place a YAML value or key would be.
  return text.split("\n").some((line) => {
    const code = line.replace(/^\s*#.*$/, "");
    return /(^|[:\-[,]\s*)\{\{/.test(code) || /^\s*\{\{/.test(code);
  });
}

/**
 * The line spans of the YAML documents of a text, by `---` / `...` markers at column 0.
 * The part before the first `---` counts as a document only if it holds content.
 */
export function documentSpans(text: string): Span[] {
  const starts = lineStarts(text);
  const lineAt = (index: number) => text.slice(starts[index], index + 1 < starts.length ? starts[index + 1] - 1 : text.length);
  const spans: Span[] = [];
  let start = 1;
  let hasContent = false;
  let explicit = false;
  const close = (endLine: number) => {
    if (!explicit && !hasContent) return;
    const last = Math.max(start, endLine);
    const end = last - 1 < starts.length ? lineAt(last - 1) : "";
    spans.push({ start: { line: start, column: 1 }, end: { line: last, column: end.replace(/\r$/, "").length + 1 } });
  };
  for (let i = 0; i < starts.length; i++) {
    const first = text.charCodeAt(starts[i]);
    // Only lines starting with "-" or "." can be markers; past the first content nothing else matters.
    if (first !== 45 && first !== 46 && hasContent) continue;
    const line = lineAt(i);
    if (/^---(\s|$)/.test(line)) {
      close(i);
      explicit = true;
      hasContent = /^---\s+\S/.test(line) && !/^---\s+#/.test(line);
      start = hasContent ? i + 1 : i + 2;
      continue;
    }
    if (/^\.\.\.(\s|$)/.test(line)) {
      close(i);
      explicit = false;
      hasContent = false;
      start = i + 2;
      continue;
    }
    if (!hasContent && /^\s*[^\s#%]/.test(line)) {
      if (!hasContent && !explicit) start = i + 1;
      hasContent = true;
    }
  }
  close(starts.length);
  return spans;
}

/** A `:` right after a plain scalar's character and right before `,` or `]` (see {@link keepFlowColons}). */
const COLON_BEFORE_FLOW_INDICATOR = /[^\s,[\]{}]:[,\]]/;

/**
 * Reads `[1.2.3.4, 2001:db8::]` as kubectl does. Inside a flow collection, YAML 1.2 (js-yaml, `yaml`)
 * ends a plain scalar at a `:` followed by `,`, `]` or `}` and reads the item as a one-pair mapping
 * (`{"2001:db8:": null}`); the API server's YAML reader (go-yaml, through sigs.k8s.io/yaml) ends it
 * only at a `:` followed by a space, so the item is the string `2001:db8::`. A sequence item that is
 * such a mapping, written that way in the text, becomes that string again. (In block sequences both
 * read `- 2001:db8::` as a mapping.)
 */
function keepFlowColons(value: unknown, text: string): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (item !== null && typeof item === "object" && !Array.isArray(item)) {
        const keys = Object.keys(item);
        if (keys.length === 1 && (item as Record<string, unknown>)[keys[0]] === null && keys[0] !== "") {
          const written = `${keys[0]}:`;
          // As a flow sequence's item: after `[` or `,`, right before `,` or `]` (`a: ,` and `{a:}` are
          // mappings for both readers).
          if (new RegExp(`[[,]\\s*${written.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}[,\\]]`).test(text)) {
            value[i] = written;
            continue;
          }
        }
      }
      keepFlowColons(item, text);
    }
    return value;
  }
  for (const key in value as Record<string, unknown>) keepFlowColons((value as Record<string, unknown>)[key], text);
  return value;
}

/** Shared references (YAML aliases) whose expansion would be huge. */
function containsAliasBomb(values: unknown[]): boolean {
  const budget = { nodes: 0 };
  const seen = new Set<unknown>();
  let shared = false;
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== "object") return;
    if (seen.has(value)) {
      shared = true;
      return;
    }
    seen.add(value);
    if (Array.isArray(value)) for (const item of value) visit(item);
    else for (const key in value as Record<string, unknown>) visit((value as Record<string, unknown>)[key]);
  };
  for (const value of values) visit(value);
  if (!shared) return false;
  // Count the expanded size, stopping at a bound: a document of aliases to aliases explodes.
  const count = (value: unknown): boolean => {
    if (++budget.nodes > 1_000_000) return true;
    if (value === null || typeof value !== "object") return false;
    if (Array.isArray(value)) return value.some(count);
    return Object.values(value as Record<string, unknown>).some(count);
  };
  return values.some(count);
}

function classify(file: SourceFile, index: number, value: unknown, span: Span): void {
  if (value === null || value === undefined) {
    file.skipped.push({ index, reason: "empty document", span });
    return;
  }
  if (typeof value !== "object" || Array.isArray(value)) {
    file.skipped.push({ index, reason: `not a mapping (a ${Array.isArray(value) ? "sequence" : typeof value})`, span });
    return;
  }
  const object = value as Record<string, unknown>;
  if (typeof object.apiVersion !== "string" || typeof object.kind !== "string") {
    file.skipped.push({ index, reason: "no apiVersion/kind: not a Kubernetes object", span });
    return;
  }
  if (/List$/.test(object.kind) && object.apiVersion === "v1" && Array.isArray(object.items)) {
    object.items.forEach((item, i) => {
      if (item && typeof item === "object" && !Array.isArray(item)) {
        const entry = item as Record<string, unknown>;
        if (typeof entry.apiVersion === "string" && typeof entry.kind === "string") {
          file.documents.push({ index, base: ["items", i], value: entry, span });
          return;
        }
      }
      file.skipped.push({ index, reason: `items[${i}] of the ${object.kind} is not a Kubernetes object`, span });
    });
    return;
  }
  file.documents.push({ index, base: [], value: object, span });
}

/** The recovering path: `yaml` reports every error with its position and keeps the good documents. */
function parseSlowly(file: SourceFile): void {
  file.recovered = true;
  const { parseAllDocuments, LineCounter } = yamlModule();
  const lineCounter = new LineCounter();
  let documents: Document.Parsed[];
  try {
    documents = parseAllDocuments(file.text, { lineCounter, uniqueKeys: true, prettyErrors: false, ...KUBERNETES_YAML_OPTIONS }) as Document.Parsed[];
  } catch (error) {
    file.problems.push(fatal(file.text, 0, `The file could not be parsed: ${(error as Error).message}`));
    return;
  }
  if (!Array.isArray(documents)) documents = [documents as unknown as Document.Parsed];
  documents.forEach((document, index) => {
    const [from, , to] = document.range ?? [0, 0, file.text.length];
    const span = spanAt(file.text, from, to);
    if (document.errors.length > 0) {
      for (const error of document.errors) {
        const [start, end] = error.pos ?? [from, from];
        file.problems.push({
          ruleId: "parse",
          severity: 2,
          fatal: true,
          message: describeYamlError(error.code, error.message),
          span: spanAt(file.text, start, Math.max(end, start + 1)),
        });
      }
      return;
    }
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: 100 });
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      const anchor = firstAlias(document) ?? from;
      file.problems.push(
        fatal(
          file.text,
          anchor,
          /alias/i.test(message)
            ? "Too many YAML alias expansions in this document (a resource exhaustion pattern); the document is skipped"
            : error instanceof RangeError
              ? "This document is nested too deeply to analyse; it is skipped"
              : `This document could not be read: ${message}`,
        ),
      );
      return;
    }
    if (depthExceeds(value, MAX_DEPTH)) {
      file.problems.push(fatal(file.text, from, `This document is nested deeper than ${MAX_DEPTH} levels; it is skipped`));
      return;
    }
    if (COLON_BEFORE_FLOW_INDICATOR.test(file.text)) value = keepFlowColons(value, file.text);
    classify(file, index, value, span);
  });
}

function firstAlias(document: Document.Parsed): number | undefined {
  const { isMap, isSeq } = yamlModule();
  const contents = document.contents;
  if (isMap(contents) || isSeq(contents)) return contents.range?.[0];
  return undefined;
}

function depthExceeds(value: unknown, limit: number): boolean {
  let depth = 0;
  let layer: unknown[] = [value];
  while (layer.length > 0) {
    if (++depth > limit) return true;
    const next: unknown[] = [];
    for (const item of layer) {
      if (item && typeof item === "object") next.push(...Object.values(item as object));
    }
    layer = next;
  }
  return false;
}

function fatal(text: string, offset: number, message: string): LoadProblem {
  return { ruleId: "parse", severity: 2, fatal: true, message, span: spanAt(text, offset, offset + 1) };
}

function describeYamlError(code: string, message: string): string {
  const first = message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
  if (code === "DUPLICATE_KEY") {
    return `Duplicate key: ${first.replace(/^Map keys must be unique;?\s*/, "")} (the Kubernetes API server rejects objects with duplicate fields)`.replace(
      /: \(/,
      " (",
    );
  }
  if (code === "TAB_AS_INDENT") return `Tabs are not allowed as YAML indentation: ${first}`;
  return `YAML syntax error: ${first}`;
}
