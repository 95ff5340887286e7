/**
 * Proxies and the whole Envoy configuration each receives: sidecars (outbound from their scope,
 * inbound from the services that select them) and gateways (listeners from Gateway servers, routes
 * merged from the VirtualServices bound to them).
 */
import { hostMatches } from "../model/hosts.js";
import {
  inboundClusterName,
  type Cluster,
  type Endpoint,
  type FilterChain,
  type Listener,
  type RouteConfiguration,
  type VirtualHost,
  type WeightedCluster,
} from "./envoy.js";
import type { GatewayInfo, GatewayServer } from "./gateways.js";
import type { MeshGraph } from "./index.js";
import {
  OutboundScope,
  gatewayVirtualServices,
  gatewaysAllow,
  graphDelegateResolver,
  isCatchAllMatch,
  targetPortOf,
  translateHttpRoutes,
  weightedDestinations,
} from "./outbound.js";
import { portKind } from "./services.js";
import type { SidecarInfo } from "./sidecars.js";
import type { Provenance, Workload } from "./types.js";
import type { RouteProtocol, VirtualServiceInfo } from "./virtual-services.js";

export interface Proxy {
  /** `namespace/name` of the workload. */
  id: string;
  kind: "sidecar" | "gateway";
  workload: Workload;
  namespace: string;
  /** The Sidecar resource scoping a sidecar proxy. */
  sidecar?: SidecarInfo;
}

export interface ProxyConfig {
  proxy: Proxy;
  listeners: Listener[];
  routeConfigs: RouteConfiguration[];
  clusters: Cluster[];
}

/** One Gateway server bound to a gateway proxy's listener port. */
export interface BoundServer {
  gateway: GatewayInfo;
  server: GatewayServer;
  /** The container port the gateway listens on for this server. */
  targetPort: number;
}

function serverKind(server: GatewayServer): "http" | "https" | "tls" | "tcp" {
  const protocol = server.port.protocol;
  const mode = String(server.tls?.mode ?? "");
  if (protocol === "HTTPS") return mode === "PASSTHROUGH" || mode === "AUTO_PASSTHROUGH" ? "tls" : "https";
  if (protocol === "TLS") return "tls";
  if (protocol !== undefined && portKind(protocol) === "http") return "http";
  return "tcp";
}

/**
 * Which routes of the VirtualServices bound to a gateway server istiod turns into Envoy config for it
 * (its gateway listener builder): `http` routes for HTTP servers (HTTP, HTTP2, gRPC, gRPC-Web) and
 * HTTPS servers that terminate TLS; `tls` routes (by SNI) for PASSTHROUGH servers; `tcp` routes for
 * the other servers (TCP, or TLS and the like, terminated or not). None for AUTO_PASSTHROUGH servers,
 * which route by SNI to services, not by VirtualServices.
 */
export function serverRouteKind(server: GatewayServer): RouteProtocol | undefined {
  const protocol = server.port.protocol;
  const mode = server.tls ? String(server.tls.mode ?? "") : undefined;
  if (mode === "AUTO_PASSTHROUGH") return undefined;
  const passthrough = mode === "PASSTHROUGH";
  if (protocol !== undefined && portKind(protocol) === "http") return "http";
  if (protocol === "HTTPS" && !passthrough) return "http";
  return passthrough ? "tls" : "tcp";
}

/** The host a VirtualService host and a Gateway server host have in common (the more specific), if any. */
export function commonHost(vsHost: string, serverHost: string): string | undefined {
  if (hostMatches(serverHost, vsHost)) return vsHost;
  if (hostMatches(vsHost, serverHost)) return serverHost;
  return undefined;
}

/** Whether a Gateway server admits a VirtualService (its namespace part) and which of its hosts. */
export function serverHostsFor(server: GatewayServer, vs: VirtualServiceInfo): string[] {
  const hosts: string[] = [];
  for (const entry of server.hosts) {
    if (entry.namespace !== "*" && entry.namespace !== vs.namespace) continue;
    for (const { host } of vs.hosts) {
      const common = commonHost(host, entry.host);
      if (common && !hosts.includes(common)) hosts.push(common);
    }
  }
  return hosts;
}

export class GatewayProxy {
  readonly scope: OutboundScope;
  private boundCache?: BoundServer[];
  private readonly routeConfigCache = new Map<string, RouteConfiguration>();

  constructor(
    private readonly graph: MeshGraph,
    readonly proxy: Proxy,
  ) {
    this.scope = graph.outboundScope(proxy.namespace);
  }

  /** Gateways whose selector picks this proxy's workload. */
  gateways(): GatewayInfo[] {
    return this.graph.gateways.filter((gateway) => this.graph.gatewayWorkloads(gateway).includes(this.proxy.workload));
  }

  /** The container port for a Gateway server port: through the Service in front of the gateway. */
  targetPort(number: number): number {
    for (const service of this.graph.servicesOf(this.proxy.workload)) {
      const port = service.ports.find((p) => p.port === number);
      if (port) return targetPortOf(port, this.proxy.workload) ?? number;
    }
    return number;
  }

