import { readFile } from "node:fs/promises";
import { relative, resolve } from "node:path";
import { Discoverer } from "../load/discover.js";
import { Locator } from "../load/locate.js";
import { parseBytes, readSource } from "../load/read.js";
import type { SourceFile, SourceRole, Span } from "../load/types.js";
import { buildModel, type MeshModel, type MeshSettings, type Resource } from "../model/index.js";
import { documentPath } from "../model/resource.js";
import { SchemaRegistry } from "../schema/registry.js";
import { validateModel } from "../schema/index.js";
import { rules as allRules } from "../rules/index.js";
import { formatMessage, type Report, type Rule, type Severity } from "../rules/types.js";
import type { LintMessage, LintResult, RuleDescriptor } from "../report/types.js";
import { buildResult } from "../report/summarize.js";
import { Suppressions, suppressedByAnnotation } from "./suppress.js";

export interface LintOptions {
  cwd: string;
  /** Files, directories, globs; `-` reads stdin (given in `stdin`). */
  patterns: string[];
  stdin?: { text: string; filename?: string };
  /** Files that inform the analysis but are not reported on. */
  contextPatterns: string[];
  ignorePatterns: string[];
  useIgnoreFiles: boolean;
  namespace: string;
  mesh: MeshSettings;
  /** Configured severities by rule id. */
  ruleSeverities: Record<string, Severity>;
  /** CustomResourceDefinition files whose schemas replace the bundled ones. */
  crdFiles: string[];
  debug?: (message: string) => void;
  rules?: readonly Rule[];
}

export interface LintOutput {
  results: LintResult[];
  /** Lint patterns that matched no file (a usage error). */
  unmatched: string[];
  /** Non-fatal trouble met while finding files. */
  warnings: string[];
  rules: RuleDescriptor[];
  /** Milliseconds per stage. */
  timings: Record<string, number>;
}

const READ_CONCURRENCY = 64;

async function readAll(paths: string[], cwd: string, role: SourceRole): Promise<SourceFile[]> {
  const files: SourceFile[] = new Array(paths.length);
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const index = next++;
      const path = paths[index];
      files[index] = await readSource(path, path, role);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, paths.length) }, worker));
  void cwd;
  return files;
}

function severityOf(rule: Rule, configured: Record<string, Severity>): Severity {
  return configured[rule.meta.id] ?? rule.meta.severity;
}

/** Runs the whole pipeline: load → model → schema → graph → rules → messages per file. */
export async function lint(options: LintOptions): Promise<LintOutput> {
  const timings: Record<string, number> = {};
  let mark = performance.now();
  const lap = (stage: string) => {
    const now = performance.now();
    timings[stage] = (timings[stage] ?? 0) + (now - mark);
    mark = now;
  };
  const debug = options.debug ?? (() => {});
  const rules = options.rules ?? allRules;

  // load
  const discoverer = new Discoverer({
    cwd: options.cwd,
    ignorePatterns: options.ignorePatterns,
    useIgnoreFiles: options.useIgnoreFiles,
  });
  const filePatterns = options.patterns.filter((pattern) => pattern !== "-");
  const found = await discoverer.discover(filePatterns);
  const lintPaths = found.files.map((file) => file.path);
  const lintSet = new Set(lintPaths);
  const lintFiles = await readAll(lintPaths, options.cwd, "lint");
  found.files.forEach((file, index) => {
    if (file.ignoredExplicitly) {
      lintFiles[index] = {
        ...lintFiles[index],
        documents: [],
        problems: [
          {
            ruleId: "load",
            severity: 1,
            fatal: false,
            message: 'File ignored because of a matching ignore pattern. Use "--no-ignore" to lint it.',
            span: { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } },
          },
        ],
      };
    }
  });
  if (options.stdin) {
    const name = options.stdin.filename ? resolve(options.cwd, options.stdin.filename) : "<stdin>";
    lintFiles.push(parseBytes(Buffer.from(options.stdin.text, "utf8"), name, "lint"));
  }
  let contextFiles: SourceFile[] = [];
  if (options.contextPatterns.length > 0) {
    const context = await new Discoverer({
      cwd: options.cwd,
      ignorePatterns: options.ignorePatterns,
      useIgnoreFiles: options.useIgnoreFiles,
    }).discover(options.contextPatterns);
    const paths = context.files.map((file) => file.path).filter((path) => !lintSet.has(path));
    contextFiles = await readAll(paths, options.cwd, "context");
    debug(`context: ${paths.length} file(s) loaded for analysis only`);
  }
  const crdFiles = await readAll(
    options.crdFiles.map((path) => resolve(options.cwd, path)),
    options.cwd,
    "context",
  );
  for (const file of [...lintFiles, ...contextFiles]) {
    for (const skipped of file.skipped) {
      debug(`${relative(options.cwd, file.path) || file.path}:${skipped.span.start.line}: skipped document ${skipped.index + 1}: ${skipped.reason}`);
    }
  }
  lap("load");

  // model
  const model = buildModel([...lintFiles, ...contextFiles], { defaultNamespace: options.namespace, mesh: options.mesh });
  lap("model");

  // schema
  const registry = new SchemaRegistry();
  const crdProblems = new Map<Resource, string[]>();
  for (const file of crdFiles) {
    for (const document of file.documents) {
      if (document.value.kind === "CustomResourceDefinition") registry.addCustomResourceDefinition(document.value);
    }
  }
  for (const resource of model.resources) {
    if (resource.kind === "CustomResourceDefinition" && resource.group === "apiextensions.k8s.io") {
      const errors = registry.addCustomResourceDefinition(resource.object);
      if (errors.length) crdProblems.set(resource, errors);
    }
  }
  const schemaProblems = validateModel(model, registry);
  lap("schema");

  // graph: built by the graph stage (next milestone); rules that need it read it from the context.
  lap("graph");

  // rules
  const reports: { rule: Rule; report: Report; severity: 1 | 2 }[] = [];
  for (const rule of rules) {
    const configured = severityOf(rule, options.ruleSeverities);
    if (configured === "off") continue;
    rule.check({
      model,
      schemaProblems,
      report(report) {
        if (report.resource.origin !== "lint") return;
        const severity: 1 | 2 = configured === "warn" ? 1 : (report.severity ?? 2);
        reports.push({ rule, report, severity });
      },
    });
  }
  lap("rules");

  // messages per file, with exact positions
  const results = toResults(lintFiles, reports, model, crdProblems);
  lap("report");

  const descriptors: RuleDescriptor[] = rules.map((rule) => ({
    id: rule.meta.id,
    description: rule.meta.description,
    url: rule.meta.url,
    defaultSeverity: severityOf(rule, options.ruleSeverities),
  }));
  return { results, unmatched: found.unmatched, warnings: found.warnings, rules: descriptors, timings };
}

