import type { Document, Node, Pair } from "yaml";
import { KUBERNETES_YAML_OPTIONS, yamlModule } from "./lazy.js";
import { EVENT_ID, KUBERNETES_SCHEMA, SCALAR_STYLE, getScalarValue, load, parseEvents, type Event, type ScalarEvent } from "./js-yaml.js";
import type { NodePath, SourceFile, Span } from "./types.js";
import { lineStarts, spanAt } from "./text.js";

/**
 * Finds the exact position of a node in a file, by its path inside a document.
 *
 * The fast loader keeps no syntax tree; the first time a file needs a position, its text goes again
 * through js-yaml's event parser (the parser that loaded it, whose events carry source offsets) and a
 * small tree of node ranges is kept for the file's later lookups. Files that js-yaml could not load
 * (their documents came from the recovering parse) are parsed with `yaml` instead.
 */
export class Locator {
  private readonly files = new Map<SourceFile, { starts: number[]; documents: (RangeNode | null)[] | null }>();

  /**
   * The span of the node at `path` in document `index` of `file`, whose lines are `documentSpan`. When
   * the path does not exist (a required field that is missing), the nearest existing ancestor is
   * returned with `exact: false`; when the document cannot be parsed, `documentSpan` itself.
   */
  locate(file: SourceFile, index: number, path: NodePath, documentSpan: Span): { span: Span; exact: boolean } {
    let entry = this.files.get(file);
    if (!entry) {
      const documents = file.jsonStream ? jsonStreamTrees(file.text, file.jsonStream) : file.recovered ? yamlRangeTrees(file.text) : eventRangeTrees(file.text);
      this.files.set(file, (entry = { starts: lineStarts(file.text), documents }));
    }
    let node = entry.documents?.[index];
    if (!node) return { span: documentSpan, exact: false };
    let best = { from: node.from, to: node.to };
    let exact = true;
    for (const segment of path) {
      const next = child(file.text, node, segment);
      if (!next) {
        exact = false;
        break;
      }
      node = next.value;
      best = next.key ? { from: next.key.from, to: node.to } : { from: node.from, to: node.to };
    }
    let to = best.to;
    // A collection's range runs to the start of the next line; end the span at its last character.
    while (to > best.from && /\s/.test(file.text[to - 1])) to--;
    return { span: spanAt(file.text, best.from, to, entry.starts), exact };
  }
}

/**
 * A node of a document with its source range (offsets, end-exclusive): a scalar or alias (a leaf), a
 * sequence (its items) or a mapping (keys and values alternating in `children`).
 */
interface RangeNode {
  kind: "leaf" | "sequence" | "mapping";
  from: number;
  to: number;
  children?: RangeNode[];
  /** A scalar's event, to read it as a mapping key. */
  scalar?: ScalarEvent;
  /** The key a scalar spells, once read. */
  name?: string;
  /** A flow collection (`[...]`, `{...}`): it ends at its closing bracket. */
  flow?: boolean;
  /** An alias's anchored node: paths through the alias (or a `<<` merge of it) continue there. */
  target?: RangeNode;
}

