/**
 * The GitHub Action's main step (`action.yml` runs it through `scripts/action/run.mjs`).
 *
 * It lints once, to JSON, with the mesh-lint CLI, then renders from that JSON:
 *   - the `github` format on stdout, which GitHub turns into annotations on the lines;
 *   - the `sarif` format into a file, for `github/codeql-action/upload-sarif`;
 *   - a Markdown job summary into `$GITHUB_STEP_SUMMARY`, with a Mermaid diagram (from `mesh-lint graph`) of
 *     the first few hosts the findings are about;
 *   - the step outputs into `$GITHUB_OUTPUT`.
 * It exits 0 when linting ran (the `fail-on` decision is a later step, so that the SARIF upload still runs),
 * and 2 when mesh-lint could not run (usage or configuration trouble).
 */
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { glob } from "glob";
import { getFormatter, type LintResult, type RuleDescriptor } from "../report/index.js";
import { rules } from "../rules/index.js";
import { rankFindings, renderSummary, type Diagram } from "./summary.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const BIN = path.join(ROOT, "bin", "mesh-lint.js");
const MANIFEST = /\.(ya?ml|json)$/i;

export type FailOn = "error" | "warning" | "never";

export interface ActionInputs {
  paths: string[];
  config?: string;
  context: string[];
  failOn: FailOn;
  sarifFile: string;
  resultsFile: string;
  onlyChanged: boolean;
  graphHosts: number;
  topFindings: number;
  args: string[];
}

export interface ActionIo {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const defaultIo = (): ActionIo => ({
  env: process.env,
  cwd: process.cwd(),
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
});

/** A list input: one entry a line, or separated by spaces. */
export function listInput(value: string | undefined): string[] {
  return (value ?? "").split(/\s+/).filter((entry) => entry.length > 0);
}

function booleanInput(name: string, value: string | undefined, fallback: boolean): boolean {
  const text = (value ?? "").trim().toLowerCase();
  if (text === "") return fallback;
  if (text === "true") return true;
  if (text === "false") return false;
  throw new InputError(`input ${name} must be true or false, not "${value}"`);
}

function countInput(name: string, value: string | undefined, fallback: number): number {
  const text = (value ?? "").trim();
  if (text === "") return fallback;
  const count = Number(text);
  if (!Number.isInteger(count) || count < 0) throw new InputError(`input ${name} must be a whole number, not "${value}"`);
  return count;
}

export class InputError extends Error {}

/** Reads the inputs from `INPUT_*` variables (set by action.yml's `env:`). */
export function readInputs(env: NodeJS.ProcessEnv): ActionInputs {
  const failOn = (env.INPUT_FAIL_ON ?? "").trim() || "error";
  if (failOn !== "error" && failOn !== "warning" && failOn !== "never") {
    throw new InputError(`input fail-on must be error, warning or never, not "${failOn}"`);
  }
  const temp = env.RUNNER_TEMP || tmpdir();
  const paths = listInput(env.INPUT_PATHS);
  return {
    paths: paths.length > 0 ? paths : ["."],
    config: (env.INPUT_CONFIG ?? "").trim() || undefined,
    context: listInput(env.INPUT_CONTEXT),
    failOn,
    sarifFile: (env.INPUT_SARIF_FILE ?? "").trim() || path.join(temp, "mesh-lint.sarif"),
    resultsFile: path.join(temp, "mesh-lint-results.json"),
    onlyChanged: booleanInput("only-changed", env.INPUT_ONLY_CHANGED, false),
    graphHosts: countInput("graph-hosts", env.INPUT_GRAPH_HOSTS, 3),
    topFindings: countInput("top-findings", env.INPUT_TOP_FINDINGS, 10),
    args: listInput(env.INPUT_ARGS),
  };
}

/** Whether the findings fail the job under `fail-on`. */
export function fails(failOn: FailOn, errors: number, warnings: number): boolean {
  if (failOn === "never") return false;
  if (failOn === "warning") return errors + warnings > 0;
  return errors > 0;
}

/** The options of `args` that `mesh-lint graph` also takes (the others are lint-only). */
export function graphArgs(args: readonly string[]): string[] {
  const withValue = new Set(["--mesh-config", "--install", "-n", "--namespace", "--ignore-pattern", "--crd"]);
  const graphTakes = new Set(["--mesh-config", "--install", "-n", "--namespace", "--ignore-pattern"]);
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const name = arg.includes("=") ? arg.slice(0, arg.indexOf("=")) : arg;
    if (arg === "--no-ignore") kept.push(arg);
    else if (graphTakes.has(name)) {
      kept.push(arg);
      if (!arg.includes("=") && i + 1 < args.length) kept.push(args[++i]!);
    } else if (withValue.has(name) && !arg.includes("=")) i++;
  }
  return kept;
}

