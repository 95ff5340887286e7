import { isAbsolute, relative } from "node:path";
import { suggest } from "../schema/suggest.js";
import { Locator } from "../load/locate.js";
import type { SourceDocument, SourceFile, Span } from "../load/types.js";
import { buildModel, type MeshModel, type MeshSettings, type Resource } from "../model/index.js";
import { resourceSpan } from "../model/resource.js";
import { isCustomResourceDefinition } from "../model/kinds.js";
import { buildGraph } from "../graph/index.js";
import type { SchemaProblem } from "../schema/index.js";
import { rules as allRules } from "../rules/index.js";
import { formatMessage, type Report, type Rule, type Severity } from "../rules/types.js";
import type { LintMessage, LintResult, RuleDescriptor } from "../report/types.js";
import { buildResult } from "../report/summarize.js";
import { splitByHelmSource } from "../load/helm-source.js";
import { Suppressions, suppressedByAnnotation } from "./suppress.js";
import { loadInput, type LintProgress, type LoadInputOptions } from "./load-stage.js";

export type { LintProgress } from "./load-stage.js";

/** A lint run's options: what to load (see {@link LoadInputOptions}) and how to judge it. */
export interface LintOptions extends Omit<LoadInputOptions, "debug" | "workerScript"> {
  namespace: string;
  mesh: MeshSettings;
  /** Configured severities by rule id. */
  ruleSeverities: Record<string, Severity>;
  debug?: (message: string) => void;
  rules?: readonly Rule[];
  /** Warn about `mesh-lint-disable` comments that suppress no message (ESLint's option of that name). */
  reportUnusedDisableDirectives?: boolean;
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
  /**
   * Rules that threw (a bug in mesh-lint, never the input's fault): their messages are missing, every
   * other rule's are there. The CLI prints these and exits 2.
   */
  failures: { ruleId: string; error: unknown }[];
}

function severityOf(rule: Rule, configured: Record<string, Severity>): Severity {
  return configured[rule.meta.id] ?? rule.meta.severity;
}

/**
 * Runs the whole pipeline: load → model → graph → rules → schema → messages per file. The schema
 * stage comes last so that on big runs the worker validating the files (see `load-stage.ts`) runs
 * beside model, graph and rules; rules that read `schemaProblems` (the `schema` rule) run after it,
 * and every rule's messages keep the rules' order.
 */
export async function lint(options: LintOptions): Promise<LintOutput> {
  const timings: Record<string, number> = {};
  let mark = performance.now();
  const stages: Record<string, LintProgress["stage"]> = { load: "model", model: "graph", graph: "rules", rules: "schema", schema: "report" };
  const lap = (stage: string) => {
    const now = performance.now();
    timings[stage] = (timings[stage] ?? 0) + (now - mark);
    mark = now;
    if (stages[stage]) options.onProgress?.({ stage: stages[stage] });
  };
  const debug = options.debug ?? (() => {});
  const rules = options.rules ?? allRules;

  // load
  const { found, lintFiles, contextFiles, crdFiles, prevalidated } = await loadInput({ ...options, debug });
  lap("load");

  // model
  const model = buildModel([...lintFiles, ...contextFiles], { defaultNamespace: options.namespace, mesh: options.mesh });
  lap("model");

  // graph
  const graph = buildGraph(model);
  lap("graph");

  // rules
  const locator = new Locator();
  const position = (resource: Resource, path: readonly (string | number)[]) => {
    const start = resourceSpan(locator, resource, path)?.start;
    return start && resource.source ? { line: start.line, column: start.column, file: displayPath(resource.source.file.path, options.cwd) } : start;
  };
  // Each rule's reports, in the rules' order; a rule that reads `schemaProblems` before the schema
  // stage is done is set aside (its reports dropped) and run again after it.
  const reportsByRule = new Map<Rule, { rule: Rule; report: Report; severity: 1 | 2 }[]>();
  let schemaProblems: Map<Resource, SchemaProblem[]> | undefined;
  const notYet = new Error("schema problems are not known yet");
  const failures: LintOutput["failures"] = [];
  const runRule = (rule: Rule, configured: Severity): boolean => {
    const reports: { rule: Rule; report: Report; severity: 1 | 2 }[] = [];
    const started = performance.now();
    try {
      rule.check({
        model,
        graph,
        get schemaProblems() {
          if (!schemaProblems) throw notYet;
          return schemaProblems;
        },
        position,
        enabled: (ruleId) => rules.some((other) => other.meta.id === ruleId && severityOf(other, options.ruleSeverities) !== "off"),
        report(report) {
          if (report.resource.origin !== "lint") return;
          const severity: 1 | 2 = configured === "warn" ? 1 : (report.severity ?? 2);
          reports.push({ rule, report, severity });
        },
      });
    } catch (error) {
      if (error === notYet) return false;
      // One rule's bug costs its own messages only.
      failures.push({ ruleId: rule.meta.id, error });
      return true;
    }
    timings[`rule:${rule.meta.id}`] = performance.now() - started;
    reportsByRule.set(rule, reports);
    return true;
  };
  const deferred: Rule[] = [];
  for (const rule of rules) {
    const configured = severityOf(rule, options.ruleSeverities);
    if (configured === "off") continue;
    if (!runRule(rule, configured)) deferred.push(rule);
  }
  lap("rules");

  // schema (the worker's problems joined), then the rules that needed them
  const schema = await schemaStage(model, crdFiles, await prevalidated());
  schemaProblems = schema.schemaProblems;
  const crdProblems = schema.crdProblems;
  for (const rule of deferred) runRule(rule, severityOf(rule, options.ruleSeverities));
  const reports = rules.flatMap((rule) => reportsByRule.get(rule) ?? []);
  lap("schema");

  // messages per file, with exact positions
  const results = toResults(lintFiles, reports, model, crdProblems, locator, options.cwd, {
    known: new Set([...allRules, ...rules].map((rule) => rule.meta.id)),
    reportUnused: options.reportUnusedDisableDirectives === true,
  });
  lap("report");

  const descriptors: RuleDescriptor[] = rules.map((rule) => ({
    id: rule.meta.id,
    description: rule.meta.description,
    url: rule.meta.url,
    defaultSeverity: severityOf(rule, options.ruleSeverities),
  }));
  return { results, unmatched: found.unmatched, warnings: found.warnings, rules: descriptors, timings, failures };
}

