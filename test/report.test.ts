import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Log } from "sarif";
import { describe, expect, it } from "vitest";
import {
  buildResult,
  countResults,
  defaultFormatterName,
  escapeData,
  escapeProperty,
  formatterNames,
  getFormatter,
  type FormatContext,
  type LintMessage,
  type LintResult,
} from "../src/report/index.js";
import { sarifValidator } from "./helpers.js";

const cwd = path.resolve("/work/project");
const at = (...segments: string[]) => path.join(cwd, ...segments);

const parseError: LintMessage = {
  ruleId: null,
  severity: 2,
  fatal: true,
  message: "The file could not be parsed: bad indentation",
  line: 4,
  column: 3,
};

const istioError: LintMessage = {
  ruleId: "destination-rule-subset",
  severity: 2,
  message: "Referenced subset `v3` is not defined",
  line: 12,
  column: 9,
  endLine: 12,
  endColumn: 15,
  istioCode: "IST0101",
  resource: { apiVersion: "networking.istio.io/v1", kind: "VirtualService", namespace: "shop", name: "reviews" },
  url: "https://example.test/rules/destination-rule-subset",
  messageId: "unknownSubset",
};

const warning: LintMessage = {
  ruleId: "gateway-port-name",
  severity: 1,
  message: "Port name should start with the protocol",
  line: 3,
  column: 5,
  endLine: 3,
  endColumn: 11,
};

function fixture(): LintResult[] {
  return [
    buildResult(at("broken.yaml"), [parseError], "a: [\n"),
    buildResult(at("mesh", "routes.yaml"), [istioError, warning], "kind: VirtualService\n"),
    buildResult(at("clean.yaml"), []),
  ];
}

const context: FormatContext = {
  cwd,
  color: false,
  toolVersion: "0.1.0",
  rules: [
    { id: "destination-rule-subset", description: "Subsets referenced by routes exist", url: "https://example.test/rules/destination-rule-subset", defaultSeverity: "error" },
    { id: "gateway-port-name", description: "Gateway ports are named by protocol", defaultSeverity: "warn" },
    { id: "unused-rule", description: "A rule that found nothing", defaultSeverity: "off" },
  ],
};

function format(name: string, results = fixture(), ctx: FormatContext = context): string {
  const formatter = getFormatter(name);
  if (!formatter) throw new Error(`no formatter ${name}`);
  return formatter(results, ctx);
}

describe("registry", () => {
  it.each([
    ["stylish", true],
    ["json", true],
    ["sarif", true],
    ["github", true],
    ["checkstyle", false],
    ["constructor", false],
    ["toString", false],
    ["", false],
  ])("getFormatter(%j) exists: %s", (name, exists) => {
    expect(typeof getFormatter(name) === "function").toBe(exists);
  });

  it("lists the names and the default", () => {
    expect([...formatterNames]).toEqual(["stylish", "json", "sarif", "github"]);
    expect(defaultFormatterName).toBe("stylish");
  });

  it.each(["stylish", "json", "sarif", "github"])("%s does not throw on an empty result list", (name) => {
    expect(() => format(name, [])).not.toThrow();
  });
});

describe("summarize", () => {
  it("sorts messages by line and column and counts them", () => {
    const result = buildResult(at("x.yaml"), [istioError, parseError, warning]);
    expect(result.messages.map((m) => m.line)).toEqual([3, 4, 12]);
    expect(result).toMatchObject({ errorCount: 2, warningCount: 1, fatalErrorCount: 1, fixableErrorCount: 0, fixableWarningCount: 0 });
    expect("source" in result).toBe(false);
  });

  it("puts errors before warnings at the same place", () => {
    const sameSpot: LintMessage = { ...warning, line: 12, column: 9, endLine: 12, endColumn: 15 };
    const result = buildResult(at("x.yaml"), [sameSpot, istioError]);
    expect(result.messages.map((m) => m.severity)).toEqual([2, 1]);
  });

  it("does not reorder the caller's array", () => {
    const messages = [istioError, warning];
    buildResult(at("x.yaml"), messages);
    expect(messages).toEqual([istioError, warning]);
  });

  it("adds up counts over results", () => {
    expect(countResults(fixture())).toEqual({ errorCount: 2, warningCount: 1, fatalErrorCount: 1 });
    expect(countResults([])).toEqual({ errorCount: 0, warningCount: 0, fatalErrorCount: 0 });
  });
});

