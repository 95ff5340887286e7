import { displayPath, isPseudoPath } from "./paths.js";
import type { Formatter, LintMessage } from "./types.js";

/** Escapes the data of a workflow command (the text after `::`). */
export function escapeData(value: string): string {
  return value.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** Escapes the value of a workflow command property (`file=`, `title=`, ...). */
export function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/**
 * GitHub Actions workflow commands, one line per message, which GitHub shows as annotations:
 * `::error file=k8s/vs.yaml,line=3,col=5,endLine=3,endColumn=9,title=mesh-lint rule-id::message [IST0101]`.
 * Prints nothing when there are no messages.
 */
export const github: Formatter = (results, context) => {
  const lines: string[] = [];
  for (const result of results) {
    const file = isPseudoPath(result.filePath) ? undefined : displayPath(result.filePath, context.cwd);
    for (const message of result.messages) lines.push(command(file, message));
  }
  return lines.join("\n");
};

function command(file: string | undefined, message: LintMessage): string {
  const properties: [string, string | number][] = [];
  if (file !== undefined) {
    properties.push(["file", file]);
    if (message.line >= 1) {
      properties.push(["line", message.line]);
      if (message.column >= 1) properties.push(["col", message.column]);
      if (message.endLine !== undefined && message.endLine >= 1) {
        properties.push(["endLine", message.endLine]);
        if (message.endColumn !== undefined && message.endColumn >= 1) properties.push(["endColumn", message.endColumn]);
      }
    }
  }
  properties.push(["title", message.ruleId ? `mesh-lint ${message.ruleId}` : "mesh-lint"]);
  const text = message.istioCode ? `${message.message} [${message.istioCode}]` : message.message;
  const name = message.severity === 2 ? "error" : "warning";
  const list = properties.map(([key, value]) => `${key}=${escapeProperty(String(value))}`).join(",");
  return `::${name} ${list}::${escapeData(text)}`;
}
