import type { Document, Node, Pair } from "yaml";
import { yamlModule } from "./lazy.js";
import type { NodePath, SourceFile, Span } from "./types.js";
import { lineStarts, spanAt } from "./text.js";

/**
 * Finds the exact position of a node in a file, by its path inside a document.
 *
 * The fast loader keeps no syntax tree; the first time a document needs a position, its lines are
 * parsed again with `yaml` (which keeps ranges) and the tree is cached for the document's later
 * lookups. Only that document is parsed, not the whole file: a finding in one of a file's hundred
 * documents costs one document's parse. When the document's lines do not parse on their own (a
 * `%TAG` directive of the file, say), the whole file is parsed instead.
 */
export class Locator {
  private readonly files = new Map<SourceFile, { starts: number[]; documents: Map<number, LocatedDocument | null>; whole?: Document.Parsed[] | null }>();

  /**
   * The span of the node at `path` in document `index` of `file`, whose lines are `documentSpan`. When
   * the path does not exist (a required field that is missing), the nearest existing ancestor is
   * returned with `exact: false`; when the document cannot be parsed, `documentSpan` itself.
   */
  locate(file: SourceFile, index: number, path: NodePath, documentSpan: Span): { span: Span; exact: boolean } {
    const { isScalar } = yamlModule();
    const located = this.document(file, index, documentSpan);
    if (!located) return { span: documentSpan, exact: false };
    let node: unknown = located.document.contents;
    let pair: Pair | undefined;
    let exact = true;
    let best: { from: number; to: number } | undefined = rangeOf(node);
    for (const segment of path) {
      const next = child(node, segment);
      if (!next) {
        exact = false;
        break;
      }
      node = next.value;
      pair = next.pair;
      const range = pair && isScalar(pair.key) && pair.key.range ? { from: pair.key.range[0], to: rangeOf(node)?.to ?? pair.key.range[1] } : rangeOf(node);
      if (range) best = range;
    }
    if (!best) return { span: documentSpan, exact: false };
    const from = best.from + located.offset;
    let to = best.to + located.offset;
    // A collection's range runs to the start of the next line; end the span at its last character.
    while (to > from && /\s/.test(file.text[to - 1])) to--;
    return { span: spanAt(file.text, from, to, located.starts), exact };
  }

  /** The syntax tree of one document, with the offset of its text in the file. */
  private document(file: SourceFile, index: number, span: Span): LocatedDocument | undefined {
    let entry = this.files.get(file);
    if (!entry) this.files.set(file, (entry = { starts: lineStarts(file.text), documents: new Map() }));
    let located = entry.documents.get(index);
    if (located === undefined) {
      located = this.parseLines(file.text, entry.starts, span) ?? this.fromWholeFile(file, entry, index);
      entry.documents.set(index, located);
    }
    return located ?? undefined;
  }

  /** Parses the lines of a document alone; undefined unless they hold exactly one document without errors. */
  private parseLines(text: string, starts: number[], span: Span): LocatedDocument | undefined {
    const first = span.start.line - 1;
    if (first < 0 || first >= starts.length || span.end.line < span.start.line) return undefined;
    const offset = starts[first];
    const end = span.end.line < starts.length ? starts[span.end.line] : text.length;
    try {
      const documents = yamlModule().parseAllDocuments(text.slice(offset, end), { keepSourceTokens: false, uniqueKeys: false });
      if (!Array.isArray(documents) || documents.length !== 1 || documents[0].errors.length > 0) return undefined;
      return { document: documents[0] as Document.Parsed, offset, starts };
    } catch {
      return undefined;
    }
  }

  private fromWholeFile(file: SourceFile, entry: { starts: number[]; whole?: Document.Parsed[] | null }, index: number): LocatedDocument | null {
    if (entry.whole === undefined) {
      try {
        const documents = yamlModule().parseAllDocuments(file.text, { keepSourceTokens: false, uniqueKeys: false });
        entry.whole = Array.isArray(documents) ? (documents as Document.Parsed[]) : null;
      } catch {
        entry.whole = null;
      }
    }
    const document = entry.whole?.[index];
    return document ? { document, offset: 0, starts: entry.starts } : null;
  }
}

interface LocatedDocument {
  document: Document.Parsed;
  /** Offset in the file of the text the document was parsed from. */
  offset: number;
  starts: number[];
}

function rangeOf(node: unknown): { from: number; to: number } | undefined {
  const range = (node as Node | null)?.range;
  if (!range) return undefined;
  // range[1] is the end of the value itself; range[2] includes trailing comments and blank lines.
  return { from: range[0], to: range[1] };
}

function child(node: unknown, segment: string | number): { value: unknown; pair?: Pair } | undefined {
  const { isMap, isSeq, isScalar, isPair } = yamlModule();
  if (isMap(node)) {
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const key = isScalar(item.key) ? item.key.value : item.key;
      if (String(key) === String(segment)) return { value: item.value, pair: item };
    }
    return undefined;
  }
  if (isSeq(node) && typeof segment === "number") {
    const value = node.items[segment];
    return value === undefined ? undefined : { value };
  }
  return undefined;
}