/**
 * The schema stage's problems. When the validation worker validated every linted document and no
 * CustomResourceDefinition replaces a bundled schema, they are its problems, joined here without
 * loading the validators; otherwise the schema stage (imported on demand) validates what is left.
 */
async function schemaStage(model: MeshModel, crdFiles: SourceFile[], prevalidated: Map<SourceDocument, SchemaProblem[]>) {
  if (prevalidated.size > 0 && !crdFiles.some((file) => file.documents.length > 0)) {
    const schemaProblems = new Map<Resource, SchemaProblem[]>();
    const joined = model.resources.every((resource) => {
      if (isCustomResourceDefinition(resource)) return false;
      if (resource.origin !== "lint") return true;
      const found = resource.source ? prevalidated.get(resource.source.document) : undefined;
      if (found?.length) schemaProblems.set(resource, found);
      return found !== undefined;
    });
    if (joined) return { schemaProblems, crdProblems: new Map<Resource, string[]>() };
  }
  return (await import("./schema-stage.js")).schemaStage(model, crdFiles, prevalidated);
}

function toResults(
  lintFiles: SourceFile[],
  reports: { rule: Rule; report: Report; severity: 1 | 2 }[],
  model: MeshModel,
  crdProblems: Map<Resource, string[]>,
  locator: Locator,
  cwd: string,
  directives: { known: Set<string>; reportUnused: boolean },
): LintResult[] {
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
  const place = (resource: Resource, path: readonly (string | number)[] | undefined): Span | undefined => resourceSpan(locator, resource, path);
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
  // The suppression comments themselves: rule ids that do not exist, and (when asked) comments that suppressed nothing.
  for (const file of lintFiles) {
    if (!file.text.includes("mesh-lint-")) continue;
    let suppression = suppressions.get(file);
    if (!suppression) suppressions.set(file, (suppression = new Suppressions(file.text)));
    byFile.get(file)?.push(...directiveMessages(suppression, directives.known, directives.reportUnused));
  }
  // `helm template` output: each document's messages go to the template its `# Source:` comment names.
  return lintFiles.flatMap((file) =>
    splitByHelmSource(file, byFile.get(file) ?? [], { cwd, displayPath: displayPath(file.path, cwd) }).map((part) =>
      buildResult(part.path, part.messages, part.text),
    ),
  );
}

/** Warnings about a file's suppression comments: unknown rule ids, and when asked, comments that suppressed nothing. */
function directiveMessages(suppressions: Suppressions, known: Set<string>, reportUnused: boolean): LintMessage[] {
  const messages: LintMessage[] = [];
  for (const directive of suppressions.directives) {
    if (directive.kind === "enable") continue;
    const at = { line: directive.line, column: directive.column, endLine: directive.line, endColumn: directive.endColumn };
    for (const id of directive.ids) {
      if (known.has(id)) continue;
      const near = suggest(id, known);
      const hint = near ? ` Did you mean "${near}"?` : "";
      messages.push({ ruleId: null, severity: 1, message: `mesh-lint-${directive.kind} names an unknown rule "${id}": it suppresses nothing.${hint}`, ...at });
    }
    if (!reportUnused) continue;
    const unused = directive.ids.length === 0 ? (directive.used.size === 0 ? [""] : []) : directive.ids.filter((id) => known.has(id) && !directive.used.has(id));
    for (const id of unused) {
      messages.push({
        ruleId: null,
        severity: 1,
        message: id
          ? `Unused mesh-lint-${directive.kind} comment: no message of rule ${id} was reported where it applies.`
          : `Unused mesh-lint-${directive.kind} comment: no message was reported where it applies.`,
        ...at,
      });
    }
  }
  return messages;
}

function displayPath(path: string, cwd: string): string {
  return isAbsolute(path) ? relative(cwd, path) || path : path;
}

/** What `mesh-lint graph` and `trace` need from a run: the files, the model and the graph (no schema, no rules). */
export interface LoadedGraph {
  model: MeshModel;
  graph: ReturnType<typeof buildGraph>;
  files: SourceFile[];
  unmatched: string[];
  warnings: string[];
}

/** Loads the input as `lint` does (load → model → graph), for the commands that show the graph. */
export async function loadGraph(options: Omit<LintOptions, "ruleSeverities" | "rules" | "crdFiles"> & { crdFiles?: string[] }): Promise<LoadedGraph> {
  const { found, lintFiles, contextFiles } = await loadInput({ ...options, crdFiles: options.crdFiles ?? [], debug: options.debug ?? (() => {}), workerThreshold: Infinity });
  const model = buildModel([...lintFiles, ...contextFiles], { defaultNamespace: options.namespace, mesh: options.mesh });
  return { model, graph: buildGraph(model), files: lintFiles, unmatched: found.unmatched, warnings: found.warnings };
}