/** The range trees of a text's documents from js-yaml's events; null when js-yaml cannot parse it. */
function eventRangeTrees(text: string): (RangeNode | null)[] | null {
  let events: Event[];
  try {
    events = parseEvents(text, {});
  } catch {
    return null;
  }
  const documents: (RangeNode | null)[] = [];
  const stack: RangeNode[] = [];
  // Anchors by name; an alias names the latest node anchored with its name before it.
  const anchors = new Map<string, RangeNode>();
  const anchor = (node: RangeNode, event: { anchorStart: number; anchorEnd: number }) => {
    if (event.anchorStart >= 0) anchors.set(text.slice(event.anchorStart, event.anchorEnd), node);
  };
  const attach = (node: RangeNode) => {
    const parent = stack[stack.length - 1];
    if (parent) parent.children!.push(node);
    else documents[documents.length - 1] = node;
  };
  for (const event of events) {
    switch (event.type) {
      case EVENT_ID.DOCUMENT:
        documents.push(null);
        break;
      case EVENT_ID.SEQUENCE:
      case EVENT_ID.MAPPING: {
        const node: RangeNode = { kind: event.type === EVENT_ID.SEQUENCE ? "sequence" : "mapping", from: event.start, to: event.start, children: [], flow: event.style === 2 };
        attach(node);
        anchor(node, event);
        stack.push(node);
        break;
      }
      case EVENT_ID.SCALAR: {
        const [from, to] = scalarRange(text, event, stack[stack.length - 1]);
        const node: RangeNode = { kind: "leaf", from, to, scalar: event };
        attach(node);
        anchor(node, event);
        break;
      }
      case EVENT_ID.ALIAS:
        attach({ kind: "leaf", from: event.anchorStart - 1, to: event.anchorEnd, target: anchors.get(text.slice(event.anchorStart, event.anchorEnd)) });
        break;
      case EVENT_ID.POP: {
        const node = stack.pop();
        if (node) node.to = collectionEnd(text, node);
        break;
      }
    }
  }
  return documents;
}

