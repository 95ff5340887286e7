/**
 * The picture the Istio docs draw, as nodes and edges: the resource chain (Gateway → VirtualService →
 * DestinationRule → Service → workloads, and on through an egress gateway to a ServiceEntry) beside
 * the Envoy chain (listener → route configuration → virtual host → route → cluster → endpoints),
 * with problems marked (`503 NC`, `503 UH`, TLS mismatch). Rendered by `mermaid.ts` and `dot.ts`.
 */
import type { Cluster, Route, VirtualHost, WeightedCluster } from "../envoy.js";
import type { MeshGraph } from "../index.js";
import type { OutboundScope } from "../outbound.js";
import type { Proxy } from "../proxies.js";
import { describeClientMode, tlsBetween } from "../trace.js";
import type { Resource } from "../../model/resource.js";
import type { Positions } from "./provenance.js";

export interface PictureNode {
  id: string;
  /** Lines of the label (plain text; renderers escape). */
  lines: string[];
  side: "resources" | "envoy";
  /** The proxy subgraph an Envoy node belongs to. */
  group?: string;
  kind: string;
  problem?: string;
}

export interface PictureEdge {
  from: string;
  to: string;
  label?: string;
  problem?: boolean;
  /** Resource → the Envoy object it produced. */
  produces?: boolean;
}

export interface Picture {
  title: string;
  nodes: PictureNode[];
  edges: PictureEdge[];
  /** Envoy subgraphs: id → title. */
  groups: Map<string, string>;
  truncated?: number;
}

const MAX_VIRTUAL_HOSTS = 40;

class Builder {
  readonly nodes = new Map<string, PictureNode>();
  readonly edges: PictureEdge[] = [];
  private readonly edgeKeys = new Set<string>();
  readonly groups = new Map<string, string>();
  private readonly expanded = new Set<string>();
  truncated = 0;

  constructor(
    private readonly graph: MeshGraph,
    private readonly positions: Positions,
  ) {}

  node(key: string, make: () => Omit<PictureNode, "id">): string {
    let node = this.nodes.get(key);
    if (!node) {
      node = { id: `n${this.nodes.size + 1}`, ...make() };
      this.nodes.set(key, node);
    }
    return node.id;
  }

  edge(from: string, to: string, options: Omit<PictureEdge, "from" | "to"> = {}): void {
    const key = `${from}>${to}>${options.label ?? ""}>${options.produces ? 1 : 0}`;
    if (this.edgeKeys.has(key)) return;
    this.edgeKeys.add(key);
    this.edges.push({ from, to, ...options });
  }

  resource(resource: Resource, extra: string[] = []): string {
    return this.node(`r:${resource.key}`, () => {
      const where = this.positions.at(resource);
      return {
        lines: [`${resource.kind} ${resource.namespace ? `${resource.namespace}/` : ""}${resource.name}`, ...extra, where.file ? `${where.file}:${where.line}` : "assumed (Istio install)"],
        side: "resources",
        kind: resource.kind,
      };
    });
  }

  private envoy(proxy: Proxy, key: string, kind: string, lines: string[], problem?: string): string {
    const group = `g:${proxy.id}`;
    this.groups.set(group, `Envoy ${proxy.kind} ${proxy.id}`);
    return this.node(`${proxy.id}|${key}`, () => ({ lines: problem ? [...lines, problem] : lines, side: "envoy", group, kind, problem }));
  }

  /** A proxy's virtual host and what hangs off it. */
  virtualHost(proxy: Proxy, scope: OutboundScope, listenerName: string, routeConfigName: string, vh: VirtualHost, gatewayResources: Resource[]): void {
    const key = `${proxy.id}|${routeConfigName}|${vh.name}`;
    if (this.expanded.has(key)) return;
    this.expanded.add(key);
    const listener = this.envoy(proxy, `l:${listenerName}`, "listener", [`listener ${listenerName}`]);
    const rc = this.envoy(proxy, `rc:${routeConfigName}`, "routeConfig", [`route config ${routeConfigName}`]);
    const vhost = this.envoy(proxy, `vh:${routeConfigName}:${vh.name}`, "virtualHost", [`virtual host ${vh.name}`]);
    this.edge(listener, rc);
    this.edge(rc, vhost);
    const gatewayNodes = gatewayResources.map((g) => this.resource(g));
    for (const g of gatewayNodes) this.edge(g, listener, { produces: true });
    const vsNodes = vh.virtualServices.map((vs) => this.resource(vs.resource, [`hosts: ${vs.hosts.map((h) => h.written).join(", ")}`]));
    for (const vsNode of vsNodes) {
      for (const g of gatewayNodes) this.edge(g, vsNode);
      this.edge(vsNode, vhost, { produces: true });
    }
    if (vh.service && vh.virtualServices.length === 0) this.edge(this.resource(vh.service.resource), vhost, { produces: true });
    vh.routes.forEach((route, index) => this.route(proxy, scope, vhost, `${routeConfigName}:${vh.name}:${index}`, route));
  }

