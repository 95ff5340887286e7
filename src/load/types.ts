/** A point in a source file: 1-based line and column, 0-based offset. */
export interface Point {
  line: number;
  column: number;
  offset?: number;
}

/** A span in a source file. */
export interface Span {
  start: Point;
  end: Point;
}

/** A step into a document: a mapping key or a sequence index. */
export type PathSegment = string | number;
export type NodePath = readonly PathSegment[];

/** Why a file was read: its findings are reported (`lint`) or it only informs the analysis (`context`). */
export type SourceRole = "lint" | "context";

/** A problem found while reading or parsing a file, before any resource exists. */
export interface LoadProblem {
  /** `parse` for YAML/JSON syntax, `load` for unreadable or unusable input. */
  ruleId: "parse" | "load";
  severity: 1 | 2;
  fatal: boolean;
  message: string;
  span: Span;
}

/** One YAML document (or one item of a `kind: List`) that looks like a Kubernetes object. */
export interface SourceDocument {
  /** Index of the YAML document inside the file (0-based). */
  index: number;
  /** Path prefix inside the document: `[]`, or `["items", 3]` for an item of a `kind: List`. */
  base: NodePath;
  /** The plain value of the object. */
  value: Record<string, unknown>;
  /** Lines the YAML document spans (1-based, inclusive), used when no finer position is known. */
  span: Span;
}

/** A document that was skipped because it is not a Kubernetes object (reported with --debug). */
export interface SkippedDocument {
  index: number;
  reason: string;
  span: Span;
}

/** A file (or stdin) after loading. */
export interface SourceFile {
  /** Path as reported to the user (relative to the working directory where possible). */
  path: string;
  role: SourceRole;
  /** The decoded text (BOM removed, CRLF kept). */
  text: string;
  documents: SourceDocument[];
  skipped: SkippedDocument[];
  problems: LoadProblem[];
  /** Set when js-yaml could not load the file and `yaml`'s recovering parse read its documents. */
  recovered?: true;
  /**
   * Set when the file is a stream of JSON objects (`{...}{...}`, one per line or not), as kubectl's
   * decoder reads a file that starts with `{`: each object's offsets (end-exclusive), one document each.
   */
  jsonStream?: { from: number; to: number }[];
}
