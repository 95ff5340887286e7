import type { Artifact, Location, Log, ReportingDescriptor, Result } from "sarif";
import { artifactUri, directoryUri } from "./paths.js";
import type { FormatContext, Formatter, LintMessage, LintResult, RuleDescriptor } from "./types.js";

export const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";
export const SARIF_VERSION = "2.1.0";
/** The base that relative artifact URIs are resolved against (the working directory). */
export const SRCROOT = "%SRCROOT%";
/** The rule id given to messages that have none (files that could not be read or parsed). */
export const SYNTHETIC_RULE_ID = "parse";
/** Used for `tool.driver.informationUri` when the context names no home page. */
export const DEFAULT_HOMEPAGE = "https://www.npmjs.com/package/mesh-lint";

/**
 * SARIF 2.1.0: one run whose driver lists every known rule and every rule seen in the results,
 * one SARIF result per message, with locations relative to `%SRCROOT%` (the working directory).
 */
export const sarif: Formatter = (results, context) => JSON.stringify(buildLog(results, context), null, 2);

function buildLog(results: readonly LintResult[], context: FormatContext): Log {
  const rules = new RuleTable(context.rules);
  const artifacts: Artifact[] = [];
  const sarifResults: Result[] = [];

  for (const result of results) {
    const { uri, underBase } = artifactUri(result.filePath, context.cwd);
    const artifactLocation = underBase ? { uri, uriBaseId: SRCROOT } : { uri };
    const artifactIndex = artifacts.push({ location: artifactLocation }) - 1;
    for (const message of result.messages) {
      const { id, index } = rules.lookup(message);
      const location: Location = {
        physicalLocation: {
          artifactLocation: { ...artifactLocation, index: artifactIndex },
          ...(message.line >= 1 ? { region: regionOf(message) } : {}),
        },
      };
      const entry: Result = {
        ruleId: id,
        ruleIndex: index,
        level: message.severity === 2 ? "error" : "warning",
        message: { text: message.message },
        locations: [location],
      };
      const properties = propertiesOf(message);
      if (properties) entry.properties = properties;
      sarifResults.push(entry);
    }
  }

  return {
    $schema: SARIF_SCHEMA,
    version: SARIF_VERSION,
    runs: [
      {
        tool: {
          driver: {
            name: "mesh-lint",
            version: context.toolVersion,
            informationUri: context.homepage ?? DEFAULT_HOMEPAGE,
            rules: rules.descriptors,
          },
        },
        originalUriBaseIds: { [SRCROOT]: { uri: directoryUri(context.cwd) } },
        artifacts,
        results: sarifResults,
        columnKind: "utf16CodeUnits",
      },
    ],
  };
}

function regionOf(message: LintMessage): NonNullable<NonNullable<Location["physicalLocation"]>["region"]> {
  const region: NonNullable<NonNullable<Location["physicalLocation"]>["region"]> = { startLine: message.line };
  if (message.column >= 1) region.startColumn = message.column;
  if (message.endLine !== undefined && message.endLine >= message.line) {
    region.endLine = message.endLine;
    if (message.endColumn !== undefined && message.endColumn >= 1) region.endColumn = message.endColumn;
  }
  return region;
}

function propertiesOf(message: LintMessage): Result["properties"] | undefined {
  const properties: Record<string, unknown> = {};
  if (message.istioCode) properties.istioCode = message.istioCode;
  if (message.resource) properties.resource = message.resource;
  return Object.keys(properties).length > 0 ? properties : undefined;
}

function levelOf(severity: RuleDescriptor["defaultSeverity"]): "error" | "warning" | "none" {
  return severity === "error" ? "error" : severity === "warn" ? "warning" : "none";
}

/** The driver's rules: the known ones first, in order, then those only seen in results, in order of appearance. */
class RuleTable {
  readonly descriptors: ReportingDescriptor[] = [];
  private readonly indexes = new Map<string, number>();

  constructor(rules: readonly RuleDescriptor[]) {
    for (const rule of rules) {
      if (this.indexes.has(rule.id)) continue;
      this.add({
        id: rule.id,
        shortDescription: { text: rule.description || rule.id },
        ...(rule.url ? { helpUri: rule.url } : {}),
        defaultConfiguration: { level: levelOf(rule.defaultSeverity) },
      });
    }
  }

  lookup(message: LintMessage): { id: string; index: number } {
    const id = message.ruleId ?? SYNTHETIC_RULE_ID;
    let index = this.indexes.get(id);
    if (index === undefined) {
      index = this.add({
        id,
        shortDescription: { text: message.ruleId === null || id === SYNTHETIC_RULE_ID ? "The file could not be read or parsed." : id },
        ...(message.url ? { helpUri: message.url } : {}),
        defaultConfiguration: { level: message.severity === 2 ? "error" : "warning" },
      });
    }
    return { id, index };
  }

  private add(descriptor: ReportingDescriptor): number {
    const index = this.descriptors.push(descriptor) - 1;
    this.indexes.set(descriptor.id, index);
    return index;
  }
}
