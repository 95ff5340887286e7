import leven from "leven";
import type { MeshGraph, MeshService, RouteDestination, VirtualServiceInfo } from "../graph/index.js";
import { isExportedTo } from "../graph/services.js";
import { hostMatches } from "../model/hosts.js";
import { ruleUrl, type Rule, type RuleContext } from "./types.js";

/**
 * `unknown-destination-host`: route and mirror destinations of a VirtualService whose host no
 * Service or ServiceEntry visible to the VirtualService's proxies provides, ports that do not exist
 * on the destination service, multi-port services addressed without a port (Istio's
 * `virtualservice.DestinationHostAnalyzer`: IST0101, IST0112), and gateway routes that bypass the
 * subsets the mesh VirtualService of the same host routes to (IST0140). Unlike the analyzer, a host
 * that only a wildcard ServiceEntry host covers is reported too: istiod has no cluster for it.
 */
export const unknownDestinationHost: Rule = {
  meta: {
    id: "unknown-destination-host",
    description: "VirtualService destinations whose host or port no visible Service or ServiceEntry provides",
    severity: "error",
    url: ruleUrl("unknown-destination-host"),
    istioCodes: ["IST0101", "IST0112", "IST0140"],
    inputs: ["VirtualService", "Service", "ServiceEntry", "Gateway"],
    messages: {
      unknownHost:
        '{{what}} "{{host}}" matches no Service or ServiceEntry visible from namespace {{namespaces}}: the proxies have no cluster for it and answer 503 (NC){{hint}}',
      notExported:
        '{{what}} "{{host}}" is {{service}}, which is not exported to namespace {{namespaces}} (exportTo: {{exportTo}}): the proxies there have no cluster for it and answer 503 (NC)',
      unknownPort:
        '{{what}} "{{host}}" port {{port}} does not exist: {{service}} exposes {{ports}}; the proxies have no cluster for it and answer 503 (NC)',
      portRequired:
        '{{what}} "{{host}}" names no port, but {{service}} exposes several ({{ports}}); set destination.port.number to pick one',
      notVisibleToGateway:
        '{{what}} "{{host}}" is not exported to namespace {{namespace}}, where the proxies of gateway {{gateway}} run: they have no cluster for it and answer 503 (NC); export {{service}} to {{namespace}}',
      wildcardOnly:
        '{{what}} "{{host}}" is covered only by the wildcard host "{{wildcard}}" of {{service}}: istiod names a route\'s cluster after the exact destination host, but builds clusters per ServiceEntry host, so the proxies have no cluster for "{{host}}" and answer 503 (NC). Add "{{host}}" to the hosts of a ServiceEntry (istioctl analyze accepts the wildcard match)',
      subsetBypassed:
        'Gateway traffic routed here goes to every endpoint of "{{host}}": the subsets that VirtualService {{meshVirtualService}} routes this host to apply to sidecars only, not to requests through {{gateways}}; name a subset here if gateway traffic should follow them',
    },
  },
  check(context) {
    const { graph } = context;
    const subsetRoutes = meshSubsetRoutes(graph.virtualServices);
    // Indexed loops: they run before the code is optimized, where `for...of` allocates per step.
    const virtualServices = graph.virtualServices;
    for (let v = 0; v < virtualServices.length; v++) {
      const vs = virtualServices[v];
      if (vs.resource.origin !== "lint") continue;
      const namespaces = scopeNamespaces(vs);
      if (namespaces.length === 0) continue;
      const gatewayNamespaces = gatewayProxyNamespaces(graph, vs);
      const checkDestination = (destination: RouteDestination, what: string) => {
        const service = visibleService(graph, destination.host, namespaces);
        if (!service) {
          reportUnknownHost(context, vs, destination, what, namespaces);
          return;
        }
        if (service.hostname !== destination.host) {
          // Only a wildcard ServiceEntry host covers it: no cluster bears the destination's name.
          context.report({
            messageId: "wildcardOnly",
            data: { what, host: destination.hostWritten, wildcard: service.hostname, service: describe(service) },
            resource: vs.resource,
            path: [...destination.provenance.path, "host"],
          });
          return;
        }
        checkPort(context, vs, destination, what, service);
        for (let i = 0; i < gatewayNamespaces.length; i++) {
          const namespace = gatewayNamespaces[i][0];
          const gateway = gatewayNamespaces[i][1];
          if (graph.services.lookup(destination.host, namespace)) continue;
          context.report({
            messageId: "notVisibleToGateway",
            data: { what, host: destination.hostWritten, namespace, gateway, service: describe(service) },
            resource: vs.resource,
            path: [...destination.provenance.path, "host"],
          });
        }
      };
      let gateways: VirtualServiceInfo["gateways"] | undefined;
      for (let r = 0; r < vs.routes.length; r++) {
        const route = vs.routes[r];
        for (let i = 0; i < route.destinations.length; i++) checkDestination(route.destinations[i], "Destination host");
        for (let i = 0; i < route.mirrors.length; i++) checkDestination(route.mirrors[i], "Mirror host");
        // IST0140: a gateway route without a subset to a host whose mesh VirtualService splits by subset.
        if (route.protocol !== "http") continue;
        gateways ??= vs.gateways.filter((g) => g.gateway !== "mesh");
        if (gateways.length === 0) continue;
        for (const destination of route.destinations) {
          if (destination.subset) continue;
          const others = (subsetRoutes.get(destination.host) ?? []).filter((other) => other !== vs);
          if (others.length === 0) continue;
          context.report({
            messageId: "subsetBypassed",
            data: {
              host: destination.hostWritten,
              meshVirtualService: others.map((other) => `${other.namespace}/${other.name}`).join(", "),
              gateways: gateways.map((g) => g.gateway).join(", "),
            },
            resource: vs.resource,
            path: [...destination.provenance.path, "host"],
            severity: 1,
            istioCode: "IST0140",
          });
        }
      }
    }
  },
};

