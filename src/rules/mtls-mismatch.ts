import type { Cluster, ClusterTls, DestinationRuleInfo, MeshGraph, MeshService, OutboundScope, Provenance, ServicePort, SubsetInfo, VirtualServiceInfo, Workload } from "../graph/index.js";
import { outboundClusterName } from "../graph/envoy.js";
import { clusterTls, endpointsOf, gatewaysAllow } from "../graph/outbound.js";
import { effectiveMtlsProvenance, type EffectiveMtls } from "../graph/peer-authentication.js";
import { provenanceKey } from "../graph/types.js";
import { selects, workloadInAmbientMode } from "../graph/workloads.js";
import { hostMatches } from "../model/hosts.js";
import { asArray, asRecord, asString, readRecord } from "../model/resource.js";
import { ruleUrl, type Rule } from "./types.js";

/**
 * `mtls-mismatch`: a client proxy whose cluster TLS the server's inbound listener cannot accept.
 *
 * Client side, per client (the sidecars of a namespace under their Sidecar resource, and gateway
 * proxies) and per cluster its routes and listeners use: the DestinationRule's explicit `tls` (as
 * the client's namespace sees it), else auto mTLS (plaintext when the service's namespace- or
 * mesh-level PeerAuthentication is DISABLE; else Istio mTLS to endpoints with a sidecar whose port is
 * not DISABLE, plaintext to the others). Server side, per endpoint: the effective PeerAuthentication
 * of its target port (port > workload > namespace > mesh), or plaintext only without a sidecar.
 *
 * Breaks: plaintext to STRICT; Istio mTLS (`ISTIO_MUTUAL`) to DISABLE or to no sidecar; TLS the
 * sidecar originates with other certificates (`SIMPLE`, `MUTUAL`) to STRICT (the server's sidecar
 * requires an Istio client certificate). One message per deciding YAML node and server host.
 */

type Kind = "plaintextToStrict" | "inferredPlaintextToStrict" | "noAutoMtlsToStrict" | "istioMutualToPlaintext" | "tlsToStrict";

interface Client {
  /** `namespace shop-backend` or `gateway istio-system/istio-ingressgateway`, for messages. */
  kind: "namespace" | "gateway";
  name: string;
  scope: OutboundScope;
  /** Pod labels for DestinationRules with a workloadSelector (only set when one may apply). */
  labels?: Readonly<Record<string, string>>;
  clusters: () => Cluster[];
}

interface Finding {
  kind: Kind;
  node: Provenance;
  host: string;
  mode: string;
  /** The DestinationRule mode that marked the endpoints when the cluster itself has no tls (see ClusterTls). */
  markedBy?: string;
  clients: Map<string, Client>;
  ports: Set<string>;
  /** Server workloads by the reason they refuse the client's traffic. */
  servers: Map<string, Set<string>>;
  level?: string;
}

const RESET = '503 "upstream connect error or disconnect/reset before headers"';

