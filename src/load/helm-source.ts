/**
 * `helm template` output names the template each document came from: Helm writes
 * `# Source: <chart>/templates/<file>.yaml` as the first line of every document it renders. Messages on
 * such a document are reported on that template rather than on `<stdin>` (or the file the output was
 * saved to), so an editor, a pull-request annotation or a SARIF viewer points at the file to change.
 *
 * Lines: a template's rendered text is not its source text (expressions are expanded, `{{- ... }}` lines
 * vanish), so no line of the output is exactly a line of the template. A message is placed on the line of
 * the template's *rendered* text: the line after the `# Source:` comment is line 1, and a template's second
 * document continues after its first one and the `---` between them, as in the template file. That is the
 * template's own line wherever nothing above it renders to a different number of lines (the common case:
 * a header of plain YAML), and close to it otherwise. The exact line of the output is kept in the message:
 * `... (rendered: <stdin>:42)`.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** One rendered document that Helm attributed to a template. */
export interface HelmSection {
  /** The template as Helm wrote it: `<chart>/templates/<file>.yaml` (a subchart's under `<chart>/charts/`). */
  source: string;
  /** The first and last line of the document's body in the rendered text (1-based, inclusive). */
  firstLine: number;
  lastLine: number;
  /** The line of the template's rendered text that {@link firstLine} is. */
  templateLine: number;
}

const SOURCE_COMMENT = /^# Source: (\S(?:.*\S)?)\s*$/;
const DOCUMENT_MARKER = /^(---|\.\.\.)(\s|$)/;

/**
 * The documents of a rendered text that start with Helm's `# Source:` comment. A document runs to the
 * next `---` (or `...`) marker; a document without the comment is not attributed.
 */
export function helmSections(text: string): HelmSection[] {
  if (!text.includes("# Source: ")) return [];
  const lines = text.split("\n").map((line) => line.replace(/\r$/, ""));
  const sections: HelmSection[] = [];
  /** Lines of each template's rendered text so far (its documents and the `---` between them). */
  const rendered = new Map<string, number>();
  let atDocumentStart = true;
  let open: HelmSection | undefined;
  const close = (lastLine: number) => {
    if (!open) return;
    open.lastLine = Math.max(open.firstLine - 1, lastLine);
    const before = rendered.get(open.source);
    open.templateLine = before === undefined ? 1 : before + 2; // after the previous documents and a `---`
    rendered.set(open.source, open.templateLine + (open.lastLine - open.firstLine));
    sections.push(open);
    open = undefined;
  };
  lines.forEach((line, index) => {
    const number = index + 1;
    if (DOCUMENT_MARKER.test(line)) {
      close(number - 1);
      atDocumentStart = true;
      return;
    }
    if (!atDocumentStart) return;
    const match = SOURCE_COMMENT.exec(line);
    if (match) {
      open = { source: match[1], firstLine: number + 1, lastLine: number, templateLine: 1 };
      atDocumentStart = false;
    } else if (line.trim() !== "") {
      atDocumentStart = false; // content first: a document Helm did not attribute
    }
  });
  // The last document: to the last line that holds anything.
  let last = lines.length;
  while (last > 0 && lines[last - 1].trim() === "") last--;
  close(last);
  return sections;
}

/**
 * Where a template Helm names is on disk. Helm writes the chart's *name* first (`app/templates/x.yaml`
 * for `helm template charts/app`), so the path is tried as written (relative to `cwd`), then inside the
 * chart directory the rendered input was named after (`--stdin-filename charts/app`), then under
 * `charts/`. When none exists, the path as written, relative to `cwd`.
 */
export function resolveHelmSource(source: string, cwd: string, inputPath: string | undefined, exists: (path: string) => boolean = existsSync): string {
  const asWritten = resolve(cwd, source);
  const inChart = source.split("/").slice(1).join("/");
  const candidates = [asWritten];
  if (inputPath && inputPath !== "<stdin>" && inChart) candidates.push(join(inputPath, inChart), join(dirname(inputPath), source));
  candidates.push(resolve(cwd, "charts", source));
  return candidates.find((candidate) => exists(candidate)) ?? asWritten;
}

/** What a message needs to be moved: its lines and its text. */
export interface PlacedMessage {
  line: number;
  endLine?: number;
  message: string;
}

/** Messages of one reported file after the split: a template's, or the rendered input's own. */
export interface HelmPart<M extends PlacedMessage> {
  /** The reported path: a template's (resolved with {@link resolveHelmSource}) or the input's. */
  path: string;
  messages: M[];
  /** The text the lines count in: a template's rendered text, or the whole input. */
  text: string;
  /** The template as Helm wrote it; absent for the input's own part. */
  source?: string;
}

/**
 * Splits the messages of a rendered file by the template each one's line belongs to. Templates without
 * messages get a part too (a linted file without problems is still a result); the input keeps a part
 * only for messages outside every attributed document (or when none is attributed).
 */
export function splitByHelmSource<M extends PlacedMessage>(
  file: { path: string; text: string },
  messages: readonly M[],
  options: { cwd: string; displayPath: string; exists?: (path: string) => boolean },
): HelmPart<M>[] {
  const sections = helmSections(file.text);
  if (sections.length === 0) return [{ path: file.path, messages: [...messages], text: file.text }];
  const lines = file.text.split("\n");
  const parts = new Map<string, HelmPart<M> & { bodies: string[] }>();
  const partOf = (section: HelmSection) => {
    let part = parts.get(section.source);
    if (!part) {
      const path = resolveHelmSource(section.source, options.cwd, file.path, options.exists);
      parts.set(section.source, (part = { path, messages: [], text: "", source: section.source, bodies: [] }));
    }
    return part;
  };
  for (const section of sections) partOf(section).bodies.push(lines.slice(section.firstLine - 1, section.lastLine).join("\n"));
  const own: M[] = [];
  for (const message of messages) {
    const section = sections.find((candidate) => message.line >= candidate.firstLine && message.line <= candidate.lastLine);
    if (!section) {
      own.push(message);
      continue;
    }
    const toTemplate = (line: number) => section.templateLine + (Math.min(Math.max(line, section.firstLine), section.lastLine) - section.firstLine);
    partOf(section).messages.push({
      ...message,
      line: toTemplate(message.line),
      ...(message.endLine !== undefined ? { endLine: toTemplate(message.endLine) } : {}),
      message: `${message.message} (rendered: ${options.displayPath}:${message.line})`,
    });
  }
  const result: HelmPart<M>[] = [...parts.values()].map(({ bodies, ...part }) => ({ ...part, text: bodies.join("\n---\n") + "\n" }));
  if (own.length > 0) result.unshift({ path: file.path, messages: own, text: file.text });
  return result;
}
