import { VFile } from "vfile";
import { VFileMessage } from "vfile-message";
import { reporter } from "vfile-reporter";
import { displayPath } from "./paths.js";
import type { Formatter, LintMessage, LintResult } from "./types.js";

/** The `source` every message carries in the stylish report. */
export const MESSAGE_SOURCE = "mesh-lint";

/**
 * The default, human-readable report, printed by `vfile-reporter`: one block per file with problems
 * (files without messages are left out), each message as `line:column-endLine:endColumn  error|warning  reason  rule  mesh-lint`,
 * and the summary line at the end. Prints nothing when there are no messages.
 */
export const stylish: Formatter = (results, context) => {
  const files = results.map((result) => toVFile(result, context.cwd));
  return reporter(files, { color: context.color, quiet: true, defaultName: "<stdin>" });
};

function toVFile(result: LintResult, cwd: string): VFile {
  const file = new VFile({ path: displayPath(result.filePath, cwd) || result.filePath });
  for (const message of result.messages) {
    file.messages.push(toVFileMessage(message, file));
  }
  return file;
}

function toVFileMessage(message: LintMessage, file: VFile): VFileMessage {
  const reason = message.istioCode ? `${message.message} [${message.istioCode}]` : message.message;
  const place = placeOf(message);
  const vmessage = new VFileMessage(reason, {
    ...(place ? { place } : {}),
    ...(message.ruleId ? { ruleId: message.ruleId } : {}),
    source: MESSAGE_SOURCE,
  });
  // vfile-reporter: `true` is an error, `false` a warning.
  vmessage.fatal = message.severity === 2;
  vmessage.file = file.path;
  if (message.url) vmessage.url = message.url;
  return vmessage;
}

type Place = VFileMessage["place"];

function placeOf(message: LintMessage): Place {
  if (!(message.line >= 1)) return undefined;
  const start = { line: message.line, column: message.column >= 1 ? message.column : 1 };
  if (message.endLine !== undefined && message.endLine >= 1) {
    const end = { line: message.endLine, column: message.endColumn !== undefined && message.endColumn >= 1 ? message.endColumn : 1 };
    return { start, end };
  }
  return start;
}
