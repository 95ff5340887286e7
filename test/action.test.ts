/**
 * The GitHub Action (action.yml), run locally: its `run:` steps are executed in order with bash, as the runner
 * does (`bash --noprofile --norc -eo pipefail`), with `${{ inputs.* }}`, `${{ github.* }}` and
 * `${{ steps.*.outputs.* }}` substituted and the GitHub environment variables pointed at temp files; `uses:`
 * steps are not run (they need GitHub) but their `with:` and `if:` are checked. The action is pointed at this
 * checkout, which `npm test` has built, so its install step skips `npm ci`.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Log } from "sarif";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { fails, graphArgs, hostsOfFindings, listInput } from "../src/action/run.js";
import { renderSummary } from "../src/action/summary.js";
import { buildResult } from "../src/report/index.js";
import { reviewsDeployment, reviewsDestinationRule, reviewsVirtualService } from "./fixtures/manifests.js";
import { sarifValidator } from "./helpers.js";

const ROOT = path.resolve(__dirname, "..");
const action = parse(readFileSync(path.join(ROOT, "action.yml"), "utf8")) as ActionYaml;

interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  with?: Record<string, string>;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
  "working-directory"?: string;
}

interface ActionYaml {
  name: string;
  inputs: Record<string, { description: string; default?: string; required?: boolean }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: Step[] };
}

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "mesh-lint-action-"));
  scratch.push(dir);
  return dir;
}

// ---------------------------------------------------------------------------------------------------------------
// A small stand-in for the runner: expressions, steps, outputs.

interface Context {
  inputs: Record<string, string>;
  github: Record<string, string>;
  steps: Record<string, { outputs: Record<string, string> }>;
}

function operand(text: string, context: Context): string {
  const value = text.trim();
  const literal = /^'((?:[^']|'')*)'$/.exec(value);
  if (literal) return literal[1]!.replace(/''/g, "'");
  if (value === "true" || value === "false") return value;
  const [scope, ...rest] = value.split(".");
  if (scope === "inputs") {
    const name = rest.join(".");
    if (!(name in context.inputs)) throw new Error(`action.yml reads an undeclared input: ${name}`);
    return context.inputs[name]!;
  }
  if (scope === "github") return context.github[rest.join(".")] ?? "";
  if (scope === "steps" && rest[1] === "outputs") return context.steps[rest[0]!]?.outputs[rest.slice(2).join(".")] ?? "";
  throw new Error(`unsupported expression: ${value}`);
}

/** Evaluates the expressions action.yml uses: operands, `==`, `!=` and `&&`. */
function evaluate(expression: string, context: Context): string {
  const conjuncts = expression.split("&&");
  if (conjuncts.length > 1) return conjuncts.every((part) => truthy(evaluate(part, context))) ? "true" : "false";
  const comparison = /^(.*?)(==|!=)(.*)$/.exec(expression);
  if (comparison) {
    const equal = operand(comparison[1]!, context) === operand(comparison[3]!, context);
    return (comparison[2] === "==") === equal ? "true" : "false";
  }
  return operand(expression, context);
}

function truthy(value: string): boolean {
  return value !== "" && value !== "false" && value !== "0";
}

function substitute(template: string, context: Context): string {
  return template.replace(/\$\{\{(.*?)\}\}/g, (_all, expression: string) => evaluate(expression, context));
}

/** The `name=value` and `name<<DELIMITER` lines of a `$GITHUB_OUTPUT` file. */
function readOutputs(file: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  if (!existsSync(file)) return outputs;
  const lines = readFileSync(file, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const value: string[] = [];
      while (++i < lines.length && lines[i] !== heredoc[2]) value.push(lines[i]!);
      outputs[heredoc[1]!] = value.join("\n");
    } else if (line.includes("=")) outputs[line.slice(0, line.indexOf("="))] = line.slice(line.indexOf("=") + 1);
  }
  return outputs;
}

interface StepRun {
  step: Step;
  ran: boolean;
  code?: number;
  stdout: string;
  stderr: string;
  /** For `uses:` steps that would run: their `with:` after substitution. */
  with?: Record<string, string>;
}

