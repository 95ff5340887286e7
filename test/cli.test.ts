import { symlinkSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fixture, lintJson, runCli } from "./helpers.js";

/** The Service the fixtures route to, so that only the deliberate mistakes are reported. */
const reviewsService = (namespace: string) => `---
apiVersion: v1
kind: Service
metadata:
  name: reviews
  namespace: ${namespace}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
`;
/** A DestinationRule the API server rejects: `MUTUAL_TLS` is not a TLS mode. */
const badDr = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  trafficPolicy:
    tls:
      mode: MUTUAL_TLS
${reviewsService("default")}`;
const goodDr = badDr.replace("MUTUAL_TLS", "ISTIO_MUTUAL");
/** A field the API server prunes: `subsets` inside a route destination (meant `subset`). */
const typoVs = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: shop
spec:
  hosts: [reviews]
  http:
  - route:
    - destination:
        host: reviews
        subsets: v1
${reviewsService("shop")}`;

describe("CLI: exit codes and usage", () => {
  const dir = fixture({ "bad.yaml": badDr, "good.yaml": goodDr, "typo.yaml": typoVs, "values.yaml": "replicas: 2\n" });
  const cases: { name: string; args: string[]; code: number; stderr?: RegExp; stdout?: RegExp }[] = [
    { name: "clean input exits 0", args: ["good.yaml"], code: 0 },
    { name: "an error exits 1", args: ["bad.yaml"], code: 1, stdout: /MUTUAL_TLS/ },
    { name: "warnings alone exit 0", args: ["typo.yaml"], code: 0, stdout: /warning/ },
    { name: "warnings over --max-warnings exit 1", args: ["--max-warnings", "0", "typo.yaml"], code: 1, stderr: /too many warnings/ },
    { name: "a pattern that matches nothing exits 2", args: ["nothing/*.yaml"], code: 2, stderr: /No files matching the pattern "nothing\/\*\.yaml"/ },
    { name: "a missing file exits 2", args: ["missing.yaml"], code: 2, stderr: /No files matching/ },
    { name: "no paths at all exits 2", args: [], code: 2, stderr: /no files given/ },
    { name: "an unknown option exits 2", args: ["--frobnicate", "good.yaml"], code: 2, stderr: /frobnicate/ },
    { name: "an unknown format exits 2", args: ["--format", "xml", "good.yaml"], code: 2, stderr: /unknown format "xml"/ },
    { name: "an unknown rule in --rule exits 2", args: ["--rule", "nope:off", "good.yaml"], code: 2, stderr: /no rule "nope"/ },
    { name: "--help", args: ["--help"], code: 0, stdout: /Exit codes/ },
    { name: "non-Kubernetes YAML is skipped quietly", args: ["values.yaml"], code: 0 },
  ];
  it.each(cases)("$name", async ({ args, code, stderr, stdout }) => {
    const run = await runCli(args, { cwd: dir });
    expect(run.code, run.stderr).toBe(code);
    if (stderr) expect(run.stderr).toMatch(stderr);
    if (stdout) expect(run.stdout).toMatch(stdout);
  });

  it("--quiet drops warnings", async () => {
    const run = await lintJson(["--quiet", "typo.yaml"], { cwd: dir });
    expect(run.results[0].messages).toEqual([]);
  });
  it("--debug says which documents were skipped and why", async () => {
    const run = await runCli(["--debug", "values.yaml"], { cwd: dir });
    expect(run.stderr).toMatch(/values\.yaml:1: skipped document 1: no apiVersion\/kind/);
  });
  it("--output-file writes the report", async () => {
    const run = await runCli(["--format", "json", "--output-file", "out/report.json", "bad.yaml"], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    const written = JSON.parse(readFileSync(join(dir, "out/report.json"), "utf8"));
    expect(written[0].errorCount).toBeGreaterThan(0);
  });
});

describe("CLI: messages name the exact node, the resource and the rule", () => {
  const dir = fixture({ "bad.yaml": badDr, "typo.yaml": typoVs });
  it("an invalid enum points at the value", async () => {
    const { results } = await lintJson(["bad.yaml"], { cwd: dir });
    const [message] = results[0].messages;
    expect(message).toMatchObject({
      ruleId: "schema",
      severity: 2,
      istioCode: "IST0106",
      line: 9,
      resource: { kind: "DestinationRule", namespace: "default", name: "reviews" },
    });
    expect(results[0].filePath).toBe(join(dir, "bad.yaml"));
  });
  it("an unknown field is a warning at the field with a suggestion", async () => {
    const { results } = await lintJson(["typo.yaml"], { cwd: dir });
    const [message] = results[0].messages;
    expect(message).toMatchObject({ ruleId: "schema", severity: 1, line: 12, column: 9, resource: { namespace: "shop" } });
    expect(message.message).toMatch(/subset/);
  });
});

describe("CLI: stdin", () => {
  const dir = fixture({});
  it("reads - from stdin and reports <stdin>", async () => {
    const { results, code } = await lintJson(["-"], { cwd: dir, stdin: badDr });
    expect(code).toBe(1);
    expect(results[0].filePath).toBe("<stdin>");
    expect(results[0].messages[0].line).toBe(9);
  });
  it("--stdin-filename names the input", async () => {
    const { results } = await lintJson(["--stdin-filename", "rendered/dr.yaml", "-"], { cwd: dir, stdin: badDr });
    expect(results[0].filePath).toBe(join(dir, "rendered/dr.yaml"));
  });
});

describe("CLI: finding files", () => {
  const dir = fixture({
    "manifests/a.yaml": goodDr,
    "manifests/nested/b.yml": badDr,
    "manifests/c.json": JSON.stringify({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "c" } }),
    "manifests/notes.txt": "not yaml",
    "manifests/generated/skip.yaml": badDr,
    "manifests/vendor/skip.yaml": badDr,
    "manifests/node_modules/x/skip.yaml": badDr,
    ".gitignore": "generated/\n",
    "manifests/.mesh-lintignore": "vendor/\n",
  });
  it("walks directories for .yaml, .yml and .json, honouring .gitignore and .mesh-lintignore", async () => {
    const { results } = await lintJson(["manifests"], { cwd: dir });
    expect(results.map((r) => r.filePath.slice(dir.length + 1)).sort()).toEqual([
      "manifests/a.yaml",
      "manifests/c.json",
      "manifests/nested/b.yml",
    ]);
  });
  it("--ignore-pattern skips more", async () => {
    const { results } = await lintJson(["--ignore-pattern", "nested/", "manifests"], { cwd: dir });
    expect(results.map((r) => r.filePath)).not.toContain(join(dir, "manifests/nested/b.yml"));
  });
  it("--no-ignore lints ignored files", async () => {
    const { results } = await lintJson(["--no-ignore", "manifests"], { cwd: dir });
    expect(results.map((r) => r.filePath)).toContain(join(dir, "manifests/generated/skip.yaml"));
  });
  it("globs", async () => {
    const { results } = await lintJson(["manifests/**/*.yml"], { cwd: dir });
    expect(results.map((r) => r.filePath)).toEqual([join(dir, "manifests/nested/b.yml")]);
  });
  it("a symlink loop is reported and does not hang", async () => {
    const loopDir = fixture({ "x/a.yaml": goodDr });
    symlinkSync(join(loopDir, "x"), join(loopDir, "x/loop"));
    const run = await lintJson(["x"], { cwd: loopDir });
    expect(run.code).toBe(0);
    expect(run.results).toHaveLength(1);
    expect(run.stderr).toMatch(/loop/);
  });
  it("a file that cannot be read is an error on that file; the others are still linted", async () => {
    const d = fixture({ "ok.yaml": badDr });
    // Reading /proc/self/mem fails (EIO) even for root, which chmod cannot arrange.
    const run = await lintJson(["ok.yaml", "/proc/self/mem"], { cwd: d });
    expect(run.code).toBe(1);
    const ok = run.results.find((r) => r.filePath.endsWith("ok.yaml"));
    expect(ok?.errorCount).toBeGreaterThan(0);
    const unreadable = run.results.find((r) => r.filePath === "/proc/self/mem");
    expect(unreadable?.messages[0]).toMatchObject({ fatal: true, severity: 2, line: 1, column: 1 });
    expect(unreadable?.messages[0].message).toMatch(/could not be read/);
  });
  it("a dangling symbolic link named on the command line matches nothing (exit 2)", async () => {
    const d = fixture({ "ok.yaml": goodDr });
    symlinkSync(join(d, "nowhere.yaml"), join(d, "dangling.yaml"));
    const run = await runCli(["ok.yaml", "dangling.yaml"], { cwd: d });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/dangling\.yaml/);
  });
  it("a syntax error in one file keeps the others' results", async () => {
    const d = fixture({ "broken.yaml": "apiVersion: v1\nkind: [\n", "bad.yaml": badDr });
    const run = await lintJson(["."], { cwd: d });
    const broken = run.results.find((r) => r.filePath.endsWith("broken.yaml"))!;
    expect(broken.messages[0]).toMatchObject({ fatal: true, severity: 2, ruleId: "parse" });
    expect(run.results.find((r) => r.filePath.endsWith("bad.yaml"))!.errorCount).toBeGreaterThan(0);
  });
});

