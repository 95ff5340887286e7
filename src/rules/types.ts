import type { NodePath } from "../load/types.js";
import type { MeshGraph } from "../graph/index.js";
import type { MeshModel, Resource } from "../model/index.js";
import type { SchemaProblem } from "../schema/types.js";

export type Severity = "off" | "warn" | "error";

export interface RuleMeta {
  /** Stable id, used in configuration, suppression comments and output. */
  id: string;
  /** One line: what the rule catches. */
  description: string;
  /** Severity when the configuration does not set one. */
  severity: Exclude<Severity, "off">;
  /** The rule's documentation page. */
  url: string;
  /** `istioctl analyze` codes this rule covers. */
  istioCodes: readonly string[];
  /** The resource kinds the rule reads (as Istio's analyzers declare their inputs). */
  inputs: readonly string[];
  /** Message templates by message id; `{{name}}` is replaced from the report's data. */
  messages: Readonly<Record<string, string>>;
}

/** What a rule may look at: the model, and the outcome of the earlier stages. */
export interface RuleInputs {
  model: MeshModel;
  /** The mesh as istiod sees it, and the Envoy configuration derived from it. */
  graph: MeshGraph;
  /** Schema problems per resource (from the schema stage). */
  schemaProblems: Map<Resource, SchemaProblem[]>;
}

export interface Report {
  messageId: string;
  data?: Record<string, string | number>;
  /** The resource the message is about; it decides the file and whether the message is shown. */
  resource: Resource;
  /** Path of the node inside the resource, e.g. `["spec", "http", 1, "route", 0, "destination", "subset"]`. */
  path?: NodePath;
  /** Overrides the configured severity for this message (e.g. a rule that warns for lesser cases). */
  severity?: 1 | 2;
  istioCode?: string;
}

export interface RuleContext extends RuleInputs {
  report(report: Report): void;
  /**
   * The line and column of a node of a resource (its `metadata.name` for an empty path), for messages
   * that point at another place ("route 0, line 12, shadows it"), with its file as the report names
   * it. Undefined for resources mesh-lint assumed. Rules never parse YAML themselves.
   */
  position(resource: Resource, path: NodePath): { line: number; column: number; file?: string } | undefined;
  /** Whether a rule runs in this lint (not configured `off`). */
  enabled(ruleId: string): boolean;
}

export interface Rule {
  meta: RuleMeta;
  check(context: RuleContext): void;
}

/** Where rule documentation lives. */
export const RULE_DOCS_BASE = "https://github.com/mesh-lint/mesh-lint/blob/main/docs/rules/";

export function ruleUrl(id: string): string {
  return `${RULE_DOCS_BASE}${id}.md`;
}

/** Fills `{{name}}` placeholders of a message template. */
export function formatMessage(template: string, data: Record<string, string | number> = {}): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) => (name in data ? String(data[name]) : whole));
}
