/**
 * Plain data views of the graph for `mesh-lint graph --format json|yaml`: one proxy's Envoy
 * configuration named as `istioctl proxy-config` names it, or the mesh-level view of which resources
 * feed which listeners, route configurations and clusters. Every object carries its provenance.
 */
import type { Cluster, Endpoint, Listener, Route, RouteConfiguration, WeightedCluster } from "../envoy.js";
import { outboundClusterName } from "../envoy.js";
import type { MeshGraph } from "../index.js";
import type { Proxy } from "../proxies.js";
import { serverHostsFor } from "../proxies.js";
import type { MeshService, Provenance } from "../types.js";
import type { Position, Positions } from "./provenance.js";

type Json = Record<string, unknown>;

function from(positions: Positions, list: readonly Provenance[] | Provenance | undefined): Position[] {
  if (!list) return [];
  const all = Array.isArray(list) ? list : [list as Provenance];
  const seen = new Set<string>();
  const out: Position[] = [];
  for (const provenance of all) {
    const position = positions.of(provenance);
    const key = `${position.kind}/${position.namespace}/${position.name}/${position.path ?? ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(position);
  }
  return out;
}

export function weightedView(positions: Positions, clusters: readonly WeightedCluster[]): Json[] {
  return clusters.map((c) => ({
    name: c.name,
    weight: c.weight,
    exists: c.exists,
    ...(c.exists ? {} : { problem: "503 NC: no such cluster" }),
    ...(c.provenance ? { provenance: positions.of(c.provenance) } : {}),
  }));
}

export function endpointView(endpoint: Endpoint): Json {
  return endpoint.workload
    ? { workload: `${endpoint.workload.namespace}/${endpoint.workload.name}`, kind: endpoint.workload.kind, port: endpoint.port, sidecar: endpoint.sidecar, labels: endpoint.labels }
    : { address: endpoint.address, port: endpoint.port, sidecar: false, labels: endpoint.labels };
}

function listenerView(positions: Positions, listener: Listener): Json {
  return {
    name: listener.name,
    address: listener.address,
    port: listener.port,
    direction: listener.direction,
    protocol: listener.protocol,
    ...(listener.routeConfigName ? { routeConfig: listener.routeConfigName } : {}),
    filterChains: listener.filterChains.map((chain) => ({
      match: chain.match,
      ...(chain.mtls ? { mtls: { mode: chain.mtls.mode, level: chain.mtls.level, ...(chain.mtls.policy ? { policy: positions.at(chain.mtls.policy.resource) } : {}) } } : {}),
      ...(chain.tlsMode ? { tlsMode: chain.tlsMode } : {}),
      ...(chain.routeConfigName ? { routeConfig: chain.routeConfigName } : {}),
      ...(chain.clusters ? { clusters: weightedView(positions, chain.clusters) } : {}),
      provenance: from(positions, chain.provenance),
    })),
    provenance: from(positions, listener.provenance),
  };
}

function routeView(positions: Positions, route: Route): Json {
  const action = route.action;
  return {
    name: route.name,
    match: route.match,
    action:
      action.kind === "route"
        ? { kind: "route", clusters: weightedView(positions, action.clusters), ...(action.mirrors.length ? { mirrors: weightedView(positions, action.mirrors) } : {}) }
        : action,
    ...(route.virtualService ? { virtualService: `${route.virtualService.namespace}/${route.virtualService.name}` } : {}),
    ...(route.provenance ? { provenance: positions.of(route.provenance) } : {}),
  };
}

export function routeConfigView(positions: Positions, config: RouteConfiguration): Json {
  return {
    name: config.name,
    virtualHosts: config.virtualHosts.map((vh) => ({
      name: vh.name,
      domains: vh.domains,
      ...(vh.service ? { service: positions.at(vh.service.resource) } : {}),
      virtualServices: vh.virtualServices.map((vs) => positions.at(vs.resource)),
      routes: vh.routes.map((route) => routeView(positions, route)),
    })),
  };
}

export function clusterView(positions: Positions, cluster: Cluster): Json {
  const endpoints = cluster.endpoints();
  const eds = cluster.type === "EDS" && cluster.direction === "outbound";
  return {
    name: cluster.name,
    direction: cluster.direction,
    type: cluster.type,
    ...(cluster.service ? { service: positions.at(cluster.service.resource) } : {}),
    ...(cluster.subset ? { subset: cluster.subset.name } : {}),
    ...(cluster.tls
      ? {
          tls: {
            mode: cluster.tls.mode,
            source: cluster.tls.source,
            ...(cluster.tls.provenance ? { provenance: positions.of(cluster.tls.provenance) } : {}),
            ...(cluster.tls.inferredFrom
              ? { inferredFrom: { mode: cluster.tls.inferredFrom.mode, level: cluster.tls.inferredFrom.level, ...(cluster.tls.inferredFrom.policy ? { policy: positions.at(cluster.tls.inferredFrom.policy.resource) } : {}) } }
              : {}),
          },
        }
      : {}),
    ...(cluster.destinationRule
      ? { destinationRule: { scope: cluster.destinationRule.scope, namespace: cluster.destinationRule.namespace, rules: cluster.destinationRule.rules.map((r) => positions.at(r.resource)) } }
      : {}),
    ...(cluster.trafficPolicy ? { trafficPolicy: cluster.trafficPolicy } : cluster.destinationRule?.trafficPolicy ? { trafficPolicy: cluster.destinationRule.trafficPolicy.policy } : {}),
    endpoints: endpoints.map(endpointView),
    ...(eds && endpoints.length === 0 && cluster.service?.selector ? { problem: "503 UH: no endpoints" } : {}),
    provenance: from(positions, cluster.provenance),
  };
}

function proxyHeader(proxy: Proxy): Json {
  return {
    id: proxy.id,
    kind: proxy.kind,
    namespace: proxy.namespace,
    workload: { kind: proxy.workload.kind, name: proxy.workload.name },
    ...(proxy.workload.gateway ? { gateway: proxy.workload.gateway } : {}),
    ...(proxy.sidecar ? { sidecarScope: `${proxy.sidecar.namespace}/${proxy.sidecar.name}` } : {}),
  };
}

/** One proxy's listeners, route configurations and clusters (optionally only those of a host). */
export function proxyView(graph: MeshGraph, proxy: Proxy, positions: Positions, host?: string): Json {
  const config = graph.proxyConfig(proxy);
  const keepCluster = (c: Cluster) => !host || c.service?.hostname === host || c.direction !== "outbound";
  return {
    proxy: proxyHeader(proxy),
    listeners: config.listeners.map((l) => listenerView(positions, l)),
    routes: config.routeConfigs
      .map((rc) => routeConfigView(positions, host ? { ...rc, virtualHosts: rc.virtualHosts.filter((vh) => vh.service?.hostname === host || vh.name.startsWith(`${host}:`)) } : rc))
      .filter((rc) => !host || (rc.virtualHosts as unknown[]).length > 0),
    clusters: config.clusters.filter(keepCluster).map((c) => clusterView(positions, c)),
  };
}

function serviceClusters(service: MeshService, subsets: readonly string[] = []): string[] {
  return service.ports.flatMap((port) => [undefined, ...subsets].map((subset) => outboundClusterName(port.port, subset, service.hostname)));
}

/**
 * The mesh-level view: the proxies, and per resource what it feeds. Computed from the indexes
 * (no proxy's whole configuration is expanded), so it stays proportional to the input.
 */
export function meshView(graph: MeshGraph, positions: Positions): Json {
  const proxies = graph.proxies().map((proxy) => ({
    ...proxyHeader(proxy),
    ...(proxy.kind === "gateway"
      ? { gateways: graph.gatewayProxy(proxy).gateways().map((g) => g.key), listeners: graph.gatewayProxy(proxy).listeners().map((l) => l.name) }
      : {}),
  }));
  const virtualServices = graph.virtualServices.map((vs) => {
    const scope = graph.outboundScope(vs.namespace);
    const feeds: { proxy: string; routeConfig: string; virtualHost: string }[] = [];
    const ports = new Set<number>();
    for (const { gateway } of vs.gateways) {
      if (gateway === "mesh") {
        for (const { host } of vs.hosts) {
          for (const service of graph.services.matching(host, vs.namespace)) {
            for (const port of service.ports) {
              if (port.kind !== "http" && port.kind !== "auto") continue;
              ports.add(port.port);
              feeds.push({ proxy: "sidecars", routeConfig: String(port.port), virtualHost: `${service.hostname}:${port.port}` });
            }
          }
        }
        continue;
      }
      const info = graph.gateway(gateway);
      if (!info) continue;
      for (const workload of graph.gatewayWorkloads(info)) {
        const proxy = graph.proxy(`${workload.namespace}/${workload.name}`);
        if (!proxy) continue;
        const gp = graph.gatewayProxy(proxy);
        for (const bound of gp.servers().filter((b) => b.gateway === info)) {
          for (const host of serverHostsFor(bound.server, vs)) {
            ports.add(bound.server.port.number);
            feeds.push({ proxy: proxy.id, routeConfig: gp.routeConfigName(bound), virtualHost: `${host}:${bound.server.port.number}` });
          }
        }
      }
    }
    const port = [...ports][0] ?? 80;
    const clusters = vs.routes.flatMap((route) =>
      [...route.destinations, ...route.mirrors].map((destination) => {
        const target = scope.destinationCluster(destination, port);
        return { name: target.name, weight: destination.weight ?? 100, exists: target.exists, provenance: positions.of(destination.provenance) };
      }),
    );
    return {
      ...positions.at(vs.resource),
      hosts: vs.hosts.map((h) => h.host),
      gateways: vs.gateways.map((g) => g.gateway),
      feeds,
      clusters,
    };
  });
  const destinationRules = graph.destinationRules.rules.map((rule) => {
    const services = graph.services.matching(rule.host, rule.namespace);
    return {
      ...positions.at(rule.resource),
      host: rule.host,
      subsets: rule.subsets.map((s) => s.name),
      clusters: services.flatMap((service) => serviceClusters(service, rule.subsets.map((s) => s.name))),
    };
  });
  const services = graph.services.services.map((service) => ({
    ...positions.at(service.resource),
    host: service.hostname,
    origin: service.origin,
    ports: service.ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol })),
    listeners: service.ports.map((p) =>
      p.kind === "http" || p.kind === "auto" || service.addresses.length === 0 || service.addresses[0].includes("/") ? `0.0.0.0_${p.port}` : `${service.addresses[0]}_${p.port}`,
    ),
    clusters: serviceClusters(service),
    endpoints: graph.workloadsOf(service).map((w) => ({ workload: `${w.namespace}/${w.name}`, sidecar: w.sidecar.injected })),
    ...(service.staticEndpoints.length ? { addresses: service.staticEndpoints.map((e) => e.address) } : {}),
  }));
  const gateways = graph.gateways.map((gateway) => ({
    ...positions.at(gateway.resource),
    workloads: graph.gatewayWorkloads(gateway).map((w) => `${w.namespace}/${w.name}`),
    servers: gateway.servers.map((server) => ({ port: server.port.number, protocol: server.port.protocolWritten, hosts: server.hosts.map((h) => h.written), ...(server.tls ? { tls: server.tls.mode ?? "SIMPLE" } : {}) })),
  }));
  const peerAuthentications = graph.peerAuthentications.policies.map((policy) => ({
    ...positions.at(policy.resource),
    mode: policy.mode,
    ...(policy.selector ? { selector: policy.selector } : {}),
    ...(policy.portLevel.size ? { portLevel: Object.fromEntries(policy.portLevel) } : {}),
  }));
  const sidecars = graph.sidecars.map((sidecar) => ({
    ...positions.at(sidecar.resource),
    egress: sidecar.egress.map((e) => e.hosts.map((h) => h.written)).flat(),
    proxies: graph.proxies().filter((p) => p.sidecar === sidecar).map((p) => p.id),
  }));
  return {
    mesh: { rootNamespace: graph.mesh.rootNamespace, outboundTrafficPolicy: graph.mesh.outboundTrafficPolicy, enableAutoMtls: graph.mesh.enableAutoMtls },
    proxies,
    scopes: graph.sidecarScopes().map((scope) => ({ namespace: scope.namespace, sidecar: scope.sidecar ? `${scope.sidecar.namespace}/${scope.sidecar.name}` : null })),
    resources: { virtualServices, destinationRules, services, gateways, peerAuthentications, sidecars },
  };
}

export function toJson(view: unknown): string {
  return `${JSON.stringify(view, null, 2)}\n`;
}