describe("CLI: configuration", () => {
  it("rule severities from .mesh-lint.yaml found upward", async () => {
    const dir = fixture({ ".mesh-lint.yaml": "rules:\n  schema: warn\n", "sub/bad.yaml": badDr });
    const run = await lintJson(["bad.yaml"], { cwd: join(dir, "sub") });
    expect(run.code).toBe(0);
    expect(run.results[0].messages[0].severity).toBe(1);
  });
  it("an empty or comment-only .mesh-lint.yaml is a configuration with no settings", async () => {
    for (const text of ["", "# nothing yet\n"]) {
      const dir = fixture({ ".mesh-lint.yaml": text, "bad.yaml": badDr });
      const run = await lintJson(["bad.yaml"], { cwd: dir });
      expect(run.code, run.stderr).toBe(1);
    }
  });
  it("a rule turned off reports nothing", async () => {
    const dir = fixture({ "bad.yaml": badDr });
    const run = await lintJson(["--rule", "schema:off", "bad.yaml"], { cwd: dir });
    expect(run.results[0].messages).toEqual([]);
  });
  const wrong: { name: string; config: string; stderr: RegExp }[] = [
    { name: "unknown key", config: "rulez: {}\n", stderr: /must NOT have additional properties "rulez"/ },
    { name: "bad severity", config: "rules:\n  schema: loud\n", stderr: /rules\.schema: must be equal to one of the allowed values/ },
    { name: "unknown rule", config: "rules:\n  nope: off\n", stderr: /no rule "nope"/ },
    { name: "not YAML", config: "rules: [\n", stderr: /not valid YAML/ },
  ];
  it.each(wrong)("a wrong config exits 2: $name", async ({ config, stderr }) => {
    const dir = fixture({ ".mesh-lint.yaml": config, "good.yaml": goodDr });
    const run = await runCli(["good.yaml"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(stderr);
  });
  it("--config names the file; a missing one exits 2", async () => {
    const dir = fixture({ "cfg.yaml": "rules: {schema: off}\n", "bad.yaml": badDr });
    expect((await runCli(["--config", "cfg.yaml", "bad.yaml"], { cwd: dir })).code).toBe(0);
    expect((await runCli(["--config", "none.yaml", "bad.yaml"], { cwd: dir })).code).toBe(2);
  });
  it("namespace defaulting follows --namespace", async () => {
    const dir = fixture({ "bad.yaml": badDr });
    const { results } = await lintJson(["-n", "shop", "bad.yaml"], { cwd: dir });
    expect(results[0].messages[0].resource).toMatchObject({ namespace: "shop" });
  });
  it("a wrong --mesh-config exits 2", async () => {
    const dir = fixture({ "mesh.yaml": "outboundTrafficPolicy:\n  mode: SOMETIMES\n", "good.yaml": goodDr });
    const run = await runCli(["--mesh-config", "mesh.yaml", "good.yaml"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/ALLOW_ANY or REGISTRY_ONLY/);
  });
});

describe("CLI: context files inform but are not reported", () => {
  it("only linted paths get messages", async () => {
    const dir = fixture({ "changed/good.yaml": goodDr, "rest/bad.yaml": badDr });
    const run = await lintJson(["--context", "rest", "changed"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.results.map((r) => r.filePath)).toEqual([join(dir, "changed/good.yaml")]);
  });
  it("context globs from the config", async () => {
    const dir = fixture({ ".mesh-lint.yaml": "context: ['**/*.yaml']\n", "changed/good.yaml": goodDr, "rest/bad.yaml": badDr });
    const run = await lintJson(["changed/good.yaml"], { cwd: dir });
    expect(run.results).toHaveLength(1);
    expect(run.code).toBe(0);
  });
});

describe("suppression", () => {
  const cases: { name: string; text: string; remaining: number }[] = [
    { name: "no comment", text: badDr, remaining: 1 },
    { name: "disable-next-line with the rule id", text: badDr.replace("      mode:", "      # mesh-lint-disable-next-line schema\n      mode:"), remaining: 0 },
    { name: "disable-next-line for another rule", text: badDr.replace("      mode:", "      # mesh-lint-disable-next-line missing-subset\n      mode:"), remaining: 1 },
    { name: "disable-line", text: badDr.replace("MUTUAL_TLS", "MUTUAL_TLS # mesh-lint-disable-line"), remaining: 0 },
    { name: "disable/enable range", text: `# mesh-lint-disable schema\n${badDr}# mesh-lint-enable schema\n`, remaining: 0 },
    { name: "range closed before the node", text: `# mesh-lint-disable\n# mesh-lint-enable\n${badDr}`, remaining: 1 },
    {
      name: "Istio's analyze-suppress annotation with the code",
      text: badDr.replace("  name: reviews", '  name: reviews\n  annotations:\n    galley.istio.io/analyze-suppress: "IST0101,IST0106"'),
      remaining: 0,
    },
    {
      name: "analyze-suppress with another code",
      text: badDr.replace("  name: reviews", '  name: reviews\n  annotations:\n    galley.istio.io/analyze-suppress: "IST0101"'),
      remaining: 1,
    },
  ];
  it.each(cases)("$name", async ({ text, remaining }) => {
    const dir = fixture({ "dr.yaml": text });
    const { results } = await lintJson(["dr.yaml"], { cwd: dir });
    expect(results[0].messages.filter((m) => m.severity === 2)).toHaveLength(remaining);
  });
});

describe("suppression comments themselves", () => {
  /** The messages about comments (no rule id): `line:column message`. */
  const about = async (text: string, args: string[] = []) => {
    const dir = fixture({ "dr.yaml": text });
    const { results } = await lintJson([...args, "dr.yaml"], { cwd: dir });
    return results[0].messages.filter((m) => m.ruleId === null).map((m) => `${m.line}:${m.column} ${m.message}`);
  };
  const withComment = (comment: string) => badDr.replace("      mode:", `      ${comment}\n      mode:`);
  const cases: [string, string, string[], string[]][] = [
    ["a used comment", withComment("# mesh-lint-disable-next-line schema"), [], ["--report-unused-disable-directives"]],
    ["an unknown rule id, with the nearest one", withComment("# mesh-lint-disable-next-line schmea"), ['9:7 mesh-lint-disable-next-line names an unknown rule "schmea": it suppresses nothing. Did you mean "schema"?'], []],
    ["an unknown rule id, nothing near", withComment("# mesh-lint-disable-next-line no-such-check-at-all"), ['9:7 mesh-lint-disable-next-line names an unknown rule "no-such-check-at-all": it suppresses nothing.'], []],
    ["an unused comment is not reported unless asked", withComment("# mesh-lint-disable-next-line missing-subset, schema"), [], []],
    [
      "an unused rule id of a comment, when asked",
      withComment("# mesh-lint-disable-next-line missing-subset, schema"),
      ["9:7 Unused mesh-lint-disable-next-line comment: no message of rule missing-subset was reported where it applies."],
      ["--report-unused-disable-directives"],
    ],
    [
      "a comment without ids that suppresses nothing, when asked",
      goodDr.replace("  host: reviews", "  host: reviews # mesh-lint-disable-line"),
      ["6:17 Unused mesh-lint-disable-line comment: no message was reported where it applies."],
      ["--report-unused-disable-directives"],
    ],
    ["a range that suppresses something", `# mesh-lint-disable schema\n${badDr}# mesh-lint-enable schema\n`, [], ["--report-unused-disable-directives"]],
  ];
  it.each(cases)("%s", async (_, text, expected, args) => {
    expect(await about(text, args)).toEqual(expected);
  });

  it("the configuration file can ask for unused comments", async () => {
    const dir = fixture({ "dr.yaml": goodDr.replace("  host: reviews", "  host: reviews # mesh-lint-disable-line"), ".mesh-lint.yaml": "reportUnusedDisableDirectives: true\n" });
    const { results } = await lintJson(["dr.yaml"], { cwd: dir });
    expect(results[0].messages.filter((m) => m.ruleId === null).map((m) => m.line)).toEqual([6]);
  });
});

describe("one finding, one message", () => {
  const shadowed = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
  - match:
    - uri: {prefix: /api}
    route:
    - destination: {host: reviews}
${reviewsService("default")}`;
  it("the webhook's 'rule not used' warning is left to unreachable-route while that rule runs", async () => {
    const dir = fixture({ "vs.yaml": shadowed });
    const on = await lintJson(["vs.yaml"], { cwd: dir });
    expect(on.results[0].messages.map((m) => `${m.ruleId}:${m.line}`)).toEqual(["unreachable-route:9"]);
    const off = await lintJson(["--rule", "unreachable-route:off", "vs.yaml"], { cwd: dir });
    expect(off.results[0].messages.map((m) => `${m.ruleId}:${m.severity}:${m.line}`)).toEqual(["schema:1:9"]);
  });
});