function inputOptions(inputs: ActionInputs, context: readonly string[]): string[] {
  const options: string[] = [];
  if (inputs.config) options.push("--config", inputs.config);
  for (const entry of context) options.push("--context", entry);
  return options;
}

interface Spawned {
  code: number;
  stdout: string;
  stderr: string;
}

function runCli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Spawned> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => void (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => void (stderr += chunk));
    child.on("error", (error) => resolve({ code: 2, stdout, stderr: `${stderr}${error.message}\n` }));
    child.on("close", (code) => resolve({ code: code ?? 2, stdout, stderr }));
  });
}

function toolVersion(): string {
  try {
    return JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).version;
  } catch {
    return "0.0.0";
  }
}

function ruleDescriptors(): RuleDescriptor[] {
  return rules.map((rule) => ({ id: rule.meta.id, description: rule.meta.description, url: rule.meta.url, defaultSeverity: rule.meta.severity }));
}

function appendOutput(file: string | undefined, values: Record<string, string | number | boolean>): void {
  if (!file) return;
  let text = "";
  for (const [name, value] of Object.entries(values)) {
    const string = String(value);
    if (string.includes("\n")) {
      const delimiter = `mesh_lint_${Math.random().toString(36).slice(2)}`;
      text += `${name}<<${delimiter}\n${string}\n${delimiter}\n`;
    } else text += `${name}=${string}\n`;
  }
  appendFileSync(file, text);
}

function appendSummary(file: string | undefined, markdown: string): void {
  if (file) appendFileSync(file, markdown);
}

/** The event's JSON (`$GITHUB_EVENT_PATH`), or `{}`. */
function eventPayload(env: NodeJS.ProcessEnv): Record<string, any> {
  try {
    return env.GITHUB_EVENT_PATH ? JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, "utf8")) : {};
  } catch {
    return {};
  }
}

