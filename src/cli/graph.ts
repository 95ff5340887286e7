/**
 * `mesh-lint graph`: the Envoy configuration Istio would generate, for one proxy or the whole mesh,
 * as JSON, YAML, a Mermaid flowchart or Graphviz DOT. Also the input loading `trace` shares.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { loadConfig, type LoadedConfig } from "../config/index.js";
import { loadGraph, type LoadedGraph } from "../engine/lint.js";
import type { MeshGraph } from "../graph/index.js";
import type { Proxy } from "../graph/proxies.js";
import { toDot } from "../graph/render/dot.js";
import { meshView, proxyView, toJson } from "../graph/render/json.js";
import { toMermaid } from "../graph/render/mermaid.js";
import { buildPicture } from "../graph/render/picture.js";
import { Positions } from "../graph/render/provenance.js";
import { toYaml } from "../graph/render/yaml.js";
import type { MeshSettings } from "../model/mesh.js";
import type { CliIo } from "./main.js";

/** What the commands borrow from the lint CLI (so that options mean the same everywhere). */
export interface CommandShared {
  meshSettings(values: { "mesh-config"?: string; install?: string }, loaded: LoadedConfig, cwd: string): Promise<MeshSettings>;
  usageError(message: string): Error;
}

/** Options every graph command takes to load its input, as `mesh-lint` lint runs do. */
export const INPUT_OPTIONS = {
  config: { type: "string", short: "c" },
  context: { type: "string", multiple: true },
  "mesh-config": { type: "string" },
  install: { type: "string" },
  namespace: { type: "string", short: "n" },
  "ignore-pattern": { type: "string", multiple: true },
  "no-ignore": { type: "boolean" },
  debug: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} satisfies ParseArgsConfig["options"];

export interface InputValues {
  config?: string;
  context?: string[];
  "mesh-config"?: string;
  install?: string;
  namespace?: string;
  "ignore-pattern"?: string[];
  "no-ignore"?: boolean;
  debug?: boolean;
}

export const INPUT_HELP = `Input options (as for linting):
  -c, --config FILE          configuration file (default: .mesh-lint.yaml found upward)
      --context PATH         load PATH too (file, dir, glob); repeatable
      --mesh-config FILE     Istio MeshConfig YAML or the istio ConfigMap
      --install PROFILE      assumed Istio installation: default, demo (adds the egress gateway), none
  -n, --namespace NS         namespace of objects that name none (default: default)
      --ignore-pattern PAT   .gitignore-style pattern of files to skip; repeatable
      --no-ignore            do not use .gitignore, .mesh-lintignore or ignore patterns
      --debug                explain skipped documents and files
  -h, --help                 show this help
`;

const GRAPH_HELP = `mesh-lint graph [paths...] [--proxy NAMESPACE/WORKLOAD] [--host HOST] [--format json|yaml|mermaid|dot]

Shows the Envoy configuration Istio would generate from the manifests, without a cluster.

  json, yaml   with --proxy: that proxy's listeners, route configurations and clusters (with
               endpoints), named as istioctl proxy-config names them, each with the resource and
               file:line it came from; --host narrows them to one host. Without --proxy: the mesh
               view (proxies, and which listeners, virtual hosts and clusters each resource feeds).
  mermaid      a flowchart (renders on GitHub) of the resource chain beside the Envoy chain for a
               proxy (--proxy) or a host (--host), problems in red (503 NC, 503 UH, TLS mismatch).
  dot          the same picture for Graphviz.

Options:
  -f, --format NAME          json (default), yaml, mermaid, dot
      --proxy NS/WORKLOAD    the proxy (sidecar workload or gateway) to show
      --host HOST            the host to show (FQDN or gateway host)
  -o, --output-file FILE     write the output to FILE
${INPUT_HELP}
Exit codes: 0 shown, 2 usage or input trouble.
`;

const GRAPH_OPTIONS = {
  ...INPUT_OPTIONS,
  format: { type: "string", short: "f" },
  proxy: { type: "string" },
  host: { type: "string" },
  "output-file": { type: "string", short: "o" },
} satisfies ParseArgsConfig["options"];

/** Loads paths (default `.`) into the model and graph, as a lint run would. */
export async function loadForCommand(values: InputValues, paths: string[], io: CliIo, shared: CommandShared): Promise<LoadedGraph> {
  const loaded = loadConfig(io.cwd, values.config);
  const mesh = await shared.meshSettings(values, loaded, io.cwd);
  const namespace = values.namespace ?? loaded.config.namespace ?? "default";
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) throw shared.usageError(`--namespace: "${namespace}" is not a valid namespace name`);
  const relativeToConfig = (pattern: string) => (pattern.startsWith("/") ? pattern : resolve(loaded.directory, pattern));
  const patterns = paths.length > 0 ? paths : ["."];
  const useIgnore = !values["no-ignore"];
  const debug = values.debug ? (message: string) => io.stderr(`mesh-lint:debug ${message}\n`) : undefined;
  const result = await loadGraph({
    cwd: io.cwd,
    patterns,
    stdin: patterns.includes("-") ? { text: await io.readStdin() } : undefined,
    contextPatterns: [...(values.context ?? []), ...(loaded.config.context ?? []).map(relativeToConfig)],
    ignorePatterns: useIgnore ? [...(values["ignore-pattern"] ?? []), ...(loaded.config.ignorePatterns ?? [])] : [],
    useIgnoreFiles: useIgnore,
    namespace,
    mesh,
    debug,
  });
  for (const warning of result.warnings) io.stderr(`mesh-lint: warning: ${warning}\n`);
  if (result.unmatched.length > 0) {
    throw shared.usageError(result.unmatched.map((pattern) => `No files matching the pattern "${pattern}" were found.`).join("\n"));
  }
  return result;
}

export function proxyList(graph: MeshGraph): string {
  const proxies = graph.proxies().map((p) => `  ${p.id} (${p.kind})`).sort();
  return proxies.length > 0 ? `proxies in the input:\n${proxies.join("\n")}\n` : "the input has no proxy (no workload with a sidecar, no gateway)\n";
}

export async function graphCommand(argv: string[], io: CliIo, shared: CommandShared): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: GRAPH_OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw shared.usageError(`${(error as Error).message}\nRun mesh-lint graph --help for usage.`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(GRAPH_HELP);
    return 0;
  }
  const format = values.format ?? "json";
  if (!["json", "yaml", "mermaid", "dot"].includes(format)) throw shared.usageError(`unknown graph format "${format}" (known: json, yaml, mermaid, dot)`);
  const { graph } = await loadForCommand(values, positionals, io, shared);
  let proxy: Proxy | undefined;
  if (values.proxy) {
    proxy = graph.proxy(values.proxy);
    if (!proxy) {
      io.stderr(`mesh-lint: no proxy ${values.proxy} in the input\n${proxyList(graph)}`);
      return 2;
    }
  }
  const positions = new Positions(io.cwd);
  const host = values.host?.toLowerCase();
  let text: string;
  if (format === "mermaid" || format === "dot") {
    if (!proxy && !host) throw shared.usageError(`--format ${format} draws one proxy or one host: give --proxy NAMESPACE/WORKLOAD or --host HOST`);
    const picture = buildPicture(graph, positions, { proxy, host });
    text = format === "mermaid" ? toMermaid(picture) : toDot(picture);
  } else {
    const view = proxy ? proxyView(graph, proxy, positions, host) : meshView(graph, positions);
    text = format === "json" ? toJson(view) : toYaml(view);
  }
  if (values["output-file"]) {
    const target = resolve(io.cwd, values["output-file"]);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, text);
  } else io.stdout(text);
  return 0;
}