/** A scalar's range as `yaml` gives it: quotes included, a block scalar from its `|` or `>` header. */
function scalarRange(text: string, event: ScalarEvent, parent: RangeNode | undefined): [number, number] {
  const { valueStart, valueEnd, style } = event;
  if (valueStart < 0) {
    // An empty value: just after its indicator (the mapping's `:` or the sequence's `-`) and the spaces after it.
    const siblings = parent?.children ?? [];
    let at = siblings.length > 0 ? siblings[siblings.length - 1].to : (parent?.from ?? 0);
    const indicator = parent?.kind === "mapping" ? ":" : "-";
    const found = text.indexOf(indicator, at);
    if (found !== -1 && (parent?.kind !== "mapping" || siblings.length % 2 === 1)) at = found + 1;
    while (text[at] === " " || text[at] === "\t") at++;
    return [at, at];
  }
  if (style === SCALAR_STYLE.SINGLE_QUOTED || style === SCALAR_STYLE.DOUBLE_QUOTED) return [valueStart - 1, valueEnd + 1];
  if (style === SCALAR_STYLE.LITERAL_BLOCK || style === SCALAR_STYLE.FOLDED_BLOCK) {
    // The header ends the line before the content: `key: |-`, `- >2 # comment`.
    const headerLine = text.lastIndexOf("\n", Math.max(0, valueStart - 2)) + 1;
    const line = text.slice(headerLine, valueStart);
    const header = /[|>][-+0-9]*[ \t]*(#.*)?\r?\n?$/.exec(line);
    return [header ? headerLine + header.index : valueStart, valueEnd];
  }
  return [valueStart, valueEnd];
}

/** Where a collection ends: after its closing bracket, or at the end of its last entry. */
function collectionEnd(text: string, node: RangeNode): number {
  const children = node.children!;
  const last = children.length > 0 ? children[children.length - 1].to : node.from + 1;
  if (!node.flow) return Math.max(last, node.from);
  const close = node.kind === "sequence" ? "]" : "}";
  for (let at = last; at < text.length; at++) {
    const c = text[at];
    if (c === close) return at + 1;
    if (c === "#") {
      const newline = text.indexOf("\n", at);
      if (newline === -1) break;
      at = newline;
    }
  }
  return last;
}

/**
 * The child of a range node at a path segment: a mapping's value (with its key) or a sequence's item.
 * Through an alias, the child of its anchored node; a key a mapping gets from a `<<` merge is found
 * where the merged mapping writes it (the mapping's own keys first, then the merged ones in order).
 */
function child(text: string, node: RangeNode, segment: string | number, depth = 0): { value: RangeNode; key?: RangeNode } | undefined {
  if (depth > 50) return undefined;
  if (node.target) return child(text, node.target, segment, depth + 1);
  const children = node.children;
  if (!children) return undefined;
  if (node.kind === "sequence") return typeof segment === "number" && segment >= 0 && segment < children.length ? { value: children[segment] } : undefined;
  const wanted = String(segment);
  let merges: RangeNode[] | undefined;
  for (let i = 0; i + 1 < children.length; i += 2) {
    const key = children[i];
    if (key.name === undefined && key.scalar) key.name = keyString(text, key.scalar);
    if (key.name === wanted) return { value: children[i + 1], key };
    if (key.name === "<<" && key.scalar?.style === SCALAR_STYLE.PLAIN) (merges ??= []).push(children[i + 1]);
  }
  for (const merged of merges ?? []) {
    const sources = merged.kind === "sequence" ? merged.children! : [merged];
    for (const source of sources) {
      const found = source.target ? child(text, source, segment, depth + 1) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * A mapping key as the loaded object spells it: plain keys resolved as the load does (`80` → "80",
 * `~` → "null", `yes` → "true", see `KUBERNETES_SCHEMA`).
 */
function keyString(text: string, event: ScalarEvent): string {
  const value = getScalarValue(text, event);
  if (event.style !== SCALAR_STYLE.PLAIN) return value;
  const plainString = /^[A-Za-z_$][\w$./-]*$/.test(value) && !/^(true|false|null|y|n|yes|no|on|off)$/i.test(value);
  if (plainString) return value;
  try {
    return String(load(value, { schema: KUBERNETES_SCHEMA }));
  } catch {
    return value;
  }
}

/**
 * The range trees of a JSON stream's objects: each object read alone (JSON is YAML), its offsets then
 * moved to the object's place in the file, key names read while the object's text is at hand.
 */
function jsonStreamTrees(text: string, objects: readonly { from: number; to: number }[]): (RangeNode | null)[] {
  const shift = (node: RangeNode, source: string, by: number): RangeNode => {
    const name = node.name ?? (node.scalar ? keyString(source, node.scalar) : undefined);
    return { kind: node.kind, from: node.from + by, to: node.to + by, flow: node.flow, name, children: node.children?.map((item) => shift(item, source, by)) };
  };
  return objects.map(({ from, to }) => {
    const source = text.slice(from, to);
    const tree = eventRangeTrees(source)?.[0];
    return tree ? shift(tree, source, from) : null;
  });
}

/** The range trees of a text's documents from `yaml`, for the files only its recovering parse could read. */
function yamlRangeTrees(text: string): (RangeNode | null)[] | null {
  let documents: Document.Parsed[];
  try {
    documents = yamlModule().parseAllDocuments(text, { keepSourceTokens: false, uniqueKeys: false, ...KUBERNETES_YAML_OPTIONS }) as Document.Parsed[];
  } catch {
    return null;
  }
  if (!Array.isArray(documents)) return null;
  return documents.map((document) => yamlRangeNode(document.contents));
}

function yamlRangeNode(node: unknown): RangeNode | null {
  const { isMap, isSeq, isScalar, isPair } = yamlModule();
  const range = rangeOf(node);
  if (!range) return null;
  if (isMap(node)) {
    const children: RangeNode[] = [];
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const key = isScalar(item.key) ? item.key : undefined;
      const keyRange = key ? rangeOf(key) : undefined;
      const value = yamlRangeNode(item.value);
      if (!key || !keyRange) continue;
      children.push({ kind: "leaf", from: keyRange.from, to: keyRange.to, name: String(key.value) });
      children.push(value ?? { kind: "leaf", from: keyRange.to, to: keyRange.to });
    }
    return { kind: "mapping", ...range, children };
  }
  if (isSeq(node)) return { kind: "sequence", ...range, children: node.items.map((item) => yamlRangeNode(item) ?? { kind: "leaf", ...range }) };
  return { kind: "leaf", ...range };
}

function rangeOf(node: unknown): { from: number; to: number } | undefined {
  const range = (node as Node | null)?.range;
  if (!range) return undefined;
  // range[1] is the end of the value itself; range[2] includes trailing comments and blank lines.
  return { from: range[0], to: range[1] };
}