interface ActionRun {
  steps: StepRun[];
  /** The job's outcome: 0, or the code of the step that failed (the runner stops there). */
  code: number;
  stdout: string;
  outputs: Record<string, string>;
  summary: string;
  workspace: string;
  temp: string;
}

interface RunOptions {
  inputs?: Record<string, string>;
  /** The event (written to $GITHUB_EVENT_PATH). */
  event?: { name: string; payload: unknown };
  /** A workspace prepared by the caller (default: the fixture). */
  workspace?: string;
}

const FIXTURE: Record<string, string> = {
  "deploy/app.yaml": `apiVersion: v1
kind: Service
metadata:
  name: reviews
  namespace: shop
spec:
  selector:
    app: reviews
  ports:
    - name: http
      port: 9080
---
${reviewsDeployment("v1", "example/reviews:1", "          ports:\n            - containerPort: 9080\n")}`,
  "deploy/destination-rule.yaml": reviewsDestinationRule(["v1"]),
  "deploy/virtual-service.yaml": reviewsVirtualService("v2"),
  "deploy/gateway.yaml": `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: web
  namespace: shop
spec:
  selector:
    istio: ingressgateway
  servers:
    - port:
        number: 80
        name: http
        protocol: HTTP
      hosts:
        - "shop.example.com"
      colour: blue
`,
};

function workspaceWith(files: Record<string, string>): string {
  const workspace = path.join(tempDir(), "repo");
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(workspace, name)), { recursive: true });
    writeFileSync(path.join(workspace, name), content);
  }
  return workspace;
}

/** Runs the action's steps as the runner would, in a fresh workspace. */
function runAction(options: RunOptions = {}): ActionRun {
  const workspace = options.workspace ?? workspaceWith(FIXTURE);
  const temp = path.join(path.dirname(workspace), "runner-temp");
  mkdirSync(temp, { recursive: true });
  const summaryFile = path.join(temp, "step-summary.md");
  writeFileSync(summaryFile, "");
  const eventFile = path.join(temp, "event.json");
  writeFileSync(eventFile, JSON.stringify(options.event?.payload ?? {}));

  const inputs: Record<string, string> = {};
  for (const [name, input] of Object.entries(action.inputs)) inputs[name] = input.default ?? "";
  Object.assign(inputs, options.inputs);
  const context: Context = {
    inputs,
    github: { action_path: ROOT, workspace, event_name: options.event?.name ?? "push" },
    steps: {},
  };
  // The runner's environment, without whatever GitHub variables the machine running the tests has.
  const base: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(GITHUB_|INPUT_|RUNNER_)/.test(name) && name !== "NODE_OPTIONS") base[name] = value;
  }
  Object.assign(base, {
    GITHUB_ACTIONS: "true",
    GITHUB_WORKSPACE: workspace,
    GITHUB_ACTION_PATH: ROOT,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_EVENT_NAME: options.event?.name ?? "push",
    GITHUB_EVENT_PATH: eventFile,
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_REPOSITORY: "octo/mesh",
    GITHUB_SHA: "0123456789abcdef0123456789abcdef01234567",
    RUNNER_TEMP: temp,
  });

  const runs: StepRun[] = [];
  let code = 0;
  let stdout = "";
  for (const [index, step] of action.runs.steps.entries()) {
    // After a failure the runner skips the remaining steps (their `if:` implies success(); action.yml uses no status function).
    const wanted = code === 0 && (step.if === undefined || truthy(evaluate(step.if.replace(/^\$\{\{(.*)\}\}$/s, "$1"), context)));
    if (!wanted) {
      runs.push({ step, ran: false, stdout: "", stderr: "" });
      continue;
    }
    if (step.uses) {
      const withValues = Object.fromEntries(Object.entries(step.with ?? {}).map(([key, value]) => [key, substitute(String(value), context)]));
      runs.push({ step, ran: true, stdout: "", stderr: "", with: withValues });
      continue;
    }
    const outputFile = path.join(temp, `output-${index}`);
    writeFileSync(outputFile, "");
    const script = path.join(temp, `step-${index}.sh`);
    writeFileSync(script, substitute(step.run ?? "", context));
    const env: NodeJS.ProcessEnv = { ...base, GITHUB_OUTPUT: outputFile };
    for (const [name, value] of Object.entries(step.env ?? {})) env[name] = substitute(String(value), context);
    const cwd = path.resolve(workspace, substitute(step["working-directory"] ?? ".", context));
    expect(step.shell).toBe("bash");
    const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], { cwd, env, encoding: "utf8", timeout: 120_000 });
    runs.push({ step, ran: true, code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr });
    stdout += r.stdout;
    if (step.id) context.steps[step.id] = { outputs: readOutputs(outputFile) };
    if (r.status !== 0) code = r.status ?? -1;
  }
  const outputs = Object.fromEntries(Object.entries(action.outputs).map(([name, output]) => [name, substitute(output.value, context)]));
  return { steps: runs, code, stdout, outputs, summary: readFileSync(summaryFile, "utf8"), workspace, temp };
}

