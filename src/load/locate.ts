import type { Document, Node, Pair } from "yaml";
import { yamlModule } from "./lazy.js";
import type { NodePath, SourceFile, Span } from "./types.js";
import { lineStarts, spanAt } from "./text.js";

/**
 * Finds the exact position of a node in a file, by its path inside a document.
 *
 * The fast loader keeps no syntax tree; the first time a file needs a position, it is parsed again
 * with `yaml` (which keeps ranges) and the tree is cached for the file's later lookups.
 */
export class Locator {
  private readonly trees = new Map<SourceFile, { documents: Document.Parsed[]; starts: number[] }>();

  /**
   * The span of the node at `path` in document `index` of `file`. When the path does not exist
   * (a required field that is missing), the nearest existing ancestor is returned with `exact: false`.
   */
  locate(file: SourceFile, index: number, path: NodePath, fallback: Span): { span: Span; exact: boolean } {
    const tree = this.tree(file);
    const { isScalar } = yamlModule();
    const document = tree?.documents[index];
    if (!tree || !document) return { span: fallback, exact: false };
    let node: unknown = document.contents;
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
    if (!best) return { span: fallback, exact: false };
    // A collection's range runs to the start of the next line; end the span at its last character.
    while (best.to > best.from && /\s/.test(file.text[best.to - 1])) best.to--;
    return { span: spanAt(file.text, best.from, best.to, tree.starts), exact };
  }

  private tree(file: SourceFile) {
    let tree = this.trees.get(file);
    if (!tree) {
      try {
        const documents = yamlModule().parseAllDocuments(file.text, { keepSourceTokens: false, uniqueKeys: false }) as Document.Parsed[];
        tree = { documents: Array.isArray(documents) ? documents : [], starts: lineStarts(file.text) };
      } catch {
        return undefined;
      }
      this.trees.set(file, tree);
    }
    return tree;
  }
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