  servers(): BoundServer[] {
    this.boundCache ??= this.gateways().flatMap((gateway) =>
      gateway.servers.map((server) => ({ gateway, server, targetPort: this.targetPort(server.port.number) })),
    );
    return this.boundCache;
  }

  /**
   * VirtualServices bound to a Gateway and visible to this proxy's namespace, in Istio's order: those
   * private to the proxy's namespace, then those exported to it by name, then public ones; inside each
   * group by creation time, then name.
   */
  virtualServicesFor(gateway: GatewayInfo): VirtualServiceInfo[] {
    return gatewayVirtualServices(this.graph, gateway.key, this.proxy.namespace);
  }

  /** Route configuration name for a server, as istiod names it. */
  routeConfigName(bound: BoundServer): string {
    const kind = serverKind(bound.server);
    if (kind === "https") {
      return `https.${bound.server.port.number}.${bound.server.port.name}.${bound.gateway.name}.${bound.gateway.namespace}`;
    }
    return `http.${bound.targetPort}`;
  }

  routeConfigs(): RouteConfiguration[] {
    const names = new Set<string>();
    for (const bound of this.servers()) {
      const kind = serverKind(bound.server);
      if (kind === "http" || kind === "https") names.add(this.routeConfigName(bound));
    }
    return [...names].map((name) => this.routeConfig(name)!);
  }

  /**
   * An HTTP route configuration: a virtual host per host the bound servers serve; the routes of all
   * VirtualServices for that host bound to those gateways are appended in order (Istio merges them),
   * then istiod moves the catch-all routes to the end, keeping the order of the others
   * (`SortVHostRoutes`): a catch-all of one VirtualService does not shadow the next one's routes.
   */
  routeConfig(name: string): RouteConfiguration | undefined {
    const cached = this.routeConfigCache.get(name);
    if (cached) return cached;
    const servers = this.servers().filter((bound) => {
      const kind = serverKind(bound.server);
      return (kind === "http" || kind === "https") && this.routeConfigName(bound) === name;
    });
    if (servers.length === 0) return undefined;
    const hosts = new Map<string, VirtualHost>();
    for (const bound of servers) {
      const gateways = [bound.gateway.key];
      for (const vs of this.virtualServicesFor(bound.gateway)) {
        for (const host of serverHostsFor(bound.server, vs)) {
          let virtualHost = hosts.get(host);
          if (!virtualHost) {
            virtualHost = { name: `${host}:${bound.server.port.number}`, domains: [host, `${host}:*`], routes: [], virtualServices: [] };
            hosts.set(host, virtualHost);
          }
          if (virtualHost.virtualServices.includes(vs)) continue;
          virtualHost.virtualServices.push(vs);
          virtualHost.routes.push(
            ...translateHttpRoutes(
              vs,
              bound.server.port.number,
              gateways,
              (destination) => this.scope.destinationCluster(destination, bound.server.port.number),
              graphDelegateResolver(this.graph),
            ),
          );
        }
      }
    }
    for (const virtualHost of hosts.values()) {
      const catchAll = virtualHost.routes.filter((route) => isCatchAllMatch(route.match, this.proxy.workload));
      if (catchAll.length > 0) virtualHost.routes = [...virtualHost.routes.filter((route) => !catchAll.includes(route)), ...catchAll];
    }
    const config = { name, virtualHosts: [...hosts.values()] };
    this.routeConfigCache.set(name, config);
    return config;
  }

  listeners(): Listener[] {
    const listeners = new Map<number, Listener>();
    for (const bound of this.servers()) {
      let listener = listeners.get(bound.targetPort);
      const kind = serverKind(bound.server);
      if (!listener) {
        listener = {
          name: `0.0.0.0_${bound.targetPort}`,
          address: "0.0.0.0",
          port: bound.targetPort,
          direction: "gateway",
          protocol: kind === "http" ? "http" : kind === "tcp" ? "tcp" : "tls",
          routeConfigName: kind === "http" ? this.routeConfigName(bound) : undefined,
          filterChains: [],
          servers: [],
          provenance: [],
        };
        listeners.set(bound.targetPort, listener);
      }
      listener.servers!.push({ gateway: bound.gateway, server: bound.server });
      listener.provenance.push(bound.server.provenance);
      const chain: FilterChain = {
        match: kind === "http" || kind === "tcp" ? {} : { serverNames: bound.server.hosts.map((h) => h.host) },
        tlsMode: bound.server.tls ? String(bound.server.tls.mode ?? "SIMPLE") : undefined,
        provenance: [bound.server.provenance],
      };
      if (kind === "http" || kind === "https") chain.routeConfigName = this.routeConfigName(bound);
      else chain.clusters = this.streamClusters(bound);
      listener.filterChains.push(chain);
    }
    return [...listeners.values()];
  }

