import { readFileSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ConfigError, loadConfig, type LoadedConfig } from "../config/index.js";
import { lint } from "../engine/lint.js";
import { progressWanted, ProgressLine } from "./progress.js";
import { DEFAULT_MESH, parseMeshConfig, type MeshSettings } from "../model/mesh.js";
import { formatterNames, getFormatter } from "../report/index.js";
import { rules } from "../rules/index.js";
import type { Severity } from "../rules/types.js";

const VERSION: string = (() => {
  try {
    return JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;
  } catch {
    return "0.0.0";
  }
})();

const HELP = `mesh-lint [options] [file|dir|glob|-]...

Lints Istio and Kubernetes manifests: validates every object as the API server would and checks
the Envoy configuration Istio would generate from them.

Options:
  -f, --format NAME          stylish (default), json, sarif, github
  -o, --output-file FILE     write the report to FILE
      --quiet                report errors only
      --max-warnings N       exit 1 when there are more than N warnings
  -c, --config FILE          configuration file (default: .mesh-lint.yaml found upward)
      --context PATH         load PATH (file, dir, glob) for analysis only; repeatable
      --mesh-config FILE     Istio MeshConfig YAML or the istio ConfigMap
      --install PROFILE      assumed Istio installation: default, demo, none
  -n, --namespace NS         namespace of objects that name none (default: default)
      --crd FILE             CustomResourceDefinitions replacing the bundled Istio schemas; repeatable
      --rule ID:SEVERITY     set a rule's severity (off, warn, error); repeatable
      --ignore-pattern PAT   .gitignore-style pattern of files to skip; repeatable
      --no-ignore            do not use .gitignore, .mesh-lintignore or ignore patterns
      --report-unused-disable-directives
                             warn about mesh-lint-disable comments that suppress nothing
      --stdin-filename NAME  name to report for input read from stdin (-)
      --color / --no-color   force or disable colours
      --debug                explain skipped documents and files
      --timing               print stage timings (ms) as JSON on stderr
  -h, --help                 show this help
  -v, --version              show the version

Exit codes: 0 no errors, 1 errors (or too many warnings), 2 usage, configuration or internal trouble.

Commands (see mesh-lint graph --help, mesh-lint trace --help):
  mesh-lint graph [paths...] [--proxy NS/WORKLOAD] [--host HOST] [--format json|yaml|mermaid|dot]
                             the Envoy configuration Istio would generate, per proxy or mesh-wide
  mesh-lint trace --from NS/WORKLOAD [-H 'name: value']... [--method GET] URL [paths...]
                             follow one request through it, hop by hop, to its outcome
`;

const OPTIONS = {
  format: { type: "string", short: "f" },
  "output-file": { type: "string", short: "o" },
  quiet: { type: "boolean" },
  "max-warnings": { type: "string" },
  config: { type: "string", short: "c" },
  context: { type: "string", multiple: true },
  "mesh-config": { type: "string" },
  install: { type: "string" },
  namespace: { type: "string", short: "n" },
  crd: { type: "string", multiple: true },
  rule: { type: "string", multiple: true },
  "ignore-pattern": { type: "string", multiple: true },
  "no-ignore": { type: "boolean" },
  "report-unused-disable-directives": { type: "boolean" },
  "stdin-filename": { type: "string" },
  color: { type: "boolean" },
  "no-color": { type: "boolean" },
  debug: { type: "boolean" },
  timing: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} satisfies ParseArgsConfig["options"];