export const mtlsMismatch: Rule = {
  meta: {
    id: "mtls-mismatch",
    description: "Client TLS (DestinationRule or auto mTLS) that the server's PeerAuthentication mode or missing sidecar cannot accept",
    severity: "error",
    url: ruleUrl("mtls-mismatch"),
    istioCodes: [],
    inputs: ["DestinationRule", "PeerAuthentication", "Service", "ServiceEntry", "Sidecar", "VirtualService", "Gateway", "Namespace", "Deployment", "Pod", "WorkloadEntry"],
    messages: {
      plaintextToStrict:
        `{{setting}} makes {{clients}} send plaintext to {{host}} {{ports}}, but {{servers}}: the server's sidecar resets the connection and clients get ${RESET}. Remove this tls setting so that auto mTLS sends Istio mTLS, or set mode ISTIO_MUTUAL.`,
      inferredPlaintextToStrict:
        `mTLS mode DISABLE at {{level}} level makes auto mTLS send plaintext from {{clients}} to {{host}} {{ports}} (Istio infers a service's mode from namespace- and mesh-level policies only), but {{servers}}: the server's sidecar resets the connection and clients get ${RESET}. Set tls mode ISTIO_MUTUAL in a DestinationRule for {{host}}, or make the policies agree.`,
      noAutoMtlsToStrict:
        `STRICT here, but auto mTLS is off (enableAutoMtls: false) and no DestinationRule sets tls for {{host}}: {{clients}} send plaintext to {{host}} {{ports}}, where {{servers}}. The server's sidecar resets the connection and clients get ${RESET}. Add a DestinationRule for {{host}} with tls mode ISTIO_MUTUAL.`,
      istioMutualToPlaintext:
        `tls mode ISTIO_MUTUAL makes {{clients}} send Istio mutual TLS to {{host}} {{ports}}, but {{servers}}: the TLS handshake fails and clients get ${RESET}. Remove this tls setting (auto mTLS sends plaintext where the server does not take mTLS), or set mode DISABLE.`,
      tlsToStrict:
        `tls mode {{mode}} makes {{clients}} originate TLS to {{host}} {{ports}} with certificates that are not the mesh's, but {{servers}}: the server's sidecar requires an Istio client certificate, the handshake fails and clients get ${RESET}. Use ISTIO_MUTUAL for a service in the mesh, or make the server port PERMISSIVE so that its sidecar passes the application's TLS through.`,
    },
  },
  check(context) {
    const { graph } = context;
    const findings = new Map<string, Finding>();
    const servers = new ServerIndex(graph);
    for (const client of clientsOf(graph, servers)) {
      for (const cluster of client.clusters()) {
        const service = cluster.service;
        const port = cluster.port;
        if (!service || !port) continue;
        const tls = clientTls(graph, client, cluster);
        if (!tls || (tls.source === "auto" && tls.mode === "ISTIO_MUTUAL")) continue;
        for (const endpoint of servers.endpoints(service, port, cluster.subset)) {
          const { workload, server } = endpoint;
          const found = mismatch(tls, server, endpoint.port, workload);
          if (!found) continue;
          // The deciding node may sit in a context or assumed resource (never reported): then point at
          // the server's side of the mismatch, in the linted input.
          const outcome = found.node.resource.origin === "lint" ? found : { ...found, node: serverNode(server, endpoint.port, workload) };
          const key = `${outcome.kind}|${provenanceKey(outcome.node)}|${service.hostname}`;
          let finding = findings.get(key);
          if (!finding) {
            finding = {
              kind: outcome.kind,
              node: outcome.node,
              host: service.hostname,
              mode: tls.mode,
              markedBy: tls.endpointsMarkedBy,
              clients: new Map(),
              ports: new Set(),
              servers: new Map(),
              level: outcome.level,
            };
            findings.set(key, finding);
          }
          finding.clients.set(`${client.kind}:${client.name}`, client);
          finding.ports.add(endpoint.port === port.port ? String(port.port) : `${port.port} (target port ${endpoint.port})`);
          const workloads = finding.servers.get(outcome.reason) ?? new Set<string>();
          workloads.add(workload.name);
          finding.servers.set(outcome.reason, workloads);
        }
      }
    }
    for (const finding of findings.values()) {
      context.report({
        messageId: finding.kind,
        data: {
          clients: clientsText([...finding.clients.values()]),
          host: finding.host,
          ports: `${finding.ports.size === 1 ? "port" : "ports"} ${list([...finding.ports].sort(byNumber))}`,
          servers: serversText(finding),
          mode: finding.mode,
          setting: settingText(finding),
          level: finding.level ?? "",
        },
        resource: finding.node.resource,
        path: finding.node.path,
      });
    }
  },
};