function toResults(
  lintFiles: SourceFile[],
  reports: { rule: Rule; report: Report; severity: 1 | 2 }[],
  model: MeshModel,
  crdProblems: Map<Resource, string[]>,
): LintResult[] {
  const locator = new Locator();
  const byFile = new Map<SourceFile, LintMessage[]>();
  for (const file of lintFiles) {
    byFile.set(
      file,
      file.problems.map((problem) => ({
        ruleId: problem.ruleId === "parse" ? "parse" : null,
        severity: problem.severity,
        message: problem.message,
        line: problem.span.start.line,
        column: problem.span.start.column,
        endLine: problem.span.end.line,
        endColumn: problem.span.end.column,
        ...(problem.fatal ? { fatal: true } : {}),
      })),
    );
  }
  const suppressions = new Map<SourceFile, Suppressions>();
  const place = (resource: Resource, path: readonly (string | number)[] | undefined): Span | undefined => {
    const source = resource.source;
    if (!source) return undefined;
    const target = path && path.length > 0 ? path : ["metadata", "name"];
    return locator.locate(source.file, source.document.index, documentPath(resource, target), source.document.span).span;
  };
  const push = (resource: Resource, message: Omit<LintMessage, "line" | "column">, path?: readonly (string | number)[]) => {
    const file = resource.source?.file;
    if (!file) return;
    const messages = byFile.get(file);
    if (!messages) return;
    const span = place(resource, path) ?? resource.source!.document.span;
    let suppression = suppressions.get(file);
    if (!suppression) suppressions.set(file, (suppression = new Suppressions(file.text)));
    if (message.ruleId && suppression.suppresses(message.ruleId, span.start.line)) return;
    messages.push({
      ...message,
      line: span.start.line,
      column: span.start.column,
      endLine: span.end.line,
      endColumn: span.end.column,
    });
  };
  const ref = (resource: Resource) => ({
    apiVersion: resource.apiVersion,
    kind: resource.kind,
    namespace: resource.namespace || undefined,
    name: resource.name,
  });
  for (const [resource, errors] of crdProblems) {
    if (resource.origin !== "lint") continue;
    for (const error of errors) {
      push(resource, { ruleId: "schema", severity: 2, message: `This CustomResourceDefinition cannot be used: ${error}`, resource: ref(resource) }, ["spec"]);
    }
  }
  for (const { rule, report, severity } of reports) {
    if (suppressedByAnnotation(report.resource, report.istioCode)) continue;
    const template = rule.meta.messages[report.messageId] ?? report.messageId;
    push(
      report.resource,
      {
        ruleId: rule.meta.id,
        severity,
        message: formatMessage(template, report.data),
        ...(report.istioCode ? { istioCode: report.istioCode } : {}),
        resource: ref(report.resource),
        url: rule.meta.url,
        messageId: report.messageId,
      },
      report.path,
    );
  }
  void model;
  return lintFiles.map((file) => buildResult(file.path, byFile.get(file) ?? [], file.text));
}