function stepNamed(run: ActionRun, pattern: RegExp): StepRun {
  const found = run.steps.find((entry) => pattern.test(entry.step.name ?? ""));
  if (!found) throw new Error(`no step named ${pattern}`);
  return found;
}

// ---------------------------------------------------------------------------------------------------------------

describe("action.yml", () => {
  it("is a composite action with the documented inputs and outputs", () => {
    expect(action.runs.using).toBe("composite");
    expect(Object.keys(action.inputs)).toEqual(
      expect.arrayContaining(["paths", "config", "context", "fail-on", "upload-sarif", "only-changed", "node-version", "working-directory", "args"]),
    );
    expect(action.inputs.paths!.default).toBe(".");
    expect(action.inputs["fail-on"]!.default).toBe("error");
    expect(action.inputs["upload-sarif"]!.default).toBe("true");
    expect(Object.keys(action.outputs)).toEqual(expect.arrayContaining(["errors", "warnings", "sarif-file"]));
    for (const input of Object.values(action.inputs)) expect(input.description.length).toBeGreaterThan(10);
  });

  it("sets up Node with setup-node, only when a version is asked for", () => {
    const setup = action.runs.steps.find((step) => step.uses?.startsWith("actions/setup-node@"));
    expect(setup).toBeDefined();
    expect(setup!.with).toEqual({ "node-version": "${{ inputs.node-version }}" });
    expect(setup!.if).toBe("inputs.node-version != ''");
    expect(action.runs.steps.indexOf(setup!)).toBe(0);
  });

  it("uploads the SARIF file with github/codeql-action/upload-sarif when upload-sarif is true", () => {
    const upload = action.runs.steps.find((step) => step.uses?.startsWith("github/codeql-action/upload-sarif@"));
    expect(upload).toBeDefined();
    expect(upload!.uses).toBe("github/codeql-action/upload-sarif@v3");
    expect(upload!.with).toMatchObject({ sarif_file: "${{ steps.lint.outputs.sarif-file }}", category: "${{ inputs.sarif-category }}" });
    expect(upload!.if).toContain("inputs.upload-sarif == 'true'");
    const lint = action.runs.steps.findIndex((step) => step.id === "lint");
    expect(action.runs.steps.indexOf(upload!)).toBeGreaterThan(lint);
  });

  it("passes inputs to scripts through env, never spliced into the script text", () => {
    for (const step of action.runs.steps) {
      if (step.run) expect(step.run).not.toMatch(/\$\{\{/);
      if (step.run) expect(step.shell).toBe("bash");
      // The local runner below does not model status functions.
      expect(step.if ?? "").not.toMatch(/always\(|failure\(|cancelled\(|success\(/);
    }
  });
});

describe("the documented workflow", () => {
  const example = readFileSync(path.join(ROOT, "docs", "examples", "mesh-lint-workflow.yml"), "utf8");
  const doc = readFileSync(path.join(ROOT, "docs", "github-action.md"), "utf8");

  it("is the same in docs/github-action.md and docs/examples/mesh-lint-workflow.yml", () => {
    const block = /```yaml\n(name: mesh-lint\n[\s\S]*?)```/.exec(doc);
    expect(block).not.toBeNull();
    expect(example.replace(/^#.*\n/, "")).toBe(block![1]);
  });

  it("uses the action with inputs it declares, and the permissions SARIF needs", () => {
    const workflow = parse(example) as {
      permissions: Record<string, string>;
      jobs: Record<string, { steps: Array<{ uses?: string; with?: Record<string, unknown> }> }>;
    };
    expect(workflow.permissions).toEqual({ contents: "read", "security-events": "write" });
    const steps = Object.values(workflow.jobs)[0]!.steps;
    expect(steps[0]!.uses).toMatch(/^actions\/checkout@/);
    expect(steps[0]!.with).toMatchObject({ "fetch-depth": 0 });
    const use = steps.find((step) => step.uses?.startsWith("mesh-lint/mesh-lint@"));
    expect(use).toBeDefined();
    for (const name of Object.keys(use!.with ?? {})) expect(Object.keys(action.inputs)).toContain(name);
  });

  it("documents every input and output", () => {
    for (const name of [...Object.keys(action.inputs), ...Object.keys(action.outputs)]) expect(doc).toContain(`| \`${name}\` |`);
  });
});

describe("the action, run locally", () => {
  let failing: ActionRun;
  beforeAll(() => {
    failing = runAction({ inputs: { paths: "deploy" } });
  });

  it("skips npm ci when the action's checkout is already built", () => {
    const install = stepNamed(failing, /install/i);
    expect(install.code).toBe(0);
    expect(install.stdout).toContain("already built");
  });

  it("annotates the lines: ::error and ::warning workflow commands with paths from the repository root", () => {
    const lint = stepNamed(failing, /^lint/i);
    expect(lint.code).toBe(0);
    expect(lint.stdout).toMatch(/^::error file=deploy\/virtual-service\.yaml,line=13,col=13,.*title=mesh-lint missing-subset::Destination subset "v2"/m);
    expect(lint.stdout).toMatch(/^::warning file=deploy\/gateway\.yaml,line=16,.*title=mesh-lint schema::unknown field/m);
  });

  it("sets the outputs", () => {
    expect(failing.outputs.errors).toBe("1");
    expect(failing.outputs.warnings).toBe("1");
    expect(failing.outputs.failed).toBe("true");
    expect(failing.outputs["sarif-file"]).toBe(path.join(failing.temp, "mesh-lint.sarif"));
    const results = JSON.parse(readFileSync(failing.outputs["results-file"]!, "utf8"));
    expect(results.length).toBe(4);
  });

  it("writes SARIF 2.1.0 that the schema accepts, every result with a known rule and a start line", () => {
    const log = JSON.parse(readFileSync(failing.outputs["sarif-file"]!, "utf8")) as Log;
    const validate = sarifValidator();
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    const run = log.runs[0]!;
    const ruleIds = run.tool.driver.rules!.map((rule) => rule.id);
    expect(run.results!.length).toBe(2);
    for (const result of run.results!) {
      expect(ruleIds).toContain(result.ruleId);
      expect(run.tool.driver.rules![result.ruleIndex!]!.id).toBe(result.ruleId);
      const physical = result.locations![0]!.physicalLocation!;
      expect(physical.region!.startLine).toBeGreaterThanOrEqual(1);
      expect(physical.artifactLocation!.uri).toMatch(/^deploy\//);
      expect(physical.artifactLocation!.uriBaseId).toBe("%SRCROOT%");
    }
    expect(run.tool.driver.rules!.find((rule) => rule.id === "missing-subset")!.helpUri).toMatch(/docs\/rules\/missing-subset\.md$/);
  });

  it("would upload the SARIF file", () => {
    const upload = stepNamed(failing, /upload sarif/i);
    expect(upload.ran).toBe(true);
    expect(upload.with).toEqual({ sarif_file: failing.outputs["sarif-file"], category: "mesh-lint" });
  });

  it("writes the job summary: counts by rule, top findings linked to the rule docs and the file, a mermaid diagram", () => {
    const summary = failing.summary;
    expect(summary).toMatch(/^## mesh-lint/);
    expect(summary).toContain("**1 error** and **1 warning** in 2 of 4 files");
    expect(summary).toMatch(/\| \[`missing-subset`\]\(https:\/\/\S+\/docs\/rules\/missing-subset\.md\) \| 1 \| 0 \|/);
    expect(summary).toMatch(/\| \[`schema`\]\(https:\/\/\S+\/docs\/rules\/schema\.md\) \| 0 \| 1 \|/);
    expect(summary).toContain(
      "[deploy/virtual-service.yaml:13](https://github.com/octo/mesh/blob/0123456789abcdef0123456789abcdef01234567/deploy/virtual-service.yaml#L13)",
    );
    expect(summary).toContain("VirtualService shop/reviews: Destination subset");
    // errors before warnings
    expect(summary.indexOf("❌ error |")).toBeLessThan(summary.indexOf("⚠️ warning |"));
    expect(summary).toContain("### Routes the findings touch");
    expect(summary).toContain("#### `reviews.shop.svc.cluster.local`");
    const mermaid = /```mermaid\n([\s\S]*?)\n```/.exec(summary);
    expect(mermaid).not.toBeNull();
    expect(mermaid![1]).toMatch(/^flowchart /);
    expect(mermaid![1]).toContain("VirtualService shop/reviews");
    expect(mermaid![1]).toContain("503 NC");
  });

  it("fails the job under fail-on: error, after the upload", () => {
    expect(failing.code).toBe(1);
    const enforce = stepNamed(failing, /fail-on/i);
    expect(enforce.code).toBe(1);
    expect(enforce.stdout).toContain("::error title=mesh-lint::mesh-lint found 1 error(s) and 1 warning(s) (fail-on: error)");
    expect(failing.steps.indexOf(enforce)).toBe(failing.steps.length - 1);
  });

  it("fail-on: never passes with the same findings, and still annotates and uploads", () => {
    const run = runAction({ inputs: { paths: "deploy", "fail-on": "never" } });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ errors: "1", warnings: "1", failed: "false" });
    expect(run.stdout).toContain("::error file=deploy/virtual-service.yaml");
    expect(stepNamed(run, /upload sarif/i).ran).toBe(true);
    expect(stepNamed(run, /fail-on/i).ran).toBe(false);
  });

  it("fail-on: warning fails on a warning alone; fail-on: error does not", () => {
    const warning = runAction({ inputs: { paths: "deploy/gateway.yaml", context: "deploy", "fail-on": "warning" } });
    expect(warning.outputs).toMatchObject({ errors: "0", warnings: "1", failed: "true" });
    expect(warning.code).toBe(1);
    const error = runAction({ inputs: { paths: "deploy/gateway.yaml", context: "deploy", "fail-on": "error" } });
    expect(error.outputs).toMatchObject({ errors: "0", warnings: "1", failed: "false" });
    expect(error.code).toBe(0);
    expect(error.stdout).toMatch(/^::warning file=deploy\/gateway\.yaml,line=16/m);
  });

  it("upload-sarif: false skips the upload", () => {
    const run = runAction({ inputs: { paths: "deploy", "upload-sarif": "false", "fail-on": "never" } });
    expect(stepNamed(run, /upload sarif/i).ran).toBe(false);
    expect(existsSync(run.outputs["sarif-file"]!)).toBe(true);
  });

  it("in a working-directory, reads paths there and still names files from the repository root", () => {
    const workspace = workspaceWith(Object.fromEntries(Object.entries(FIXTURE).map(([name, text]) => [`mesh/${name}`, text])));
    const run = runAction({ workspace, inputs: { "working-directory": "mesh", paths: "deploy", "graph-hosts": "0" } });
    expect(run.outputs.errors).toBe("1");
    expect(run.stdout).toMatch(/^::error file=mesh\/deploy\/virtual-service\.yaml,line=13/m);
    const log = JSON.parse(readFileSync(run.outputs["sarif-file"]!, "utf8")) as Log;
    expect(log.runs[0]!.results![0]!.locations![0]!.physicalLocation!.artifactLocation!.uri).toMatch(/^mesh\/deploy\//);
    expect(run.summary).not.toContain("```mermaid");
  });

  it("clean manifests: no annotations, success, a short summary", () => {
    const workspace = workspaceWith({ ...FIXTURE, "deploy/virtual-service.yaml": reviewsVirtualService("v1"), "deploy/gateway.yaml": "" });
    const run = runAction({ workspace, inputs: { paths: "deploy", "fail-on": "warning" } });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ errors: "0", warnings: "0", failed: "false" });
    expect(stepNamed(run, /^lint/i).stdout).not.toMatch(/^::(error|warning) /m);
    expect(run.summary).toContain("✅ No problems found");
  });

  it("a wrong input or a path that matches nothing stops at the lint step with exit 2 and says why", () => {
    const bad = runAction({ inputs: { "fail-on": "sometimes" } });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toContain("::error title=mesh-lint::input fail-on must be error, warning or never");
    const missing = runAction({ inputs: { paths: "nowhere/" } });
    expect(missing.code).toBe(2);
    expect(missing.stdout).toMatch(/::error title=mesh-lint::mesh-lint could not run: .*nowhere/);
    expect(missing.summary).toContain("mesh-lint could not run");
    expect(stepNamed(missing, /upload sarif/i).ran).toBe(false);
  });
});

describe("only-changed on a pull request", () => {
  const git = (cwd: string, ...args: string[]) => {
    const r = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.test", "-c", "commit.gpgsign=false", ...args], { cwd, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const hasGit = spawnSync("git", ["--version"]).status === 0;

  function pullRequest(subset: string) {
    const workspace = workspaceWith({ ...FIXTURE, "deploy/virtual-service.yaml": reviewsVirtualService("v1") });
    git(workspace, "init", "-q", "-b", "main");
    git(workspace, "add", ".");
    git(workspace, "commit", "-q", "-m", "base");
    const base = git(workspace, "rev-parse", "HEAD");
    writeFileSync(path.join(workspace, "deploy/virtual-service.yaml"), reviewsVirtualService(subset).replace("  http:\n", "  http:\n    - name: canary\n      match:\n        - headers:\n            x-canary:\n              exact: \"1\"\n      route:\n        - destination:\n            host: reviews\n            subset: v1\n"));
    git(workspace, "commit", "-q", "-am", "change the route");
    return runAction({
      workspace,
      inputs: { paths: "deploy", "only-changed": "true" },
      event: { name: "pull_request", payload: { pull_request: { base: { sha: base }, head: { sha: git(workspace, "rev-parse", "HEAD") } } } },
    });
  }

  it.skipIf(!hasGit)("lints only the changed file, with the untouched DestinationRule as context", () => {
    const run = pullRequest("v1");
    // The gateway's warning is in an unchanged file: not reported; the subset v1 lives in an unchanged file: no false finding.
    expect(run.outputs).toMatchObject({ errors: "0", warnings: "0", failed: "false" });
    expect(run.summary).toContain("Linted the 1 changed manifest of this pull request");
    expect(run.code).toBe(0);
  });

  it.skipIf(!hasGit)("reports what the change breaks", () => {
    const run = pullRequest("v2");
    expect(run.outputs).toMatchObject({ errors: "1", warnings: "0", failed: "true" });
    expect(run.stdout).toMatch(/^::error file=deploy\/virtual-service\.yaml,.*missing-subset/m);
    expect(run.stdout).not.toContain("gateway.yaml");
    expect(run.code).toBe(1);
  });

  it.skipIf(!hasGit)("a pull request that changes no manifest passes with a note", () => {
    const workspace = workspaceWith(FIXTURE);
    git(workspace, "init", "-q", "-b", "main");
    git(workspace, "add", ".");
    git(workspace, "commit", "-q", "-m", "base");
    const base = git(workspace, "rev-parse", "HEAD");
    writeFileSync(path.join(workspace, "README.md"), "docs\n");
    git(workspace, "add", ".");
    git(workspace, "commit", "-q", "-m", "docs");
    const run = runAction({ workspace, inputs: { paths: "deploy", "only-changed": "true" }, event: { name: "pull_request", payload: { pull_request: { base: { sha: base } } } } });
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ errors: "0", warnings: "0", "sarif-file": "" });
    expect(stepNamed(run, /upload sarif/i).ran).toBe(false);
    expect(run.summary).toContain("changes no manifests");
  });
});

describe("action helpers", () => {
  it("reads list inputs separated by spaces or lines", () => {
    expect(listInput(" a\nb  c\n\n")).toEqual(["a", "b", "c"]);
    expect(listInput(undefined)).toEqual([]);
  });

  it("decides fail-on", () => {
    expect([fails("error", 0, 3), fails("error", 1, 0), fails("warning", 0, 1), fails("warning", 0, 0), fails("never", 5, 5)]).toEqual([
      false,
      true,
      true,
      false,
      false,
    ]);
  });

  it("passes graph only the input options it takes", () => {
    expect(graphArgs(["--rule", "schema:off", "--mesh-config", "m.yaml", "--quiet", "-n", "shop", "--install=demo", "--no-ignore", "--crd", "x.yaml"])).toEqual([
      "--mesh-config",
      "m.yaml",
      "-n",
      "shop",
      "--install=demo",
      "--no-ignore",
    ]);
  });

  it("picks the hosts of the resources the findings are about, errors first, bounded", () => {
    const finding = (kind: string, name: string, severity: 1 | 2) => ({
      ruleId: "r",
      severity,
      message: "m",
      line: 1,
      column: 1,
      resource: { kind, namespace: "ns", name },
    });
    const results = [
      buildResult("/w/a.yaml", [finding("VirtualService", "a", 1), finding("PeerAuthentication", "p", 2)]),
      buildResult("/w/b.yaml", [finding("DestinationRule", "b", 2), finding("VirtualService", "c", 2), finding("VirtualService", "w", 2)]),
    ];
    const view = {
      resources: {
        virtualServices: [
          { kind: "VirtualService", namespace: "ns", name: "a", hosts: ["a.ns.svc.cluster.local"] },
          { kind: "VirtualService", namespace: "ns", name: "c", hosts: ["b.ns.svc.cluster.local", "c.example.com"] },
          { kind: "VirtualService", namespace: "ns", name: "w", hosts: ["*.example.com"] },
        ],
        destinationRules: [{ kind: "DestinationRule", namespace: "ns", name: "b", host: "b.ns.svc.cluster.local" }],
      },
    };
    expect(hostsOfFindings(results, view, 3)).toEqual(["b.ns.svc.cluster.local", "c.example.com", "a.ns.svc.cluster.local"]);
    expect(hostsOfFindings(results, view, 1)).toEqual(["b.ns.svc.cluster.local"]);
    expect(hostsOfFindings(results, {}, 3)).toEqual([]);
  });

  it("escapes table cells and bounds the findings listed", () => {
    const messages = Array.from({ length: 12 }, (_, i) => ({
      ruleId: "r",
      severity: 2 as const,
      message: `bad | <b>${i}</b>\nsecond line`,
      line: i + 1,
      column: 1,
      url: "https://example.test/r",
    }));
    const markdown = renderSummary([buildResult("/w/a.yaml", messages)], { cwd: "/w", top: 5 });
    expect(markdown).toContain("### Top 5 findings");
    expect(markdown).toContain("bad \\| &lt;b&gt;0&lt;/b&gt; second line");
    expect(markdown).toContain("…and 7 more findings");
    expect(markdown).toContain("| [`r`](https://example.test/r) | 12 | 0 |");
    expect(markdown).not.toContain("```mermaid");
  });
});