/** What goes wrong between one client cluster TLS and one server endpoint, if anything. */
function mismatch(
  tls: ClusterTls,
  server: EffectiveMtls | undefined,
  targetPort: number,
  workload: Workload,
): { kind: Kind; node: Provenance; reason: string; level?: string } | undefined {
  const strictBy = server?.mode === "STRICT" ? `accept only mutual TLS there (STRICT from ${policyName(server)})` : undefined;
  if (tls.mode === "DISABLE") {
    if (!strictBy || !server) return undefined;
    if (tls.source === "destination-rule" && tls.provenance) return { kind: "plaintextToStrict", node: tls.provenance, reason: strictBy };
    if (tls.source === "auto" && tls.inferredFrom?.policy) {
      const node = effectiveMtlsProvenance(tls.inferredFrom);
      if (node) return { kind: "inferredPlaintextToStrict", node, reason: strictBy, level: tls.inferredFrom.level };
    }
    if (tls.source === "none") {
      const node = effectiveMtlsProvenance(server, targetPort);
      if (node) return { kind: "noAutoMtlsToStrict", node, reason: "accept only mutual TLS" };
    }
    return undefined;
  }
  if (tls.source !== "destination-rule" || !tls.provenance) return undefined;
  if (tls.mode === "ISTIO_MUTUAL") {
    if (!server) return { kind: "istioMutualToPlaintext", node: tls.provenance, reason: `run without a sidecar (${workload.sidecar.reason}) and accept plaintext only` };
    if (server.mode === "DISABLE") {
      return { kind: "istioMutualToPlaintext", node: tls.provenance, reason: `accept plaintext only there (DISABLE from ${policyName(server)})` };
    }
    return undefined;
  }
  // SIMPLE or MUTUAL: TLS with the DestinationRule's certificates.
  if (strictBy) return { kind: "tlsToStrict", node: tls.provenance, reason: strictBy };
  return undefined;
}

/** The server side of a mismatch: the PeerAuthentication mode that decides the port, or the pod labels (no sidecar). */
function serverNode(server: EffectiveMtls | undefined, targetPort: number, workload: Workload): Provenance {
  const policy = server ? effectiveMtlsProvenance(server, targetPort) : undefined;
  if (policy) return policy;
  const path = "sidecar.istio.io/inject" in workload.labels ? [...workload.labelsPath, "sidecar.istio.io/inject"] : workload.labelsPath;
  return { resource: workload.resource, path };
}

function policyName(mtls: EffectiveMtls): string {
  if (!mtls.policy) return "the default";
  return `PeerAuthentication ${mtls.policy.namespace}/${mtls.policy.name}, ${mtls.level}-level`;
}

/**
 * The TLS a client's cluster uses. The scope's cluster already follows the DestinationRule the
 * client's namespace sees; a DestinationRule with a workloadSelector can replace it for some pods.
 */
function clientTls(graph: MeshGraph, client: Client, cluster: Cluster): ClusterTls | undefined {
  const tls = cluster.tls;
  if (!tls || !client.labels || !cluster.service || !cluster.port) return tls;
  const service = cluster.service;
  const rule = graph.destinationRules.forClient(client.scope.namespace, service.hostname, service.namespace, client.labels);
  if (rule === cluster.destinationRule) return tls;
  const subset = cluster.subset ? rule?.subsets.get(cluster.subset.name) : undefined;
  if (cluster.subset && !subset) return undefined;
  return clusterTls(graph, rule, service, cluster.port.port, subset);
}

/** A server endpoint as the rule judges it: a workload of the input (not assumed) that is not a gateway nor in ambient mode. */
interface ServerEndpoint {
  workload: Workload;
  /** Target port. */
  port: number;
  /** The effective PeerAuthentication of the port; undefined without a sidecar (plaintext only). */
  server?: EffectiveMtls;
}

/**
 * The servers, independent of the client: their endpoints and inbound modes (cached), and whether
 * any client could possibly mismatch them, from the TLS modes the DestinationRules for the host
 * write anywhere and from auto mTLS. Most services are not candidates, so clients skip them cheaply.
 */
class ServerIndex {
  private readonly endpointCache = new Map<MeshService, Map<string, ServerEndpoint[]>>();
  private readonly candidateCache = new Map<MeshService, boolean>();
  private readonly rulesByHost = new Map<string, DestinationRuleInfo[]>();
  private readonly wildcardRules: DestinationRuleInfo[] = [];

