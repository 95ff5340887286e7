/**
 * `mesh-lint trace`: follows one request through the translated graph and says what Envoy would do
 * with it, hop by hop.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { SUCCESS_OUTCOMES, TraceError, traceRequest, type TraceCluster, type TraceHop, type TraceResult } from "../graph/trace.js";
import { INPUT_HELP, INPUT_OPTIONS, loadForCommand, proxyList, type CommandShared } from "./graph.js";
import type { CliIo } from "./main.js";

const TRACE_HELP = `mesh-lint trace --from NAMESPACE/WORKLOAD [-H 'name: value']... [--method GET] URL [paths...]

Follows one request through the Envoy configuration Istio would generate, the way Envoy would: the
client proxy's listener, route configuration, virtual host, the first matching route (and the
VirtualService line it came from), the weighted clusters, their endpoints, the client and server TLS
modes, and on through a gateway when the request goes to one. The argument with a scheme (http://,
https://) is the request; the others are the paths to load, in any order.

Outcomes: delivered, passthrough (ALLOW_ANY to an unknown host), redirect; and the failures
404 NR (no route), 503 NC (no such cluster), 503 UH (no endpoints), TLS mismatch (connection reset),
blackhole (REGISTRY_ONLY: 502), no listener, direct response.

Options:
      --from NS/WORKLOAD     the client: a workload with a sidecar, or a gateway (istio-system/istio-ingressgateway)
  -H, --header 'N: V'        a request header; repeatable (Host: sets the authority)
  -X, --method METHOD        the request method (default GET)
  -f, --format NAME          text (default) or json
      --color / --no-color   force or disable colours (default: on a terminal, unless NO_COLOR)
${INPUT_HELP}
Exit codes: 0 delivered (or passthrough, redirect), 1 a failure outcome, 2 usage or unknown --from.
`;

const TRACE_OPTIONS = {
  ...INPUT_OPTIONS,
  from: { type: "string" },
  header: { type: "string", short: "H", multiple: true },
  method: { type: "string", short: "X" },
  format: { type: "string", short: "f" },
  color: { type: "boolean" },
  "no-color": { type: "boolean" },
} satisfies ParseArgsConfig["options"];

const URL_ARGUMENT = /^[a-z][a-z0-9+.-]*:\/\//i;

export async function traceCommand(argv: string[], io: CliIo, shared: CommandShared): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: TRACE_OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw shared.usageError(`${(error as Error).message}\nRun mesh-lint trace --help for usage.`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(TRACE_HELP);
    return 0;
  }
  const urls = positionals.filter((arg) => URL_ARGUMENT.test(arg));
  const paths = positionals.filter((arg) => !URL_ARGUMENT.test(arg));
  if (urls.length !== 1) throw shared.usageError(`trace needs exactly one URL (http://host[:port]/path), got ${urls.length}\nRun mesh-lint trace --help for usage.`);
  if (!values.from) throw shared.usageError("trace needs --from NAMESPACE/WORKLOAD (the proxy that sends the request)");
  const format = values.format ?? "text";
  if (format !== "text" && format !== "json") throw shared.usageError(`unknown trace format "${format}" (known: text, json)`);
  const headers: Record<string, string> = {};
  for (const header of values.header ?? []) {
    const colon = header.indexOf(":", header.startsWith(":") ? 1 : 0);
    if (colon <= 0) throw shared.usageError(`-H expects 'name: value', not "${header}"`);
    headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
  }
  const { graph } = await loadForCommand(values, paths, io, shared);
  let result: TraceResult;
  try {
    result = traceRequest(graph, { from: values.from, url: urls[0], method: values.method, headers }, { cwd: io.cwd });
  } catch (error) {
    if (!(error instanceof TraceError)) throw error;
    io.stderr(`mesh-lint: ${error.message}\n${error.proxies.length > 0 || graph.proxies().length === 0 ? proxyList(graph) : ""}`);
    return 2;
  }
  if (format === "json") io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const color = values["no-color"] ? false : values.color ? true : io.isTTY && !io.env.NO_COLOR && io.env.TERM !== "dumb";
    io.stdout(formatTrace(result, color));
  }
  return SUCCESS_OUTCOMES.has(result.outcome) ? 0 : 1;
}

const paint = (on: boolean) => (code: number, text: string) => (on ? `\u001b[${code}m${text}\u001b[0m` : text);

/** The readable summary: one block per hop, then the outcome. */
export function formatTrace(result: TraceResult, color = false): string {
  const c = paint(color);
  const good = (outcome: string) => outcome === "delivered" || outcome === "forwarded" || outcome === "passthrough" || outcome === "redirect";
  const outcomeText = (outcome: string) => c(good(outcome) ? 32 : 31, outcome);
  const { request } = result;
  const lines: string[] = [];
  const headerText = Object.entries(request.headers).map(([k, v]) => ` -H '${k}: ${v}'`).join("");
  lines.push(`${c(1, "trace")} ${request.method} ${request.url}${headerText} ${c(2, `(authority ${request.authority})`)}`);
  result.hops.forEach((hop, index) => {
    lines.push("", `${c(1, `hop ${index + 1}`)}  ${hop.proxyKind} ${c(36, hop.proxy)}`);
    const row = (name: string, value: string) => lines.push(`  ${name.padEnd(13)} ${value}`);
    row("listener", hop.listener ?? "-");
    if (hop.filterChain) row("filter chain", hop.filterChain);
    if (hop.routeConfig) row("route config", hop.routeConfig);
    if (hop.virtualHost) row("virtual host", hop.virtualHost);
    if (hop.route) {
      const where = hop.route.file ? c(2, ` ${hop.route.file}:${hop.route.line}`) : "";
      const owner = hop.route.resource ? `${hop.route.resource.kind} ${hop.route.resource.namespace}/${hop.route.resource.name}` : "default route";
      const match = Object.keys(hop.route.match).length ? ` match ${JSON.stringify(hop.route.match)}` : "";
      row("route", `${hop.route.name} (${owner})${where}${match}`);
    }
    for (const [i, cluster] of hop.clusters.entries()) row(i === 0 ? "clusters" : "", clusterLine(cluster, hop, c, outcomeText));
    if (hop.endpoints.length > 0) {
      const shown = hop.endpoints.slice(0, 5).map((e) => `${e.workload ?? e.address}:${e.port}${e.workload ? (e.sidecar ? "" : " (no sidecar)") : ""}`);
      row("endpoints", `${shown.join(", ")}${hop.endpoints.length > 5 ? `, … ${hop.endpoints.length - 5} more` : ""}`);
    }
    if (hop.tls) {
      const client = `${hop.tls.client} (${hop.tls.clientSource}${hop.tls.clientFrom?.file ? ` ${hop.tls.clientFrom.file}:${hop.tls.clientFrom.line}` : ""})`;
      row("tls", `client ${client} → server ${hop.tls.server}  ${hop.tls.ok ? c(32, "ok") : c(31, "MISMATCH")}`);
    }
    row("→", `${outcomeText(hop.outcome)}${hop.reason ? ` ${c(2, hop.reason)}` : ""}`);
  });
  lines.push("", `${c(1, "outcome:")} ${outcomeText(result.outcome)}${result.reason ? ` — ${result.reason}` : ""}`);
  return `${lines.join("\n")}\n`;
}

function clusterLine(cluster: TraceCluster, hop: TraceHop, c: ReturnType<typeof paint>, outcomeText: (o: string) => string): string {
  const followed = cluster.name === hop.cluster && hop.clusters.length > 1 ? c(1, " ← followed") : "";
  const where = cluster.destination?.file ? c(2, ` ${cluster.destination.file}:${cluster.destination.line}`) : "";
  return `${cluster.name}  ${cluster.weight}%  ${outcomeText(cluster.outcome)}${followed}${where}`;
}
