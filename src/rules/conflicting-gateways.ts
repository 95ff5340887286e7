import type { GatewayInfo, GatewayServer, MeshGraph, Workload } from "../graph/index.js";
import { selectorString } from "./gateway-workload.js";
import { ruleUrl, type Rule } from "./types.js";

const HTTP_PROTOCOLS = new Set(["HTTP", "HTTP2", "GRPC", "GRPC-Web"]);

/** A server host as istiod compares them: `ns/host` with `.` resolved and no namespace meaning `*`. */
function hostKey(namespace: string, host: string): string {
  return `${namespace}/${host.toLowerCase()}`;
}

function sameSelector(a: GatewayInfo, b: GatewayInfo): boolean {
  return selectorString(a.selector) === selectorString(b.selector);
}

/**
 * `conflicting-gateways`: two Gateways applied to the same gateway proxy that declare the same port
 * and the same host. istiod merges every Gateway selecting a proxy into one set of listeners; the
 * second server for a host on a port is dropped (TLS, mixed protocols) or merged into the first one's
 * route table (plain HTTP). Istio's `gateway.ConflictingGatewayAnalyzer` (IST0145).
 */
export const conflictingGateways: Rule = {
  meta: {
    id: "conflicting-gateways",
    description: "Gateways on the same gateway workloads that declare the same port and host",
    severity: "error",
    url: ruleUrl("conflicting-gateways"),
    istioCodes: ["IST0145"],
    inputs: ["Gateway", "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"],
    messages: {
      dropped:
        "Host {{host}} on port {{port}} is also declared by Gateway {{others}} on the same gateway workloads ({{selector}}): {{why}}, so istiod keeps the server of Gateway {{kept}} and drops the other.",
      merged:
        "Host {{host}} on port {{port}} is also declared by Gateway {{others}} on the same gateway workloads ({{selector}}): both plain-HTTP servers share route table {{routeTable}}, so the VirtualServices bound to either Gateway are merged for {{host}} and the older ones' routes shadow the others.",
    },
  },
  check(context) {
    const { graph } = context;
    const gateways = graph.gateways;
    const selected = new Map<GatewayInfo, Set<Workload>>();
    const workloadsOf = (gateway: GatewayInfo) => {
      let set = selected.get(gateway);
      if (!set) selected.set(gateway, (set = new Set(appliedTo(graph, gateway))));
      return set;
    };
    const shareWorkloads = (a: GatewayInfo, b: GatewayInfo) => {
      if (sameSelector(a, b)) return true;
      const wa = workloadsOf(a);
      for (const workload of workloadsOf(b)) if (wa.has(workload)) return true;
      return false;
    };
    for (const gateway of gateways) {
      const peers = gateways.filter((other) => other !== gateway && other.key !== gateway.key && shareWorkloads(gateway, other));
      if (peers.length === 0) continue;
      for (const server of gateway.servers) {
        const conflicts: { gateway: GatewayInfo; server: GatewayServer; host: string; hostIndex: number }[] = [];
        for (const other of peers) {
          for (const otherServer of other.servers) {
            if (otherServer.port.number !== server.port.number || (otherServer.bind ?? "") !== (server.bind ?? "")) continue;
            const theirs = new Set(otherServer.hosts.map((host) => hostKey(host.namespace, host.host)));
            const index = server.hosts.findIndex((host) => theirs.has(hostKey(host.namespace, host.host)));
            if (index >= 0) conflicts.push({ gateway: other, server: otherServer, host: server.hosts[index].written, hostIndex: index });
          }
        }
        if (conflicts.length === 0) continue;
        const first = conflicts[0];
        const others = [...new Set(conflicts.map((conflict) => conflict.gateway.key))].sort();
        const selectorText = Object.keys(gateway.selector).length ? selectorString(gateway.selector) : "no selector: every gateway proxy";
        const bothPlainHttp = isPlainHttp(server) && isPlainHttp(first.server);
        // istiod merges Gateways in creation order; the first server for a host on a port wins.
        const kept = [gateway, ...conflicts.map((conflict) => conflict.gateway)].reduce((oldest, candidate) =>
          gateways.indexOf(candidate) < gateways.indexOf(oldest) ? candidate : oldest,
        );
        const why = dropReason(server, first.server);
        context.report({
          messageId: bothPlainHttp ? "merged" : "dropped",
          data: {
            host: first.host,
            port: server.port.number,
            others: others.join(", "),
            selector: selectorText,
            why,
            kept: kept.key,
            routeTable: bothPlainHttp ? routeTables(graph, workloadsOf(gateway), gateway, server) : "",
          },
          resource: gateway.resource,
          path: ["spec", "servers", server.index, "hosts", first.hostIndex],
          istioCode: "IST0145",
        });
      }
    }
  },
};

/**
 * The route configurations istiod names for a plain-HTTP server on the gateway proxies it applies to
 * (`http.8080` for port 80 of the default ingress gateway), as the graph names them.
 */
function routeTables(graph: MeshGraph, workloads: Set<Workload>, gateway: GatewayInfo, server: GatewayServer): string {
  const names = new Set<string>();
  for (const proxy of graph.proxies()) {
    if (proxy.kind !== "gateway" || !workloads.has(proxy.workload)) continue;
    const gatewayProxy = graph.gatewayProxy(proxy);
    names.add(gatewayProxy.routeConfigName({ gateway, server, targetPort: gatewayProxy.targetPort(server.port.number) }));
  }
  return names.size > 0 ? [...names].sort().join(", ") : `http.${server.port.number}`;
}

/** Why istiod cannot keep both servers on one port (when they are not both plain HTTP). */
function dropReason(a: GatewayServer, b: GatewayServer): string {
  if (a.tls && b.tls) return "Envoy cannot have two TLS filter chains for the same SNI host";
  if (!a.tls && !b.tls && protocolOf(a) === protocolOf(b)) return `a plain ${protocolOf(a)} listener cannot be split by host`;
  const describe = (server: GatewayServer) => `${protocolOf(server)}${server.tls ? " with TLS" : ""}`;
  return `one listener cannot serve both ${describe(a)} and ${describe(b)}`;
}

function protocolOf(server: GatewayServer): string {
  return (server.port.protocol ?? server.port.protocolWritten.toUpperCase()) || "an unknown protocol";
}

function isPlainHttp(server: GatewayServer): boolean {
  return !server.tls && server.port.protocol !== undefined && HTTP_PROTOCOLS.has(server.port.protocol);
}

/** The gateway proxies a Gateway applies to: those its selector picks, or every one without a selector. */
function appliedTo(graph: MeshGraph, gateway: GatewayInfo): Workload[] {
  if (Object.keys(gateway.selector).length === 0) return graph.workloads.filter((workload) => workload.gateway !== undefined);
  return graph.gatewayWorkloads(gateway);
}