  constructor(private readonly graph: MeshGraph) {
    for (const rule of graph.destinationRules.rules) {
      if (rule.host.startsWith("*")) this.wildcardRules.push(rule);
      else {
        const list = this.rulesByHost.get(rule.host);
        if (list) list.push(rule);
        else this.rulesByHost.set(rule.host, [rule]);
      }
    }
  }

  endpoints(service: MeshService, port: ServicePort, subset: SubsetInfo | undefined): ServerEndpoint[] {
    let byKey = this.endpointCache.get(service);
    if (!byKey) this.endpointCache.set(service, (byKey = new Map()));
    const key = `${port.port}|${subset ? JSON.stringify(subset.labels) : ""}`;
    let list = byKey.get(key);
    if (!list) {
      list = [];
      for (const endpoint of endpointsOf(this.graph, service, port, subset)) {
        const workload = endpoint.workload;
        // (The assumed control plane is not judged: what istiod accepts on its ports is its own TLS, and
        // no one's application is known to call it.)
        if (!workload || workload.gateway || workload.resource.origin === "assumed") continue;
        if (workloadInAmbientMode(workload, this.graph.namespaces.get(workload.namespace))) continue;
        const server = endpoint.sidecar ? this.graph.peerAuthentications.effective(workload, endpoint.port) : undefined;
        list.push({ workload, port: endpoint.port, server });
      }
      byKey.set(key, list);
    }
    return list;
  }

  /** Whether some client TLS could mismatch one of the service's endpoints. */
  candidate(service: MeshService): boolean {
    let result = this.candidateCache.get(service);
    if (result === undefined) {
      result = this.computeCandidate(service);
      this.candidateCache.set(service, result);
    }
    return result;
  }

  private computeCandidate(service: MeshService): boolean {
    if (service.location === "MESH_EXTERNAL") return false;
    // What clients may send: Istio mTLS where a server takes plaintext only; plaintext or other TLS
    // where a server is STRICT. Mostly neither, and the endpoints need not be looked at.
    const modes = new Set<string>();
    for (const rule of this.rulesByHost.get(service.hostname) ?? []) collectTlsModes(rule, modes);
    for (const rule of this.wildcardRules) if (hostMatches(rule.host, service.hostname)) collectTlsModes(rule, modes);
    const istioMutual = modes.has("ISTIO_MUTUAL");
    const notIstioMutual =
      modes.has("DISABLE") ||
      modes.has("SIMPLE") ||
      modes.has("MUTUAL") ||
      !this.graph.mesh.enableAutoMtls ||
      this.graph.peerAuthentications.namespaceLevelMode(service.namespace).mode === "DISABLE";
    if (!istioMutual && !notIstioMutual) return false;
    let strict = false;
    let plaintextOnly = false;
    for (const port of service.ports) {
      for (const endpoint of this.endpoints(service, port, undefined)) {
        if (!endpoint.server || endpoint.server.mode === "DISABLE") plaintextOnly = true;
        else if (endpoint.server.mode === "STRICT") strict = true;
      }
    }
    return (plaintextOnly && istioMutual) || (strict && notIstioMutual);
  }
}

/** Every tls mode a DestinationRule writes (a tls block without mode: DISABLE): top-level, port-level, per subset. */
function collectTlsModes(rule: DestinationRuleInfo, modes: Set<string>): void {
  addTlsModes(rule.trafficPolicy, modes);
  for (const subset of rule.subsets) addTlsModes(subset.trafficPolicy, modes);
}

function addTlsModes(policy: Record<string, unknown> | undefined, modes: Set<string>): void {
  if (!policy) return;
  addTlsMode(policy.tls, modes);
  const settings = policy.portLevelSettings;
  if (!Array.isArray(settings)) return;
  for (const setting of settings) addTlsMode(readRecord(setting).tls, modes);
}

function addTlsMode(tls: unknown, modes: Set<string>): void {
  if (tls === null || typeof tls !== "object" || Array.isArray(tls)) return;
  modes.add(asString((tls as Record<string, unknown>).mode) ?? "DISABLE");
}