describe("stylish", () => {
  const output = format("stylish");
  const lines = output.split("\n");

  it.each([
    ["the relative path of a file with problems", "mesh/routes.yaml"],
    ["the relative path of the unparsable file", "broken.yaml"],
    ["line:column-endLine:endColumn", "12:9-12:15"],
    ["line:column of the parse error", "4:3"],
    ["the rule id", "destination-rule-subset"],
    ["the warning's rule id", "gateway-port-name"],
    ["the istio code", "[IST0101]"],
    ["the source", "mesh-lint"],
    ["the message", "Referenced subset `v3` is not defined"],
  ])("shows %s", (_what, text) => {
    expect(output).toContain(text);
  });

  it("labels errors and warnings", () => {
    expect(lines.find((l) => l.includes("destination-rule-subset"))).toMatch(/\berror\b/);
    expect(lines.find((l) => l.includes("gateway-port-name"))).toMatch(/\bwarning\b/);
    expect(lines.find((l) => l.startsWith("4:3"))).toMatch(/\berror\b/);
  });

  it("leaves out files without messages", () => {
    expect(output).not.toContain("clean.yaml");
    expect(output).not.toContain("no issues found");
  });

  it("ends with the summary line", () => {
    expect(lines.at(-1)).toBe("3 messages (✖ 2 errors, ⚠ 1 warning)");
  });

  it("uses no colour unless asked, and colour when asked", () => {
    expect(output).not.toContain("\u001B[");
    expect(format("stylish", fixture(), { ...context, color: true })).toContain("\u001B[31m");
  });

  it("prints nothing when there are no messages", () => {
    expect(format("stylish", [buildResult(at("clean.yaml"), [])])).toBe("");
  });

  it.each([
    ["one error", [parseError], "✖ 1 error"],
    ["one warning", [warning], "⚠ 1 warning"],
    ["two warnings", [warning, { ...warning, line: 7 }], "⚠ 2 warnings"],
  ])("summary for %s", (_name, messages, summary) => {
    const out = format("stylish", [buildResult(at("one.yaml"), messages)]);
    expect(out.split("\n").at(-1)).toBe(summary);
  });

  it("keeps <stdin> and paths outside the working directory readable", () => {
    const out = format("stylish", [
      buildResult("<stdin>", [warning]),
      buildResult(path.resolve(cwd, "..", "other", "x.yaml"), [warning]),
    ]);
    expect(out).toContain("<stdin>");
    expect(out).toContain(path.resolve(cwd, "..", "other", "x.yaml").split(path.sep).join("/"));
  });
});

describe("json", () => {
  const results = fixture();
  const parsed = JSON.parse(format("json", results)) as Record<string, unknown>[];

  it("round-trips to the results without source", () => {
    const expected = results.map(({ source: _source, ...rest }) => rest);
    expect(parsed).toEqual(expected);
  });

  it.each(["filePath", "messages", "errorCount", "warningCount", "fatalErrorCount", "fixableErrorCount", "fixableWarningCount"])(
    "keeps ESLint's %s field on every result",
    (field) => {
      for (const result of parsed) expect(result).toHaveProperty(field);
    },
  );

  it("drops source", () => {
    for (const result of parsed) expect(result).not.toHaveProperty("source");
  });

  it.each([
    ["istioCode", "IST0101"],
    ["url", "https://example.test/rules/destination-rule-subset"],
    ["messageId", "unknownSubset"],
    ["resource", istioError.resource],
    ["endColumn", 15],
  ])("keeps the message field %s", (field, value) => {
    const messages = parsed[1]!.messages as Record<string, unknown>[];
    expect(messages.find((m) => m.ruleId === "destination-rule-subset")).toHaveProperty(field, value);
  });

  it("keeps fatal and the null rule id", () => {
    expect((parsed[0]!.messages as unknown[])[0]).toMatchObject({ ruleId: null, fatal: true, severity: 2 });
  });

  it("writes [] for no results", () => {
    expect(format("json", [])).toBe("[]");
  });
});

