import type { BoundServer, GatewayInfo, MeshGraph, MeshService, OutboundScope, Provenance, Proxy, ServicePort, VirtualServiceInfo, Workload } from "../graph/index.js";
import { gatewaysAllow, isCatchAllMatch, targetPortOf } from "../graph/outbound.js";
import { serverHostsFor } from "../graph/proxies.js";
import type { RouteDestination, VirtualServiceRoute } from "../graph/virtual-services.js";
import { provenanceKey } from "../graph/types.js";
import { hostMatches, hostsIntersect } from "../model/hosts.js";
import { asArray, asRecord } from "../model/resource.js";
import { ruleUrl, type Rule } from "./types.js";

/**
 * `egress-gateway-bypass`: traffic to a mesh-external ServiceEntry host that does not go through the
 * egress gateway, or that the egress gateway cannot forward.
 *
 * Judged when the mesh has an egress gateway (a workload labelled `istio: egressgateway`, in the
 * input, the context or the assumed `demo` installation) or the configuration requires one
 * (`mesh.requireEgressGateway`). For every port of every MESH_EXTERNAL ServiceEntry host, as each
 * client scope sees it (the sidecars of a namespace under their Sidecar resource):
 * - the mesh leg: the VirtualService the sidecars use for the host must send the port's traffic to
 *   an egress gateway Service. No such route means the sidecars connect to the host directly.
 * - the gateway leg: the egress gateway must have a Gateway server for the host on the port the
 *   mesh leg targets, and a VirtualService bound to that Gateway must route the host on to it, on a
 *   cluster the gateway has (the ServiceEntry exported to the gateway's namespace).
 */

interface Finding {
  messageId: string;
  node: Provenance;
  data: Record<string, string>;
  clients: Set<string>;
}