function git(args: string[], cwd: string): { ok: boolean; stdout: string } {
  const r = spawnSync("git", args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return { ok: r.status === 0, stdout: r.stdout ?? "" };
}

/**
 * The files a pull request changes (added, copied, modified, renamed; not deleted), absolute.
 * `undefined` when this is not a pull request or git cannot tell (then everything is linted).
 */
export function changedFiles(env: NodeJS.ProcessEnv, cwd: string, log: (text: string) => void): string[] | undefined {
  const event = eventPayload(env);
  const base: string | undefined = event.pull_request?.base?.sha;
  if (!base) {
    log(`mesh-lint: only-changed: not a pull request (${env.GITHUB_EVENT_NAME ?? "no event"}); linting everything\n`);
    return undefined;
  }
  const top = git(["rev-parse", "--show-toplevel"], cwd);
  if (!top.ok) {
    log("mesh-lint: only-changed: not a git checkout; linting everything\n");
    return undefined;
  }
  const root = top.stdout.trim();
  if (!git(["cat-file", "-e", `${base}^{commit}`], root).ok) git(["fetch", "--no-tags", "--depth=1", "origin", base], root);
  // Three dots (since the merge base) when the history has it, else two (the default checkout is the merge commit,
  // whose difference from the base is exactly the pull request's).
  let diff = git(["diff", "--name-only", "-z", "--diff-filter=ACMRT", `${base}...HEAD`], root);
  if (!diff.ok) diff = git(["diff", "--name-only", "-z", "--diff-filter=ACMRT", base, "HEAD"], root);
  if (!diff.ok) {
    log(`mesh-lint: only-changed: cannot diff against the base ${base} (check out with fetch-depth: 0); linting everything\n`);
    return undefined;
  }
  return diff.stdout
    .split("\0")
    .filter((name) => name.length > 0)
    .map((name) => path.resolve(root, name));
}

/** The changed manifests that the `paths` select (a file, a directory, or a glob). */
export async function selectChanged(changed: readonly string[], paths: readonly string[], cwd: string): Promise<string[]> {
  const manifests = changed.filter((file) => MANIFEST.test(file) && existsSync(file));
  const selected = new Set<string>();
  const globbed: string[] = [];
  for (const entry of paths) {
    const absolute = path.resolve(cwd, entry);
    let stat;
    try {
      stat = statSync(absolute);
    } catch {
      globbed.push(entry);
      continue;
    }
    for (const file of manifests) {
      if (stat.isDirectory() ? file.startsWith(absolute.endsWith(path.sep) ? absolute : absolute + path.sep) : file === absolute) {
        selected.add(file);
      }
    }
  }
  if (globbed.length > 0) {
    const matched = new Set((await glob(globbed, { cwd, absolute: true, dot: false, nodir: true })).map((file) => path.resolve(file)));
    for (const file of manifests) if (matched.has(file)) selected.add(file);
  }
  return [...selected].sort();
}

/** The hosts of the resources the findings are about (VirtualService hosts, DestinationRule host...), in finding order. */
export function hostsOfFindings(results: readonly LintResult[], meshView: unknown, limit: number): string[] {
  const byResource = new Map<string, string[]>();
  const resources = (meshView as { resources?: Record<string, unknown> } | null)?.resources ?? {};
  for (const list of Object.values(resources)) {
    if (!Array.isArray(list)) continue;
    for (const entry of list as Array<Record<string, unknown>>) {
      if (!["VirtualService", "DestinationRule", "ServiceEntry", "Service"].includes(String(entry.kind))) continue;
      const hosts = [
        ...(typeof entry.host === "string" ? [entry.host] : []),
        ...(Array.isArray(entry.hosts) ? entry.hosts.filter((host): host is string => typeof host === "string") : []),
      ].filter((host) => !host.includes("*"));
      if (hosts.length > 0) byResource.set(`${entry.kind}/${entry.namespace ?? ""}/${entry.name}`, hosts);
    }
  }
  const hosts: string[] = [];
  for (const { message } of rankFindings(results)) {
    if (hosts.length >= limit) break;
    const resource = message.resource;
    if (!resource) continue;
    for (const host of byResource.get(`${resource.kind}/${resource.namespace ?? ""}/${resource.name}`) ?? []) {
      if (hosts.length < limit && !hosts.includes(host)) hosts.push(host);
    }
  }
  return hosts;
}

/** Largest diagram put in the summary (GitHub limits a step's summary to 1 MiB, and Mermaid renders big graphs poorly). */
const MAX_DIAGRAM = 40_000;

async function diagrams(results: readonly LintResult[], inputs: ActionInputs, files: readonly string[], context: readonly string[], io: ActionIo): Promise<Diagram[]> {
  if (inputs.graphHosts === 0 || !results.some((result) => result.messages.some((message) => message.resource))) return [];
  const input = [...inputOptions(inputs, context), ...graphArgs(inputs.args), "--", ...files];
  const view = await runCli(["graph", "--format", "json", ...input], io.cwd, io.env);
  if (view.code !== 0) {
    io.stderr(`mesh-lint: no route diagrams: mesh-lint graph exited ${view.code}\n${view.stderr}`);
    return [];
  }
  let hosts: string[];
  try {
    hosts = hostsOfFindings(results, JSON.parse(view.stdout), inputs.graphHosts);
  } catch (error) {
    io.stderr(`mesh-lint: no route diagrams: ${(error as Error).message}\n`);
    return [];
  }
  const pictures = await Promise.all(hosts.map((host) => runCli(["graph", "--format", "mermaid", "--host", host, ...input], io.cwd, io.env)));
  const shown: Diagram[] = [];
  pictures.forEach((picture, i) => {
    const source = picture.stdout.trim();
    if (picture.code !== 0 || source === "") io.stderr(`mesh-lint: no diagram for ${hosts[i]}: exit ${picture.code}\n${picture.stderr}`);
    else if (source.length > MAX_DIAGRAM) io.stderr(`mesh-lint: the diagram of ${hosts[i]} is too big for the summary (${source.length} characters)\n`);
    else if (!/^\s*empty\[/m.test(source)) shown.push({ title: hosts[i]!, mermaid: source });
  });
  return shown;
}

/** A link to a file of the repository at the commit being checked, on GitHub. */
function fileLinker(env: NodeJS.ProcessEnv): ((file: string, line: number) => string | undefined) | undefined {
  const server = env.GITHUB_SERVER_URL;
  const repository = env.GITHUB_REPOSITORY;
  const sha = eventPayload(env).pull_request?.head?.sha ?? env.GITHUB_SHA;
  if (!server || !repository || !sha) return undefined;
  return (file, line) => `${server}/${repository}/blob/${sha}/${file.split("/").map(encodeURIComponent).join("/")}${line >= 1 ? `#L${line}` : ""}`;
}

/** Runs the action's main step; resolves to the exit code. */
export async function runAction(io: ActionIo = defaultIo()): Promise<number> {
  const { env } = io;
  const started = performance.now();
  let inputs: ActionInputs;
  try {
    inputs = readInputs(env);
  } catch (error) {
    io.stdout(`::error title=mesh-lint::${(error as Error).message}\n`);
    return 2;
  }
  // Annotations and SARIF name files relative to the repository root, as GitHub resolves them.
  const workspace = env.GITHUB_WORKSPACE ? path.resolve(env.GITHUB_WORKSPACE) : io.cwd;

  let files = inputs.paths;
  let context = inputs.context;
  let note: string | undefined;
  if (inputs.onlyChanged) {
    const changed = changedFiles(env, io.cwd, io.stderr);
    if (changed) {
      files = await selectChanged(changed, inputs.paths, io.cwd);
      // The rest of the paths inform the analysis of the changed files (a DestinationRule nobody touched still counts).
      context = [...new Set([...inputs.paths, ...inputs.context])];
      note = `Linted the ${files.length} changed manifest${files.length === 1 ? "" : "s"} of this pull request, with ${context.map((entry) => `\`${entry}\``).join(", ")} as context.`;
      if (files.length === 0) {
        io.stderr("mesh-lint: no changed manifests to lint\n");
        appendSummary(env.GITHUB_STEP_SUMMARY, `## mesh-lint\n\n✅ This pull request changes no manifests under ${inputs.paths.map((entry) => `\`${entry}\``).join(", ")}.\n`);
        appendOutput(env.GITHUB_OUTPUT, { errors: 0, warnings: 0, "sarif-file": "", "results-file": "", failed: false });
        return 0;
      }
    }
  }

  mkdirSync(path.dirname(inputs.resultsFile), { recursive: true });
  const lintArgs = ["--format", "json", "--output-file", inputs.resultsFile, ...inputOptions(inputs, context), ...inputs.args, "--", ...files];
  const lint = await runCli(lintArgs, io.cwd, env);
  if (lint.stderr) io.stderr(lint.stderr);
  if (lint.code !== 0 && lint.code !== 1) {
    const reason = lint.stderr.trim().split("\n")[0] ?? `exit ${lint.code}`;
    io.stdout(`::error title=mesh-lint::mesh-lint could not run: ${reason.replace(/%/g, "%25").replace(/\r?\n/g, "%0A")}\n`);
    appendSummary(env.GITHUB_STEP_SUMMARY, `## mesh-lint\n\n❌ mesh-lint could not run (exit ${lint.code}):\n\n\`\`\`\n${lint.stderr.trim()}\n\`\`\`\n`);
    appendOutput(env.GITHUB_OUTPUT, { errors: 0, warnings: 0, "sarif-file": "", "results-file": "", failed: true });
    return 2;
  }
  const results = JSON.parse(readFileSync(inputs.resultsFile, "utf8")) as LintResult[];
  const errors = results.reduce((sum, result) => sum + result.errorCount, 0);
  const warnings = results.reduce((sum, result) => sum + result.warningCount, 0);
  const context0 = { cwd: workspace, rules: ruleDescriptors(), color: false, toolVersion: toolVersion() };

  // 1. annotations
  const annotations = getFormatter("github")!(results, context0);
  if (annotations) io.stdout(`${annotations}\n`);
  // 2. SARIF
  const sarifFile = path.resolve(io.cwd, inputs.sarifFile);
  mkdirSync(path.dirname(sarifFile), { recursive: true });
  writeFileSync(sarifFile, getFormatter("sarif")!(results, context0));
  // 3. job summary
  if (env.GITHUB_STEP_SUMMARY) {
    const pictures = await diagrams(results, inputs, files, context, io);
    appendSummary(
      env.GITHUB_STEP_SUMMARY,
      renderSummary(results, { cwd: workspace, top: inputs.topFindings, fileLink: fileLinker(env), diagrams: pictures, note }),
    );
  }
  const failed = fails(inputs.failOn, errors, warnings);
  appendOutput(env.GITHUB_OUTPUT, { errors, warnings, "sarif-file": sarifFile, "results-file": inputs.resultsFile, failed });
  io.stderr(
    `mesh-lint: ${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"} in ${results.length} file${results.length === 1 ? "" : "s"} ` +
      `(${((performance.now() - started) / 1000).toFixed(1)} s); fail-on: ${inputs.failOn}${failed ? " → failing" : ""}\n`,
  );
  return 0;
}