  private route(proxy: Proxy, scope: OutboundScope, vhost: string, key: string, route: Route): void {
    const match = Object.keys(route.match).length === 0 ? "any request" : summarizeMatch(route.match);
    const routeNode = this.envoy(proxy, `route:${key}`, "route", [`route ${route.name}`, match]);
    this.edge(vhost, routeNode);
    const vsNode = route.virtualService ? this.resource(route.virtualService.resource) : undefined;
    const action = route.action;
    if (action.kind === "redirect" || action.kind === "directResponse" || action.kind === "delegate") {
      const target = this.envoy(proxy, `action:${key}`, "action", [action.kind === "directResponse" ? `direct response ${action.status}` : action.kind === "redirect" ? "redirect" : `delegate ${action.delegate.namespace}/${action.delegate.name}`]);
      this.edge(routeNode, target);
      return;
    }
    for (const weighted of action.clusters) {
      const clusterNode = this.cluster(proxy, scope, weighted, vsNode);
      this.edge(routeNode, clusterNode, { label: action.clusters.length > 1 ? `${weighted.weight}%` : undefined, problem: !weighted.exists });
    }
  }

  private cluster(proxy: Proxy, scope: OutboundScope, weighted: WeightedCluster, vsNode: string | undefined): string {
    const cluster = weighted.exists ? scope.cluster(weighted.name) : undefined;
    if (!cluster) {
      return this.envoy(proxy, `c:${weighted.name}`, "cluster", [`cluster ${weighted.name}`], "503 NC: no such cluster");
    }
    const endpoints = cluster.endpoints();
    const noEndpoints = endpoints.length === 0 && cluster.type === "EDS" && cluster.service?.selector !== undefined;
    const clusterNode = this.envoy(
      proxy,
      `c:${cluster.name}`,
      "cluster",
      [`cluster ${cluster.name}`, `${cluster.type}, TLS ${cluster.tls?.mode ?? "DISABLE"} (${cluster.tls?.source ?? "none"})`],
      noEndpoints ? "503 UH: no endpoints" : undefined,
    );
    this.resourceChain(cluster, clusterNode, vsNode);
    if (noEndpoints) return clusterNode;
    const limit = 6;
    for (const endpoint of endpoints.slice(0, limit)) {
      const tls = tlsBetween(this.graph, cluster, endpoint, this.positions);
      const name = endpoint.workload ? `${endpoint.workload.namespace}/${endpoint.workload.name}` : endpoint.address ?? "?";
      const endpointNode = this.envoy(proxy, `e:${cluster.name}:${name}:${endpoint.port}`, "endpoint", [`endpoint ${name}:${endpoint.port}`, endpoint.sidecar ? "with proxy" : "no sidecar"], tls.ok ? undefined : `TLS mismatch: ${describeClientMode(tls.client)} to ${tls.server}`);
      this.edge(clusterNode, endpointNode, { problem: !tls.ok });
      if (endpoint.workload) {
        const workloadNode = this.resource(endpoint.workload.resource);
        this.edge(workloadNode, endpointNode, { produces: true });
        if (endpoint.workload.gateway) this.throughGateway(endpoint.workload.namespace, endpoint.workload.name, endpoint.port, cluster, workloadNode);
      }
    }
    if (endpoints.length > limit) {
      const more = this.envoy(proxy, `e:${cluster.name}:more`, "endpoint", [`… ${endpoints.length - limit} more endpoints`]);
      this.edge(clusterNode, more);
    }
    if (endpoints.length === 0 && cluster.service) {
      const target = cluster.service.externalName ?? cluster.service.hostname;
      const external = this.envoy(proxy, `e:${cluster.name}:dns`, "endpoint", [cluster.type === "ORIGINAL_DST" ? "original destination" : `DNS ${target}`]);
      this.edge(clusterNode, external);
    }
    return clusterNode;
  }

  /** VirtualService → DestinationRule → Service/ServiceEntry → workloads, for one cluster. */
  private resourceChain(cluster: Cluster, clusterNode: string, vsNode: string | undefined): void {
    const ruleNodes = (cluster.destinationRule?.rules ?? []).map((rule) => this.resource(rule.resource, [`host: ${rule.hostWritten}`]));
    const service = cluster.service;
    const serviceNode = service ? this.resource(service.resource, [service.origin === "ServiceEntry" ? `host: ${service.hostname}` : service.hostname]) : undefined;
    for (const ruleNode of ruleNodes) {
      if (vsNode) this.edge(vsNode, ruleNode);
      if (serviceNode) this.edge(ruleNode, serviceNode);
      this.edge(ruleNode, clusterNode, { produces: true });
    }
    if (serviceNode) {
      if (vsNode && ruleNodes.length === 0) this.edge(vsNode, serviceNode);
      this.edge(serviceNode, clusterNode, { produces: true });
      for (const endpoint of cluster.endpoints().slice(0, 6)) if (endpoint.workload) this.edge(serviceNode, this.resource(endpoint.workload.resource));
    }
  }