export const egressGatewayBypass: Rule = {
  meta: {
    id: "egress-gateway-bypass",
    description: "Mesh-external ServiceEntry ports that sidecars reach directly instead of through the egress gateway, or that the egress gateway cannot forward",
    severity: "error",
    url: ruleUrl("egress-gateway-bypass"),
    istioCodes: [],
    inputs: ["ServiceEntry", "VirtualService", "Gateway", "Service", "Sidecar", "Deployment", "Pod", "Namespace"],
    messages: {
      bypass:
        "Port {{port}} of {{host}} bypasses the egress gateway{{gateway}}{{required}}: no VirtualService bound to mesh sends this port's traffic to it, so {{clients}} connect to {{host}} directly. Add a VirtualService for {{host}} with gateways [mesh, <egress Gateway>] routing port {{port}} to {{gatewayHost}}, and one bound to the egress Gateway routing on to {{host}}.",
      bypassRoute:
        "This route sends port {{port}} traffic for {{host}} from {{clients}} straight to {{destination}}, bypassing the egress gateway{{gateway}}{{required}}. Send it to {{gatewayHost}}, and route it on to {{host}} with a VirtualService bound to the egress Gateway.",
      noGatewayServer:
        "This route sends port {{port}} traffic for {{host}} to the egress gateway {{gateway}} (port {{gatewayPort}}), but no Gateway selecting {{workloads}} has a server for {{host}} on port {{gatewayPort}}: the egress gateway has no route for it ({{outcome}}). Add an egress Gateway server for {{host}} on port {{gatewayPort}}.",
      noGatewayRoute:
        "Gateway {{gatewayResource}} serves {{host}} on port {{gatewayPort}} for traffic the mesh sends to the egress gateway, but no VirtualService bound to it routes {{host}} on: the egress gateway finds no route ({{outcome}}). Add a VirtualService for {{host}} with gateways [{{gatewayRef}}] routing to {{host}} port {{port}}.",
      gatewayNoCluster:
        "This route forwards {{host}} from the egress gateway {{gateway}}, but {{host}} is not visible in namespace {{namespace}} where the gateway runs (exportTo): the gateway has no cluster for it and answers 503 NC. Export the ServiceEntry to {{namespace}}.",
    },
  },
  check(context) {
    const { graph } = context;
    const egressWorkloads = graph.workloads.filter((workload) => workload.gateway === "egress");
    if (egressWorkloads.length === 0 && !graph.mesh.requireEgressGateway) return;

    const gatewayServices = graph.services.services.filter(
      (service) => service.origin === "Service" && graph.workloadsOf(service).some((workload) => workload.gateway === "egress"),
    );
    const gatewayName = gatewayServices.length > 0 ? ` ${list(gatewayServices.map((s) => `${s.namespace}/${s.name}`))}` : "";
    const gatewayHost = gatewayServices.length > 0 ? gatewayServices[0].hostname : "the egress gateway Service";
    const required = egressWorkloads.length === 0 ? " (the configuration requires one: mesh.requireEgressGateway)" : "";
    const proxies = new Map<Workload, Proxy>();
    for (const proxy of graph.proxies()) proxies.set(proxy.workload, proxy);

    const sidecarScopes = graph.sidecarScopes();
    const workloadLabels = sidecarLabels(graph);
    const findings = new Map<string, Finding>();
    const add = (messageId: string, node: Provenance, data: Record<string, string>, client?: string) => {
      const key = `${messageId}|${provenanceKey(node)}|${data.host}|${data.port}`;
      let finding = findings.get(key);
      if (!finding) findings.set(key, (finding = { messageId, node, data, clients: new Set() }));
      if (client) finding.clients.add(client);
    };

    for (const service of graph.services.services) {
      if (service.origin !== "ServiceEntry" || service.location !== "MESH_EXTERNAL" || service.resource.origin !== "lint") continue;
      const scopes = clientScopes(graph, sidecarScopes, service);
      for (const port of service.ports) {
        for (const scope of scopes) {
          if (!scope.serviceVisible(service, port.port) || scope.service(service.hostname) !== service) continue;
          const client = `namespace ${scope.namespace}`;
          const base = { host: service.hostname, port: portText(port), gateway: gatewayName, gatewayHost, required };
          // A match's sourceLabels select some of the scope's workloads: each label set of them is a client.
          const vs = scope.virtualServiceFor(service.hostname);
          const labelSets = vs && selectsBySourceLabels(vs) ? (workloadLabels.get(scope) ?? [undefined]) : [undefined];
          const routes: { route: VirtualServiceRoute; destination: RouteDestination }[] = [];
          for (const labels of labelSets) {
            const used = meshRoutes(scope, service, port, { namespace: scope.namespace, labels });
            if (used) routes.push(...used);
            else add("bypass", port.provenance, base, client);
          }
          for (const { destination } of routes) {
            const target = destinationService(graph, scope, destination.host);
            const gatewayWorkloads = target ? graph.workloadsOf(target).filter((w) => w.gateway) : [];
            if (gatewayWorkloads.length === 0) {
              // A host with no cluster (unknown, or not visible) answers 503 NC: nothing leaves the
              // mesh, and the missing host is another rule's business (unknown-destination-host).
              if (!target || target.location !== "MESH_EXTERNAL") continue;
              add("bypassRoute", destination.provenance, { ...base, destination: destination.hostWritten }, client);
              continue;
            }
            const targetPort = destination.port ?? (target!.ports.length === 1 ? target!.ports[0].port : port.port);
            const gatewayPort = target!.ports.find((p) => p.port === targetPort);
            if (!gatewayPort) continue;
            checkGatewayLeg(graph, proxies, service, port, target!, gatewayPort, gatewayWorkloads, destination, add);
          }
        }
      }
    }

    for (const finding of findings.values()) {
      context.report({
        messageId: finding.messageId,
        data: { ...finding.data, clients: clientsText([...finding.clients]) },
        resource: finding.node.resource,
        path: finding.node.path,
      });
    }
  },
};

/**
 * The scopes whose sidecars may send to a ServiceEntry host: the sidecar scopes of the input; when
 * the input has no sidecar at all, the namespaces the ServiceEntry is exported to (its own for `*`),
 * except the root namespace when named: a ServiceEntry exported to it (`.` in istio-system) is meant
 * for the gateways there, not for sidecars the input does not show.
 */
function clientScopes(graph: MeshGraph, sidecarScopes: OutboundScope[], service: MeshService): OutboundScope[] {
  if (sidecarScopes.length > 0) return sidecarScopes;
  const namespaces = service.exportTo === "*" ? [service.namespace] : [...service.exportTo].filter((namespace) => namespace !== graph.mesh.rootNamespace);
  return namespaces.map((namespace) => graph.outboundScope(namespace));
}

/**
 * The route destinations sidecars of a scope use for a ServiceEntry port; undefined when no route
 * applies (the default route, direct). Routes that answer themselves (redirect, directResponse) send
 * nothing out and have no destination.
 */