/**
 * The clients the input shows: the sidecars of each namespace (per Sidecar resource, and per
 * DestinationRule workloadSelector that picks some of them), and gateway proxies (the assumed
 * ingress gateway included) for the services their routes send to. Namespaces without a sidecar
 * workload in the input are not guessed to hold clients.
 */
function clientsOf(graph: MeshGraph, servers: ServerIndex): Client[] {
  const clients: Client[] = [];
  const referenced = new Map<OutboundScope, Cluster[]>();
  const candidates = graph.services.services.filter((service) => servers.candidate(service));
  if (candidates.length === 0) return [];
  const candidateHosts = new Set(candidates.map((service) => service.hostname));
  // VirtualServices with a route to a candidate: only these can make a sidecar use a subset cluster of it.
  const routing = graph.virtualServices.filter((vs) => vs.routes.some((route) => route.destinations.some((d) => candidateHosts.has(d.host))));
  const sidecarClusters = (scope: OutboundScope) => () => {
    let clusters = referenced.get(scope);
    if (!clusters) {
      clusters = scopeClusters(scope, candidates, routing, servers);
      referenced.set(scope, clusters);
    }
    return clusters;
  };
  // DestinationRules with a workload selector, by namespace (they apply to the pods they select there).
  const selectorRulesByNamespace = new Map<string, DestinationRuleInfo[]>();
  for (const rule of graph.destinationRules.rules) {
    if (!rule.workloadSelector) continue;
    const list = selectorRulesByNamespace.get(rule.namespace);
    if (list) list.push(rule);
    else selectorRulesByNamespace.set(rule.namespace, [rule]);
  }
  const selectorRules = (namespace: string): readonly DestinationRuleInfo[] => selectorRulesByNamespace.get(namespace) ?? [];
  const seen = new Set<string>();
  for (const proxy of graph.proxies()) {
    if (proxy.kind === "sidecar") {
      const scope = graph.outboundScope(proxy.namespace, proxy.sidecar);
      const selecting = selectorRules(proxy.namespace).filter((rule) => selects(rule.workloadSelector, proxy.workload.labels));
      const key = `${proxy.namespace}|${proxy.sidecar?.resource.key ?? ""}|${selecting.map((rule) => rule.resource.key).join(",")}`;
      if (seen.has(key)) continue;
      seen.add(key);
      clients.push({
        kind: "namespace",
        name: proxy.namespace,
        scope,
        labels: selecting.length > 0 ? proxy.workload.labels : undefined,
        clusters: sidecarClusters(scope),
      });
    } else {
      const gateway = graph.gatewayProxy(proxy);
      const selecting = selectorRules(proxy.namespace).some((rule) => selects(rule.workloadSelector, proxy.workload.labels));
      clients.push({
        kind: "gateway",
        name: proxy.id,
        scope: gateway.scope,
        labels: selecting ? proxy.workload.labels : undefined,
        clusters: () => {
          const names = new Set<string>();
          for (const config of gateway.routeConfigs()) for (const vh of config.virtualHosts) for (const route of vh.routes) addRouteClusters(route.action, names);
          for (const listener of gateway.listeners()) for (const chain of listener.filterChains) for (const c of chain.clusters ?? []) names.add(c.name);
          return [...names].flatMap((name) => {
            const cluster = gateway.scope.cluster(name);
            return cluster?.service && servers.candidate(cluster.service) ? [cluster] : [];
          });
        },
      });
    }
  }
  return clients;
}

/**
 * The clusters of candidate services a sidecar scope sends requests to: the default cluster of
 * each port when no VirtualService takes the host, and the clusters the routes of the
 * VirtualServices the scope applies name (mirrors left out: a failing mirror breaks no request).
 */