describe("sarif", () => {
  const log = JSON.parse(format("sarif")) as Log;
  const run = log.runs[0]!;
  const rules = run.tool.driver.rules!;
  const results = run.results!;

  it("is valid against the SARIF 2.1.0 schema", () => {
    const validate = sarifValidator();
    const valid = validate(log);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it("is valid when empty or with odd paths", () => {
    const validate = sarifValidator();
    for (const input of [
      [],
      [buildResult("<stdin>", [warning])],
      [buildResult(path.resolve(cwd, "..", "elsewhere", "a b#c.yaml"), [{ ...warning, line: 0, column: 0 }])],
    ]) {
      const value = JSON.parse(format("sarif", input));
      expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it("the schema check rejects a malformed log", () => {
    const validate = sarifValidator();
    const broken = structuredClone(log);
    broken.runs[0]!.results![0]!.level = "fatal" as never;
    broken.runs[0]!.results![0]!.locations![0]!.physicalLocation!.region!.startLine = 0;
    expect(validate(broken)).toBe(false);
  });

  it("has the header and one run", () => {
    expect(log.version).toBe("2.1.0");
    expect(log.$schema).toMatch(/sarif-2\.1\.0/);
    expect(log.runs).toHaveLength(1);
    expect(run.tool.driver).toMatchObject({ name: "mesh-lint", version: "0.1.0" });
    expect(run.tool.driver.informationUri).toMatch(/^https:\/\//);
    expect(run.originalUriBaseIds?.["%SRCROOT%"]?.uri).toBe(pathToFileURL(cwd).href + "/");
  });

  it("lists every configured rule, and rules seen only in results", () => {
    const ids = rules.map((r) => r.id);
    for (const rule of context.rules) expect(ids).toContain(rule.id);
    expect(ids).toContain("parse");
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each([
    ["destination-rule-subset", "error", "Subsets referenced by routes exist", "https://example.test/rules/destination-rule-subset"],
    ["gateway-port-name", "warning", "Gateway ports are named by protocol", undefined],
    ["unused-rule", "none", "A rule that found nothing", undefined],
  ])("describes rule %s", (id, level, text, helpUri) => {
    const rule = rules.find((r) => r.id === id)!;
    expect(rule.defaultConfiguration?.level).toBe(level);
    expect(rule.shortDescription?.text).toBe(text);
    expect(rule.helpUri).toBe(helpUri);
  });

  it("has one result per message, each pointing at its rule", () => {
    expect(results).toHaveLength(3);
    for (const result of results) {
      expect(result.ruleId).toBeTruthy();
      expect(rules[result.ruleIndex!]!.id).toBe(result.ruleId);
      const physical = result.locations![0]!.physicalLocation!;
      expect(physical.region!.startLine).toBeGreaterThanOrEqual(1);
      expect(physical.artifactLocation!.uriBaseId).toBe("%SRCROOT%");
      expect(run.artifacts![physical.artifactLocation!.index!]!.location!.uri).toBe(physical.artifactLocation!.uri);
    }
  });

  it.each([
    ["parse", "error", "broken.yaml", { startLine: 4, startColumn: 3 }, undefined],
    ["destination-rule-subset", "error", "mesh/routes.yaml", { startLine: 12, startColumn: 9, endLine: 12, endColumn: 15 }, { istioCode: "IST0101", resource: istioError.resource }],
    ["gateway-port-name", "warning", "mesh/routes.yaml", { startLine: 3, startColumn: 5, endLine: 3, endColumn: 11 }, undefined],
  ])("result for %s", (ruleId, level, uri, region, properties) => {
    const result = results.find((r) => r.ruleId === ruleId)!;
    expect(result.level).toBe(level);
    const physical = result.locations![0]!.physicalLocation!;
    expect(physical.artifactLocation!.uri).toBe(uri);
    expect(physical.region).toEqual(region);
    expect(result.properties).toEqual(properties);
    expect(result.message.text).toBeTruthy();
  });

  it("uses file: URIs outside the working directory and encodes odd characters", () => {
    const outside = path.resolve(cwd, "..", "elsewhere", "a b#c.yaml");
    const value = JSON.parse(format("sarif", [buildResult(outside, [warning]), buildResult("<stdin>", [warning])])) as Log;
    const [first, second] = value.runs[0]!.results!;
    const a = first!.locations![0]!.physicalLocation!.artifactLocation!;
    expect(a.uri).toBe(pathToFileURL(outside).href);
    expect(a.uriBaseId).toBeUndefined();
    expect(second!.locations![0]!.physicalLocation!.artifactLocation!.uri).toBe("%3Cstdin%3E");
  });

  it("describes a rule id seen only in results by the message", () => {
    const value = JSON.parse(
      format("sarif", [buildResult(at("a.yaml"), [{ ...warning, ruleId: "mystery", url: "https://example.test/mystery" }])], { ...context, rules: [] }),
    ) as Log;
    expect(value.runs[0]!.tool.driver.rules).toEqual([
      { id: "mystery", shortDescription: { text: "mystery" }, helpUri: "https://example.test/mystery", defaultConfiguration: { level: "warning" } },
    ]);
  });
});

describe("github", () => {
  const lines = format("github").split("\n");

  it("writes one command per message", () => {
    expect(lines).toHaveLength(3);
  });

  it.each([
    [0, "::error file=broken.yaml,line=4,col=3,title=mesh-lint::The file could not be parsed: bad indentation"],
    [1, "::warning file=mesh/routes.yaml,line=3,col=5,endLine=3,endColumn=11,title=mesh-lint gateway-port-name::Port name should start with the protocol"],
    [2, "::error file=mesh/routes.yaml,line=12,col=9,endLine=12,endColumn=15,title=mesh-lint destination-rule-subset::Referenced subset `v3` is not defined [IST0101]"],
  ])("line %i (messages in line order, data escaping only %%, CR, LF)", (index, expected) => {
    expect(lines[index]).toBe(expected);
  });

  it.each([
    ["plain", "plain", "plain"],
    ["percent", "100%", "100%25"],
    ["newline", "a\nb", "a%0Ab"],
    ["carriage return", "a\r\nb", "a%0D%0Ab"],
    ["colon", "a:b", "a:b"],
    ["comma", "a,b", "a,b"],
    ["already escaped", "%0A", "%250A"],
  ])("escapeData: %s", (_name, input, expected) => {
    expect(escapeData(input)).toBe(expected);
  });

  it.each([
    ["plain", "k8s/a.yaml", "k8s/a.yaml"],
    ["colon", "C:/a.yaml", "C%3A/a.yaml"],
    ["comma", "a,b.yaml", "a%2Cb.yaml"],
    ["percent", "50%.yaml", "50%25.yaml"],
    ["newline", "a\nb", "a%0Ab"],
    ["all", "%:,\r\n", "%25%3A%2C%0D%0A"],
  ])("escapeProperty: %s", (_name, input, expected) => {
    expect(escapeProperty(input)).toBe(expected);
  });

  it("escapes the file property and the message", () => {
    const out = format("github", [buildResult(at("odd,name:1.yaml"), [{ ...warning, message: "line one\nline two 100%" }])]);
    expect(out).toBe(
      "::warning file=odd%2Cname%3A1.yaml,line=3,col=5,endLine=3,endColumn=11,title=mesh-lint gateway-port-name::line one%0Aline two 100%25",
    );
    expect(out.split("\n")).toHaveLength(1);
  });

  it("leaves out positions it does not have, and the file for <stdin>", () => {
    const out = format("github", [
      buildResult(at("a.yaml"), [{ ruleId: "r", severity: 1, message: "m", line: 0, column: 0 }]),
      buildResult("<stdin>", [{ ruleId: "r", severity: 2, message: "m", line: 2, column: 1 }]),
    ]);
    expect(out.split("\n")).toEqual(["::warning file=a.yaml,title=mesh-lint r::m", "::error title=mesh-lint r::m"]);
  });

  it("prints nothing when there are no messages", () => {
    expect(format("github", [buildResult(at("clean.yaml"), [])])).toBe("");
  });
});