/**
 * The namespaces from which Istio's analyzer resolves a VirtualService's destinations: its own
 * namespace, or, when `exportTo` lists namespaces, those namespaces (a destination must be visible
 * from at least one of them).
 */
function scopeNamespaces(vs: VirtualServiceInfo): string[] {
  return vs.exportTo === "*" ? [vs.namespace] : [...vs.exportTo];
}

/** The service providing `host`, visible from one of `namespaces` (exact host, else a wildcard ServiceEntry). */
function visibleService(graph: MeshGraph, host: string, namespaces: readonly string[]): MeshService | undefined {
  for (let i = 0; i < namespaces.length; i++) {
    const found = graph.services.lookup(host, namespaces[i]);
    if (found) return found;
  }
  return undefined;
}

/**
 * For a VirtualService bound to gateways: the namespaces where those gateways' proxies run (the
 * proxies only have clusters for services exported to their own namespace), with the gateway's key.
 */
function gatewayProxyNamespaces(graph: MeshGraph, vs: VirtualServiceInfo): readonly [string, string][] {
  let found: Map<string, string> | undefined;
  for (let i = 0; i < vs.gateways.length; i++) {
    const gateway = vs.gateways[i].gateway;
    if (gateway === "mesh") continue;
    const info = graph.gateway(gateway);
    if (!info) continue;
    found ??= new Map();
    for (const workload of graph.gatewayWorkloads(info)) if (!found.has(workload.namespace)) found.set(workload.namespace, gateway);
  }
  return found ? [...found] : NO_GATEWAY_NAMESPACES;
}

const NO_GATEWAY_NAMESPACES: readonly [string, string][] = Object.freeze([]);

function reportUnknownHost(
  context: RuleContext,
  vs: VirtualServiceInfo,
  destination: RouteDestination,
  what: string,
  namespaces: readonly string[],
): void {
  const hidden = context.graph.services.services.find(
    (service) => service.hostname === destination.host || (service.hostname.startsWith("*") && hostMatches(service.hostname, destination.host)),
  );
  if (hidden) {
    context.report({
      messageId: "notExported",
      data: {
        what,
        host: destination.hostWritten,
        service: describe(hidden),
        namespaces: namespaces.join(", "),
        exportTo: hidden.exportTo === "*" ? "*" : [...hidden.exportTo].join(", "),
      },
      resource: vs.resource,
      path: [...destination.provenance.path, "host"],
      istioCode: "IST0101",
    });
    return;
  }
  const suggestion = closestHost(context.graph, destination, namespaces);
  context.report({
    messageId: "unknownHost",
    data: {
      what,
      host: destination.hostWritten,
      namespaces: namespaces.join(", "),
      hint: suggestion ? `. Did you mean "${suggestion}"?` : "",
    },
    resource: vs.resource,
    path: [...destination.provenance.path, "host"],
    istioCode: "IST0101",
  });
}

