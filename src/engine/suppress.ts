import type { Resource } from "../model/index.js";

/**
 * Inline suppression comments in a YAML file, ESLint-style:
 *   `# mesh-lint-disable-next-line rule-a, rule-b`   the next line
 *   `... # mesh-lint-disable-line rule-a`            this line
 *   `# mesh-lint-disable rule-a` / `# mesh-lint-enable rule-a`   a range (no ids: every rule)
 */
export class Suppressions {
  /** The comments, in file order. */
  readonly directives: Directive[] = [];
  private readonly lineRules = new Map<number, Directive[]>();
  private readonly ranges: { from: number; to: number; directive: Directive; rules: Set<string> | "all" }[] = [];

  constructor(text: string) {
    if (!text.includes("mesh-lint-")) return;
    const lines = text.split("\n");
    const open = new Map<string, { line: number; directive: Directive }>();
    lines.forEach((line, index) => {
      const lineNo = index + 1;
      const match = /#\s*mesh-lint-(disable-next-line|disable-line|disable|enable)\b([^#]*)/.exec(line);
      if (!match) return;
      const ids = match[2]
        .split(/--/)[0]
        .split(",")
        .map((id) => id.trim())
        .filter(Boolean);
      const rules: Set<string> | "all" = ids.length ? new Set(ids) : "all";
      const directive: Directive = { kind: match[1] as Directive["kind"], line: lineNo, column: match.index + 1, endColumn: match.index + 1 + match[0].trimEnd().length, ids, used: new Set() };
      this.directives.push(directive);
      switch (directive.kind) {
        case "disable-next-line":
          this.addLine(nextContentLine(lines, index) ?? lineNo + 1, directive);
          break;
        case "disable-line":
          this.addLine(lineNo, directive);
          break;
        case "disable":
          for (const id of rules === "all" ? ["*"] : rules) if (!open.has(id)) open.set(id, { line: lineNo, directive });
          break;
        case "enable":
          for (const id of rules === "all" ? [...open.keys()] : rules) {
            const from = open.get(id);
            if (from === undefined) continue;
            this.ranges.push({ from: from.line, to: lineNo, directive: from.directive, rules: id === "*" ? "all" : new Set([id]) });
            open.delete(id);
          }
          break;
      }
    });
    for (const [id, from] of open) this.ranges.push({ from: from.line, to: Infinity, directive: from.directive, rules: id === "*" ? "all" : new Set([id]) });
  }

  private addLine(line: number, directive: Directive) {
    const existing = this.lineRules.get(line);
    if (existing) existing.push(directive);
    else this.lineRules.set(line, [directive]);
  }

  /** Whether a comment turns the rule off on the line; each comment that does remembers it. */
  suppresses(ruleId: string, line: number): boolean {
    let suppressed = false;
    for (const directive of this.lineRules.get(line) ?? []) {
      if (directive.ids.length === 0 || directive.ids.includes(ruleId)) {
        directive.used.add(ruleId);
        suppressed = true;
      }
    }
    for (const range of this.ranges) {
      if (line >= range.from && line <= range.to && (range.rules === "all" || range.rules.has(ruleId))) {
        range.directive.used.add(ruleId);
        suppressed = true;
      }
    }
    return suppressed;
  }
}

/** One `# mesh-lint-...` comment. */
export interface Directive {
  kind: "disable-next-line" | "disable-line" | "disable" | "enable";
  /** Where the comment is (1-based). */
  line: number;
  column: number;
  endColumn: number;
  /** The rule ids it names (none: every rule). */
  ids: string[];
  /** The rules whose messages it suppressed. */
  used: Set<string>;
}

/** The line a `disable-next-line` comment applies to: the next line that is not blank or a comment. */
function nextContentLine(lines: string[], index: number): number | undefined {
  for (let i = index + 1; i < lines.length; i++) {
    if (/^\s*(#.*)?$/.test(lines[i])) continue;
    return i + 1;
  }
  return undefined;
}

/** Istio's own suppression annotation, honoured so users of `istioctl analyze` keep theirs. */
export const ISTIO_SUPPRESS_ANNOTATION = "galley.istio.io/analyze-suppress";

export function suppressedByAnnotation(resource: Resource, istioCode: string | undefined): boolean {
  if (!istioCode) return false;
  const value = resource.annotations[ISTIO_SUPPRESS_ANNOTATION];
  if (!value) return false;
  return value.split(",").some((code) => {
    const trimmed = code.trim();
    return trimmed === "*" || trimmed === istioCode;
  });
}