function meshRoutes(
  scope: OutboundScope,
  service: MeshService,
  port: ServicePort,
  source: Source,
): { route: VirtualServiceRoute; destination: RouteDestination }[] | undefined {
  const vs = scope.virtualServiceFor(service.hostname);
  if (!vs) return undefined;
  // istiod builds the TCP filter chains of an HTTPS/TLS port from TLS routes only (tcp routes are ignored there).
  const protocols = port.kind === "http" ? ["http"] : port.kind === "auto" ? ["http", "tcp"] : port.kind === "tls" ? ["tls"] : ["tcp"];
  for (const protocol of protocols) {
    const routes = applicableRoutes(vs, protocol, port.port, "mesh", service.hostname, source);
    if (routes.length > 0) return routes.flatMap((route) => route.destinations.map((destination) => ({ route, destination })));
  }
  return undefined;
}

/**
 * The service a mesh-leg destination reaches from a scope. istiod adds the destinations of the
 * VirtualServices a Sidecar admits to the sidecars' scope (collectImportedServices), so the egress
 * gateway Service has its cluster there even when the Sidecar's egress hosts do not list it.
 */
function destinationService(graph: MeshGraph, scope: OutboundScope, host: string): MeshService | undefined {
  return scope.service(host) ?? graph.services.lookup(host, scope.namespace);
}

/**
 * Routes of a VirtualService of one protocol that apply on a port for a gateway (`mesh` or a key), in
 * order, up to the one Envoy never gets past: an HTTP route matching every request (istiod stops at a
 * catch-all) or, for TCP, the first route that applies whatever the destination address.
 */
function applicableRoutes(vs: VirtualServiceInfo, protocol: string, port: number, gateway: string, host: string, source?: Source): VirtualServiceRoute[] {
  const routes: VirtualServiceRoute[] = [];
  for (const route of vs.routes) {
    if (route.protocol !== protocol) continue;
    const applying = route.matches.filter((match) => {
      if (match.port !== undefined && match.port !== port) return false;
      if (!gatewaysAllow(match, [gateway], vs.namespace)) return false;
      if (source && !sourceAllows(match, protocol, source)) return false;
      const sni = asArray(match.sniHosts).filter((h): h is string => typeof h === "string");
      return sni.length === 0 || sni.some((h) => hostsIntersect(h, host));
    });
    if (route.matches.length > 0 && applying.length === 0) continue;
    routes.push(route);
    if (route.matches.length === 0) {
      if (protocol !== "tls") break;
    } else if (protocol === "http" ? applying.some((match) => isCatchAllMatch(match, source?.labels ? { labels: source.labels, namespace: source.namespace } : undefined)) : protocol === "tcp" && applying.some((match) => asArray(match.destinationSubnets).length === 0)) {
      break;
    }
  }
  return routes;
}

/** The sidecars a route applies to: their namespace, and their labels when the input has the workloads. */
interface Source {
  namespace: string;
  labels?: Readonly<Record<string, string>>;
}

/**
 * Whether a match's source conditions select the sidecars. As istiod does: TLS and TCP matches always
 * check sourceLabels and sourceNamespace; an HTTP match only when it names no gateways (sourceMatchHTTP).
 * Unknown labels (no workload in the input) are taken to match.
 */
function sourceAllows(match: Record<string, unknown>, protocol: string, source: Source): boolean {
  if (protocol === "http" && asArray(match.gateways).length > 0) return true;
  const namespace = match.sourceNamespace;
  if (typeof namespace === "string" && namespace !== "" && namespace !== source.namespace) return false;
  const labels = source.labels;
  return labels === undefined || Object.entries(asRecord(match.sourceLabels)).every(([key, value]) => labels[key] === value);
}

/** Whether some match of a VirtualService names sourceLabels (its routes then differ between workloads). */
function selectsBySourceLabels(vs: VirtualServiceInfo): boolean {
  return vs.routes.some((route) => route.matches.some((match) => Object.keys(asRecord(match.sourceLabels)).length > 0));
}

/** The distinct label sets of the sidecar workloads of each scope of the input. */
function sidecarLabels(graph: MeshGraph): Map<OutboundScope, Readonly<Record<string, string>>[]> {
  const byScope = new Map<OutboundScope, Map<string, Readonly<Record<string, string>>>>();
  for (const proxy of graph.proxies()) {
    if (proxy.kind !== "sidecar") continue;
    const scope = graph.outboundScope(proxy.namespace, proxy.sidecar);
    let sets = byScope.get(scope);
    if (!sets) byScope.set(scope, (sets = new Map()));
    const labels = proxy.workload.labels;
    sets.set(JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), labels);
  }
  return new Map([...byScope].map(([scope, sets]) => [scope, [...sets.values()]]));
}

type Add = (messageId: string, node: Provenance, data: Record<string, string>, client?: string) => void;