  /** TCP / TLS passthrough targets of the VirtualServices bound to a server (its kind of routes: {@link serverRouteKind}). */
  private streamClusters(bound: BoundServer): WeightedCluster[] {
    const port = bound.server.port.number;
    const kind = serverRouteKind(bound.server);
    if (kind === undefined || kind === "http") return [];
    for (const vs of this.virtualServicesFor(bound.gateway)) {
      if (serverHostsFor(bound.server, vs).length === 0) continue;
      for (const route of vs.routes) {
        if (route.protocol !== kind) continue;
        const applies =
          route.matches.length === 0 ||
          route.matches.some((match) => (match.port === undefined || match.port === port) && gatewaysAllow(match, [bound.gateway.key], vs.namespace));
        if (applies) return weightedDestinations(route.destinations, (destination) => this.scope.destinationCluster(destination, port));
      }
    }
    return [];
  }

  clusters(): Cluster[] {
    const names = new Set<string>();
    for (const config of this.routeConfigs()) {
      for (const vh of config.virtualHosts) {
        for (const route of vh.routes) {
          if (route.action.kind === "route") for (const c of [...route.action.clusters, ...route.action.mirrors]) names.add(c.name);
        }
      }
    }
    for (const listener of this.listeners()) for (const chain of listener.filterChains) for (const c of chain.clusters ?? []) names.add(c.name);
    return [...names].flatMap((name) => this.scope.cluster(name) ?? []);
  }
}

/** Inbound configuration of a sidecar: `virtualInbound` with one filter chain per target port. */
export function inboundListener(graph: MeshGraph, workload: Workload): { listener: Listener; clusters: Cluster[] } {
  const chains = new Map<number, FilterChain>();
  const clusters: Cluster[] = [];
  for (const service of graph.servicesOf(workload)) {
    for (const port of service.ports) {
      const target = targetPortOf(port, workload);
      if (target === undefined) continue;
      let chain = chains.get(target);
      if (!chain) {
        chain = {
          match: { destinationPort: target },
          mtls: graph.peerAuthentications.effective(workload, target),
          clusters: [{ name: inboundClusterName(target), weight: 100, exists: true }],
          provenance: [],
        };
        chains.set(target, chain);
        const endpoint: Endpoint = {
          workload,
          port: target,
          labels: workload.labels,
          sidecar: workload.sidecar.injected,
          provenance: { resource: workload.resource, path: workload.labelsPath },
        };
        clusters.push({
          name: inboundClusterName(target),
          direction: "inbound",
          type: "STATIC",
          service,
          port,
          endpoints: () => [endpoint],
          provenance: [port.provenance],
        });
      }
      chain.provenance.push(port.provenance);
    }
  }
  const provenance: Provenance[] = [...chains.values()].flatMap((chain) => chain.provenance);
  return {
    listener: {
      name: "virtualInbound",
      address: "0.0.0.0",
      port: 15006,
      direction: "inbound",
      protocol: "auto",
      filterChains: [...chains.values()].sort((a, b) => (a.match.destinationPort ?? 0) - (b.match.destinationPort ?? 0)),
      provenance,
    },
    clusters,
  };
}

function specialClusters(policy: "ALLOW_ANY" | "REGISTRY_ONLY"): Cluster[] {
  const special = (name: string, type: Cluster["type"]): Cluster => ({
    name,
    direction: "special",
    type,
    endpoints: () => [],
    provenance: [],
  });
  return [
    special("BlackHoleCluster", "STATIC"),
    special("PassthroughCluster", "ORIGINAL_DST"),
    special("InboundPassthroughCluster", "ORIGINAL_DST"),
  ].filter((cluster) => policy === "ALLOW_ANY" || cluster.name !== "PassthroughCluster");
}

/** Every proxy of the input: workloads with a sidecar, and gateway workloads. */
export function collectProxies(graph: MeshGraph): Proxy[] {
  return graph.workloads
    .filter((workload) => workload.gateway || workload.sidecar.injected)
    .map((workload) => ({
      id: `${workload.namespace}/${workload.name}`,
      kind: workload.gateway ? ("gateway" as const) : ("sidecar" as const),
      workload,
      namespace: workload.namespace,
      sidecar: workload.gateway ? undefined : graph.sidecarOf(workload),
    }));
}

/** The full Envoy configuration of one proxy (for `mesh-lint graph --proxy` and `trace`). */
export function proxyConfig(graph: MeshGraph, proxy: Proxy): ProxyConfig {
  if (proxy.kind === "gateway") {
    const gateway = graph.gatewayProxy(proxy);
    return {
      proxy,
      listeners: gateway.listeners(),
      routeConfigs: gateway.routeConfigs(),
      clusters: [...gateway.clusters(), ...specialClusters(gateway.scope.outboundTrafficPolicy)],
    };
  }
  const scope = graph.outboundScope(proxy.namespace, proxy.sidecar);
  const outbound = scope.listeners();
  const inbound = inboundListener(graph, proxy.workload);
  const routeConfigs = outbound.filter((l) => l.routeConfigName).map((l) => scope.routeConfig(l.port));
  return {
    proxy,
    listeners: [...outbound, inbound.listener],
    routeConfigs,
    clusters: [...scope.clusters(), ...inbound.clusters, ...specialClusters(scope.outboundTrafficPolicy)],
  };
}