function scopeClusters(scope: OutboundScope, candidates: MeshService[], routing: VirtualServiceInfo[], servers: ServerIndex): Cluster[] {
  const names = new Set<string>();
  for (const service of candidates) {
    if (!scope.serviceVisible(service) || scope.service(service.hostname) !== service) continue;
    const vs = scope.virtualServiceFor(service.hostname);
    for (const port of service.ports) {
      // A VirtualService with routes for the port's protocol replaces the default route.
      const protocols = port.kind === "http" || port.kind === "auto" ? ["http"] : port.kind === "tls" ? ["tls", "tcp"] : ["tcp"];
      if (vs && vs.routes.some((route) => protocols.includes(route.protocol))) continue;
      if (scope.serviceVisible(service, port.port)) names.add(outboundClusterName(port.port, undefined, service.hostname));
    }
  }
  const applied = new Set(scope.virtualServices());
  for (const vs of routing) {
    if (!applied.has(vs) || !vs.hosts.some((h) => scope.virtualServiceFor(h.host) === vs)) continue;
    for (const route of vs.routes) {
      if (route.matches.length > 0 && !route.matches.some((match) => gatewaysAllow(match, ["mesh"], vs.namespace))) continue;
      for (const destination of route.destinations) {
        const service = scope.service(destination.host);
        if (!service || !servers.candidate(service)) continue;
        const ports = destination.port !== undefined ? [destination.port] : service.ports.map((p) => p.port);
        for (const port of ports) names.add(outboundClusterName(port, destination.subset, service.hostname));
      }
    }
  }
  return [...names].flatMap((name) => scope.cluster(name) ?? []);
}

function addRouteClusters(action: { kind: string; clusters?: { name: string; exists: boolean }[] }, names: Set<string>): void {
  if (action.kind !== "route") return;
  for (const c of action.clusters ?? []) if (c.exists) names.add(c.name);
}

function clientsText(clients: Client[]): string {
  const namespaces = clients.filter((c) => c.kind === "namespace").map((c) => c.name);
  const gateways = clients.filter((c) => c.kind === "gateway").map((c) => c.name);
  const parts: string[] = [];
  const uniqueNamespaces = [...new Set(namespaces)].sort();
  if (uniqueNamespaces.length > 0) parts.push(`the sidecars in ${uniqueNamespaces.length === 1 ? "namespace" : "namespaces"} ${list(uniqueNamespaces)}`);
  const uniqueGateways = [...new Set(gateways)].sort();
  if (uniqueGateways.length > 0) parts.push(`the ${uniqueGateways.length === 1 ? "gateway" : "gateways"} ${list(uniqueGateways)}`);
  return parts.join(" and ");
}

function serversText(finding: Finding): string {
  return [...finding.servers.entries()]
    .map(([reason, names]) => {
      const sorted = [...names].sort();
      const subject = `${sorted.length === 1 ? "workload" : "workloads"} ${list(sorted)}`;
      // `accept`/`run` agree with a plural subject; one workload takes the -s form.
      const verb = sorted.length === 1 ? reason.replace(/^(accept|run)\b/, "$1s").replace(/ and accept /, " and accepts ") : reason;
      return `${subject} ${verb}`;
    })
    .join("; ");
}

/** `a`, `a and b`, `a, b and c`; past `max` items, `a, b, c, d, e and 7 more`. */
function list(items: string[], max = 6): string {
  if (items.length <= 1) return items.join("");
  if (items.length > max) return `${items.slice(0, max - 1).join(", ")} and ${items.length - max + 1} more`;
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

function byNumber(a: string, b: string): number {
  return parseInt(a, 10) - parseInt(b, 10) || a.localeCompare(b);
}

/** The client setting that sends plaintext, as the message names it. */
function settingText(finding: Finding): string {
  // A tls block without mode is mode DISABLE (the deciding node is then the block).
  const written = finding.node.path.at(-1) === "tls" ? "tls without a mode (mode DISABLE, its default)" : `tls mode ${finding.markedBy ?? finding.mode}`;
  if (!finding.markedBy || finding.markedBy === "DISABLE") return written;
  return `${written}, which a portLevelSettings entry without tls leaves out of the cluster (auto mTLS then marks the endpoints plaintext, as this mode is not ISTIO_MUTUAL),`;
}