class UsageError extends Error {}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
  cwd: string;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  /** Whether stderr is a terminal (the progress line is drawn only there); absent: it is not. */
  stderrIsTTY?: boolean;
  /** The terminal's width, for the progress line. */
  columns?: () => number | undefined;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const defaultIo = (): CliIo => ({
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin,
  cwd: process.cwd(),
  isTTY: Boolean(process.stdout.isTTY),
  env: process.env,
  stderrIsTTY: Boolean(process.stderr.isTTY),
  columns: () => process.stderr.columns,
});

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  try {
    if (argv[0] === "graph" || argv[0] === "trace") {
      const shared = { meshSettings, usageError: (message: string) => new UsageError(message) };
      if (argv[0] === "graph") return await (await import("./graph.js")).graphCommand(argv.slice(1), io, shared);
      return await (await import("./trace.js")).traceCommand(argv.slice(1), io, shared);
    }
    return await run(argv, io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      io.stderr(`mesh-lint: ${error.message}\n`);
      return 2;
    }
    io.stderr(`mesh-lint: internal error: ${(error as Error)?.stack ?? error}\n`);
    return 2;
  }
}

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\nRun mesh-lint --help for usage.`);
  }
}

async function meshSettings(values: ReturnType<typeof parse>["values"], loaded: LoadedConfig, cwd: string): Promise<MeshSettings> {
  const meshConfigFile = values["mesh-config"]
    ? resolve(cwd, values["mesh-config"])
    : loaded.config.mesh?.meshConfig
      ? resolve(loaded.directory, loaded.config.mesh.meshConfig)
      : undefined;
  let mesh: MeshSettings = { ...DEFAULT_MESH };
  const fromConfig = loaded.config.mesh ?? {};
  if (fromConfig.rootNamespace) mesh.rootNamespace = fromConfig.rootNamespace;
  if (fromConfig.trustDomain) mesh.trustDomain = fromConfig.trustDomain;
  if (fromConfig.outboundTrafficPolicy) mesh.outboundTrafficPolicy = fromConfig.outboundTrafficPolicy;
  if (fromConfig.enableAutoMtls !== undefined) mesh.enableAutoMtls = fromConfig.enableAutoMtls;
  if (fromConfig.install) mesh.install = fromConfig.install;
  if (fromConfig.requireEgressGateway !== undefined) mesh.requireEgressGateway = fromConfig.requireEgressGateway;
  if (meshConfigFile) {
    let text: string;
    try {
      text = await readFile(meshConfigFile, "utf8");
    } catch (error) {
      throw new UsageError(`cannot read the mesh config ${meshConfigFile}: ${(error as NodeJS.ErrnoException).code ?? error}`);
    }
    try {
      mesh = parseMeshConfig(text, mesh, meshConfigFile);
    } catch (error) {
      throw new UsageError(`${meshConfigFile}: ${(error as Error).message}`);
    }
  }
  if (values.install) {
    if (!["default", "demo", "none"].includes(values.install)) {
      throw new UsageError(`--install must be default, demo or none, not ${values.install}`);
    }
    mesh.install = values.install as MeshSettings["install"];
  }
  return mesh;
}

function ruleSeverities(values: ReturnType<typeof parse>["values"], loaded: LoadedConfig): Record<string, Severity> {
  const known = new Set(rules.map((rule) => rule.meta.id));
  const severities: Record<string, Severity> = {};
  for (const [id, severity] of Object.entries(loaded.config.rules ?? {})) {
    if (!known.has(id)) throw new ConfigError(`${loaded.path}: rules.${id}: there is no rule "${id}" (known: ${[...known].join(", ")})`);
    severities[id] = severity;
  }
  for (const entry of values.rule ?? []) {
    const match = /^([\w-]+)\s*[:=]\s*(off|warn|error)$/.exec(entry.trim());
    if (!match) throw new UsageError(`--rule expects ID:SEVERITY (off, warn, error), not "${entry}"`);
    if (!known.has(match[1])) throw new UsageError(`--rule: there is no rule "${match[1]}"`);
    severities[match[1]] = match[2] as Severity;
  }
  return severities;
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv);
  if (values.help) {
    io.stdout(HELP);
    return 0;
  }
  if (values.version) {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  const formatName = values.format ?? "stylish";
  const formatter = getFormatter(formatName);
  if (!formatter) throw new UsageError(`unknown format "${formatName}" (known: ${formatterNames.join(", ")})`);
  let maxWarnings = -1;
  if (values["max-warnings"] !== undefined) {
    maxWarnings = Number(values["max-warnings"]);
    if (!Number.isInteger(maxWarnings) || maxWarnings < -1) throw new UsageError("--max-warnings expects a whole number");
  }
  const loaded = loadConfig(io.cwd, values.config);
  const mesh = await meshSettings(values, loaded, io.cwd);
  const severities = ruleSeverities(values, loaded);
  const namespace = values.namespace ?? loaded.config.namespace ?? "default";
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) throw new UsageError(`--namespace: "${namespace}" is not a valid namespace name`);

  const patterns = positionals.length > 0 ? positionals : [];
  if (patterns.length === 0) throw new UsageError("no files given: pass files, directories, globs, or - for stdin.\nRun mesh-lint --help for usage.");
  const stdin = patterns.includes("-") ? { text: await io.readStdin(), filename: values["stdin-filename"] } : undefined;
  const useIgnore = !values["no-ignore"];
  const relativeToConfig = (pattern: string) => (pattern.startsWith("/") ? pattern : resolve(loaded.directory, pattern));
  const contextPatterns = [...(values.context ?? []), ...(loaded.config.context ?? []).map(relativeToConfig)];
  const debug = values.debug ? (message: string) => io.stderr(`mesh-lint:debug ${message}\n`) : undefined;
  if (debug && loaded.path) debug(`configuration: ${loaded.path}`);

  const progress = progressWanted({ stderrIsTTY: io.stderrIsTTY, env: io.env, debug: Boolean(debug) })
    ? new ProgressLine(io.stderr, { columns: io.columns })
    : undefined;
  const output = await lint({
    cwd: io.cwd,
    patterns,
    stdin,
    contextPatterns,
    ignorePatterns: useIgnore
      ? [...(values["ignore-pattern"] ?? []), ...(loaded.config.ignorePatterns ?? [])]
      : [],
    useIgnoreFiles: useIgnore,
    reportUnusedDisableDirectives: Boolean(values["report-unused-disable-directives"] ?? loaded.config.reportUnusedDisableDirectives),
    namespace,
    mesh,
    ruleSeverities: severities,
    crdFiles: [...(values.crd ?? []), ...(loaded.config.crds ?? []).map(relativeToConfig)],
    debug,
    ...(progress ? { onProgress: (event) => progress.update(event) } : {}),
  }).finally(() => progress?.clear());
  for (const warning of output.warnings) io.stderr(`mesh-lint: warning: ${warning}\n`);
  if (output.unmatched.length > 0) {
    io.stderr(
      output.unmatched.map((pattern) => `mesh-lint: No files matching the pattern "${pattern}" were found.\n`).join(""),
    );
    return 2;
  }

  let results = output.results;
  if (values.quiet) {
    results = results.map((result) => ({
      ...result,
      messages: result.messages.filter((message) => message.severity === 2),
      warningCount: 0,
    }));
  }
  const color = values["no-color"]
    ? false
    : values.color
      ? true
      : io.isTTY && !values["output-file"] && !io.env.NO_COLOR && io.env.TERM !== "dumb";
  const text = formatter(results, { cwd: io.cwd, rules: output.rules, color, toolVersion: VERSION });
  if (values["output-file"]) {
    const target = resolve(io.cwd, values["output-file"]);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, text);
  } else if (text) {
    io.stdout(text.endsWith("\n") ? text : `${text}\n`);
  }
  if (values.timing) io.stderr(`${JSON.stringify({ timings: output.timings })}\n`);

  if (output.failures.length > 0) {
    for (const { ruleId, error } of output.failures) {
      io.stderr(`mesh-lint: internal error in rule ${ruleId} (its messages are missing; the other rules' are above): ${(error as Error)?.stack ?? error}\n`);
    }
    return 2;
  }
  const errors = output.results.reduce((sum, result) => sum + result.errorCount, 0);
  const warnings = output.results.reduce((sum, result) => sum + result.warningCount, 0);
  if (errors > 0) return 1;
  if (maxWarnings >= 0 && warnings > maxWarnings) {
    io.stderr(`mesh-lint found too many warnings (maximum: ${maxWarnings}).\n`);
    return 1;
  }
  return 0;
}