  /** The egress (or any gateway) leg: the gateway proxy's listener for the endpoint port, for the hosts routed there. */
  private throughGateway(namespace: string, name: string, port: number, cluster: Cluster, workloadNode: string): void {
    const proxy = this.graph.proxy(`${namespace}/${name}`);
    if (!proxy || proxy.kind !== "gateway") return;
    const gateway = this.graph.gatewayProxy(proxy);
    const listener = gateway.listeners().find((l) => l.port === port);
    if (!listener) return;
    const hosts = this.hosts;
    for (const chain of listener.filterChains) {
      if (!chain.routeConfigName) continue;
      const config = gateway.routeConfig(chain.routeConfigName);
      for (const vh of config?.virtualHosts ?? []) {
        if (hosts.size > 0 && !vh.domains.some((d) => hosts.has(d))) continue;
        const gatewayResources = (listener.servers ?? []).map((s) => s.gateway.resource);
        for (const g of gatewayResources) this.edge(workloadNode, this.resource(g));
        this.virtualHost(proxy, gateway.scope, listener.name, chain.routeConfigName, vh, gatewayResources);
      }
    }
    void cluster;
  }

  /** Hosts the picture is about (empty: all). */
  hosts = new Set<string>();
}

function summarizeMatch(match: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(match)) {
    if (key === "name") continue;
    if (value && typeof value === "object" && !Array.isArray(value)) {
      const entries = Object.entries(value as Record<string, unknown>);
      const inner = entries.map(([k, v]) => (v && typeof v === "object" ? `${k} ${Object.entries(v as Record<string, unknown>).map(([a, b]) => `${a} ${String(b)}`).join(" ")}` : `${k} ${String(v)}`));
      parts.push(`${key}: ${inner.join(", ")}`);
    } else parts.push(`${key}: ${Array.isArray(value) ? value.join(",") : String(value)}`);
  }
  const text = parts.join("; ");
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The picture for a proxy (all its HTTP virtual hosts, bounded), a host (every proxy that routes it), or both. */
export function buildPicture(graph: MeshGraph, positions: Positions, options: { proxy?: Proxy; host?: string }): Picture {
  const builder = new Builder(graph, positions);
  const host = options.host?.toLowerCase();
  if (host) builder.hosts = new Set([host]);
  const wantsHost = (vh: VirtualHost) => !host || vh.domains.some((d) => d.toLowerCase() === host || d.toLowerCase().split(":")[0] === host) || vh.service?.hostname === host;
  let count = 0;
  const starts: Proxy[] = options.proxy ? [options.proxy] : host ? graph.proxies().filter((p) => p.kind === "gateway") : [];
  for (const proxy of starts) {
    const gateway = graph.gatewayProxy(proxy);
    for (const listener of proxy.kind === "gateway" ? gateway.listeners() : []) {
      for (const chain of listener.filterChains) {
        if (!chain.routeConfigName) continue;
        for (const vh of gateway.routeConfig(chain.routeConfigName)?.virtualHosts ?? []) {
          if (!wantsHost(vh)) continue;
          if (count++ >= MAX_VIRTUAL_HOSTS) continue;
          builder.virtualHost(proxy, gateway.scope, listener.name, chain.routeConfigName, vh, (listener.servers ?? []).map((s) => s.gateway.resource));
        }
      }
    }
  }
  // Sidecars: the proxy's own scope, or for a host without --proxy the scope of one sidecar that sees it.
  const sidecars: Proxy[] = options.proxy ? (options.proxy.kind === "sidecar" ? [options.proxy] : []) : host ? representativeSidecars(graph, host) : [];
  for (const proxy of sidecars) {
    const scope = graph.outboundScope(proxy.namespace, proxy.sidecar);
    for (const listener of scope.listeners()) {
      if (!listener.routeConfigName) continue;
      const config = scope.routeConfig(listener.port);
      const virtualHosts = config.virtualHosts.filter((vh) => wantsHost(vh) && (host || vh.virtualServices.length > 0));
      for (const vh of virtualHosts) {
        if (count++ >= MAX_VIRTUAL_HOSTS) continue;
        builder.virtualHost(proxy, scope, listener.name, config.name, vh, []);
      }
    }
  }
  builder.truncated = Math.max(0, count - MAX_VIRTUAL_HOSTS);
  const title = options.proxy ? `${options.proxy.id}${host ? ` → ${host}` : ""}` : host ?? "mesh";
  return { title, nodes: [...builder.nodes.values()], edges: builder.edges, groups: builder.groups, truncated: builder.truncated || undefined };
}

/** One sidecar per outbound scope that has a virtual host for the host (the first such scope only, to stay small). */
function representativeSidecars(graph: MeshGraph, host: string): Proxy[] {
  const service = graph.services.services.find((s) => s.hostname === host || `${s.name}.${s.namespace}` === host);
  const proxies = graph.proxies().filter((p) => p.kind === "sidecar");
  const preferred = service ? proxies.filter((p) => p.namespace === service.namespace) : [];
  for (const proxy of [...preferred, ...proxies]) {
    const scope = graph.outboundScope(proxy.namespace, proxy.sidecar);
    const target = scope.service(host);
    if (target && target.ports.some((p) => p.kind === "http" || p.kind === "auto")) return [proxy];
  }
  return [];
}