/** The closest visible host name, written short when it is a Service of the VirtualService's namespace. */
function closestHost(graph: MeshGraph, destination: RouteDestination, namespaces: readonly string[]): string | undefined {
  const written = destination.hostWritten;
  const short = !written.includes(".") && !written.startsWith("*");
  // Only a host this close is suggested: farther candidates (their length alone tells) are skipped.
  const limit = Math.max(2, Math.floor(written.length / 6));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const service of graph.services.services) {
    if (service.hostname.startsWith("*") || !namespaces.some((namespace) => isExportedTo(service.exportTo, namespace))) continue;
    // A short name is compared with Service names (one more for another namespace, then suggested as the FQDN).
    const byName = short && service.origin === "Service";
    const local = byName && namespaces.includes(service.namespace);
    const candidate = local ? service.name : service.hostname;
    if (candidate === written) continue;
    const extra = byName && !local ? 1 : 0;
    const compared = byName ? service.name : candidate;
    if (Math.abs(written.length - compared.length) + extra > limit) continue;
    const distance = leven(written, compared) + extra;
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  if (best === undefined) return undefined;
  return bestDistance <= limit ? best : undefined;
}

function checkPort(context: RuleContext, vs: VirtualServiceInfo, destination: RouteDestination, what: string, service: MeshService): void {
  if (destination.port === undefined ? service.ports.length <= 1 : hasPort(service, destination.port)) return;
  const ports = service.ports.map((port) => port.port);
  if (destination.port === undefined) {
    context.report({
      messageId: "portRequired",
      data: { what, host: destination.hostWritten, service: describe(service), ports: ports.join(", ") },
      resource: vs.resource,
      path: [...destination.provenance.path, "host"],
      istioCode: "IST0112",
    });
    return;
  }
  context.report({
    messageId: "unknownPort",
    data: {
      what,
      host: destination.hostWritten,
      port: destination.port,
      service: describe(service),
      ports: ports.length === 0 ? "no port" : ports.length === 1 ? `only port ${ports[0]}` : `ports ${ports.join(", ")}`,
    },
    resource: vs.resource,
    path: [...destination.provenance.path, "port", "number"],
    istioCode: "IST0101",
  });
}

function hasPort(service: MeshService, port: number): boolean {
  for (let i = 0; i < service.ports.length; i++) if (service.ports[i].port === port) return true;
  return false;
}

function describe(service: MeshService): string {
  return service.origin === "Service"
    ? `Service ${service.namespace}/${service.name}`
    : `ServiceEntry ${service.namespace}/${service.name} (host ${service.hostname})`;
}

/**
 * VirtualServices bound to the mesh that route one of their own hosts to subsets of it, by host:
 * the route rules sidecars follow for that service.
 */
function meshSubsetRoutes(virtualServices: readonly VirtualServiceInfo[]): Map<string, VirtualServiceInfo[]> {
  const byHost = new Map<string, VirtualServiceInfo[]>();
  for (let v = 0; v < virtualServices.length; v++) {
    const vs = virtualServices[v];
    if (!vs.gateways.some((g) => g.gateway === "mesh")) continue;
    let hosts: string[] | undefined;
    for (let r = 0; r < vs.routes.length; r++) {
      const route = vs.routes[r];
      if (route.protocol !== "http") continue;
      for (let i = 0; i < route.destinations.length; i++) {
        const destination = route.destinations[i];
        if (!destination.subset || hosts?.includes(destination.host)) continue;
        if (vs.hosts.some((h) => hostMatches(h.host, destination.host))) (hosts ??= []).push(destination.host);
      }
    }
    if (!hosts) continue;
    for (let i = 0; i < hosts.length; i++) {
      const list = byHost.get(hosts[i]);
      if (list) list.push(vs);
      else byHost.set(hosts[i], [vs]);
    }
  }
  return byHost;
}
