import type { Resource } from "../model/index.js";

/**
 * Inline suppression comments in a YAML file, ESLint-style:
 *   `# mesh-lint-disable-next-line rule-a, rule-b`   the next line
 *   `... # mesh-lint-disable-line rule-a`            this line
 *   `# mesh-lint-disable rule-a` / `# mesh-lint-enable rule-a`   a range (no ids: every rule)
 */
export class Suppressions {
  private readonly lineRules = new Map<number, Set<string> | "all">();
  private readonly ranges: { from: number; to: number; rules: Set<string> | "all" }[] = [];

  constructor(text: string) {
    if (!text.includes("mesh-lint-")) return;
    const lines = text.split("\n");
    const open = new Map<string, number>();
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
      switch (match[1]) {
        case "disable-next-line":
          this.addLine(nextContentLine(lines, index) ?? lineNo + 1, rules);
          break;
        case "disable-line":
          this.addLine(lineNo, rules);
          break;
        case "disable":
          for (const id of rules === "all" ? ["*"] : rules) if (!open.has(id)) open.set(id, lineNo);
          break;
        case "enable":
          for (const id of rules === "all" ? [...open.keys()] : rules) {
            const from = open.get(id);
            if (from === undefined) continue;
            this.ranges.push({ from, to: lineNo, rules: id === "*" ? "all" : new Set([id]) });
            open.delete(id);
          }
          break;
      }
    });
    for (const [id, from] of open) this.ranges.push({ from, to: Infinity, rules: id === "*" ? "all" : new Set([id]) });
  }

  private addLine(line: number, rules: Set<string> | "all") {
    const existing = this.lineRules.get(line);
    if (existing === "all" || rules === "all") this.lineRules.set(line, "all");
    else this.lineRules.set(line, new Set([...(existing ?? []), ...rules]));
  }

  suppresses(ruleId: string, line: number): boolean {
    const onLine = this.lineRules.get(line);
    if (onLine === "all" || onLine?.has(ruleId)) return true;
    return this.ranges.some((range) => line >= range.from && line <= range.to && (range.rules === "all" || range.rules.has(ruleId)));
  }
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