/** The egress gateway's side: a Gateway server for the host on the port, and a route on to the host. */
function checkGatewayLeg(
  graph: MeshGraph,
  proxies: Map<Workload, Proxy>,
  service: MeshService,
  port: ServicePort,
  gatewayService: MeshService,
  gatewayPort: ServicePort,
  workloads: Workload[],
  destination: RouteDestination,
  add: Add,
): void {
  const outcome = port.kind === "http" || port.kind === "auto" ? "404 NR" : "the connection is closed";
  for (const workload of workloads) {
    const proxy = proxies.get(workload);
    if (!proxy) continue;
    const gateway = graph.gatewayProxy(proxy);
    const listenerPort = targetPortOf(gatewayPort, workload) ?? gatewayPort.port;
    const servers = gateway
      .servers()
      .filter((bound) => bound.targetPort === listenerPort && bound.server.hosts.some((h) => hostsIntersect(h.host, service.hostname)));
    const data = {
      host: service.hostname,
      port: String(port.port),
      gateway: `${gatewayService.namespace}/${gatewayService.name}`,
      gatewayPort: String(gatewayPort.port),
      workloads: `${workload.namespace}/${workload.name}`,
      outcome,
      namespace: workload.namespace,
    };
    if (servers.length === 0) {
      add("noGatewayServer", destination.provenance, data);
      continue;
    }
    let routed = false;
    for (const bound of servers) {
      const result = gatewayRoute(gateway.virtualServicesFor(bound.gateway), bound, service);
      if (!result) continue;
      routed = true;
      if (!gateway.scope.service(result.destination.host)) add("gatewayNoCluster", result.destination.provenance, data);
      break;
    }
    if (!routed) {
      const bound = servers[0];
      const hostEntry = bound.server.hosts.find((h) => hostsIntersect(h.host, service.hostname))!;
      add("noGatewayRoute", hostEntry.provenance.resource.origin === "lint" ? hostEntry.provenance : destination.provenance, {
        ...data,
        gatewayResource: `${bound.gateway.namespace}/${bound.gateway.name}`,
        gatewayRef: gatewayRef(bound.gateway),
      });
    }
  }
}

/** The first route of a VirtualService bound to a Gateway server that forwards the external host. */
function gatewayRoute(
  virtualServices: VirtualServiceInfo[],
  bound: BoundServer,
  service: MeshService,
): { route: VirtualServiceRoute; destination: RouteDestination } | undefined {
  const protocols = serverRouteProtocols(bound);
  for (const vs of virtualServices) {
    if (!serverHostsFor(bound.server, vs).some((host) => hostsIntersect(host, service.hostname))) continue;
    for (const protocol of protocols) {
      for (const route of applicableRoutes(vs, protocol, bound.server.port.number, bound.gateway.key, service.hostname)) {
        const destination = route.destinations.find((d) => d.host === service.hostname || hostMatches(service.hostname, d.host) || hostMatches(d.host, service.hostname));
        if (destination) return { route, destination };
      }
    }
  }
  return undefined;
}

/**
 * Which VirtualService routes a Gateway server uses: HTTP for HTTP and terminated HTTPS, TLS for
 * passthrough, TCP otherwise (a terminated TLS server forwards with TCP routes only).
 */
function serverRouteProtocols(bound: BoundServer): string[] {
  const protocol = bound.server.port.protocol;
  const mode = String(bound.server.tls?.mode ?? "");
  const passthrough = mode === "PASSTHROUGH" || mode === "AUTO_PASSTHROUGH";
  if (protocol === "HTTP" || protocol === "HTTP2" || protocol === "GRPC") return ["http"];
  if (protocol === "HTTPS") return passthrough ? ["tls"] : ["http"];
  if (protocol === "TLS") return passthrough ? ["tls"] : ["tcp"];
  return ["tcp"];
}

function gatewayRef(gateway: GatewayInfo): string {
  return `${gateway.namespace}/${gateway.name}`;
}

function portText(port: ServicePort): string {
  return port.name ? `${port.port} (${port.name})` : String(port.port);
}

function clientsText(clients: string[]): string {
  const namespaces = clients.map((c) => c.replace(/^namespace /, "")).sort();
  if (namespaces.length === 0) return "the sidecars";
  return `the sidecars in ${namespaces.length === 1 ? "namespace" : "namespaces"} ${list(namespaces)}`;
}

/** `a`, `a and b`, `a, b and c`; past `max` items, `a, b, c, d, e and 7 more`. */
function list(items: string[], max = 6): string {
  if (items.length <= 1) return items.join("");
  if (items.length > max) return `${items.slice(0, max - 1).join(", ")} and ${items.length - max + 1} more`;
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
