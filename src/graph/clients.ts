/**
 * Who uses a VirtualService's routes: the client proxies whose route tables hold them. For sidecars,
 * the outbound scopes in which the VirtualService wins one of its hosts (Istio keeps the first
 * VirtualService per host and drops the others); for gateways, the gateway proxies that serve a
 * Gateway the VirtualService is bound to, with one of its hosts, and see it (`exportTo`). A delegate
 * VirtualService is used by the clients of the root VirtualServices that delegate to it.
 */
import type { MeshGraph } from "./index.js";
import type { OutboundScope } from "./outbound.js";
import { serverHostsFor, type Proxy } from "./proxies.js";
import type { VirtualServiceInfo } from "./virtual-services.js";

export interface VirtualServiceClient {
  /** The outbound scope whose clusters the routes target (and whose DestinationRules apply). */
  scope: OutboundScope;
  namespace: string;
  /** `mesh` for sidecars, else the key (`namespace/name`) of the Gateway the proxies serve the routes for. */
  gateway: string;
  /** The proxies of the input in this client position. Client objects are shared between VirtualServices: do not mutate. */
  proxies: readonly Proxy[];
}

const cache = new WeakMap<MeshGraph, Map<VirtualServiceInfo, VirtualServiceClient[]>>();

/** Every VirtualService that some proxy of the input uses, with the clients using it. */
export function virtualServiceClients(graph: MeshGraph): ReadonlyMap<VirtualServiceInfo, readonly VirtualServiceClient[]> {
  const cached = cache.get(graph);
  if (cached) return cached;
  const clients = new Map<VirtualServiceInfo, VirtualServiceClient[]>();
  const push = (vs: VirtualServiceInfo, client: VirtualServiceClient) => {
    const list = clients.get(vs);
    if (list) list.push(client);
    else clients.set(vs, [client]);
  };
  /** Adds a client unless the VirtualService already has one for that scope and gateway (then merges the proxies). */
  const add = (vs: VirtualServiceInfo, client: VirtualServiceClient) => {
    const existing = clients.get(vs)?.find((c) => c.scope === client.scope && c.gateway === client.gateway);
    if (!existing) return push(vs, client);
    const added = client.proxies.filter((proxy) => !existing.proxies.includes(proxy));
    if (added.length === 0) return;
    const merged = { ...existing, proxies: [...existing.proxies, ...added] };
    const list = clients.get(vs)!;
    list[list.indexOf(existing)] = merged;
  };

  // Sidecars: proxies grouped by their outbound scope; one client object per scope, shared by the
  // VirtualServices it uses (each appears once in a scope's list).
  const byScope = new Map<OutboundScope, Proxy[]>();
  for (const proxy of graph.proxies()) {
    if (proxy.kind !== "sidecar") continue;
    const scope = graph.outboundScope(proxy.namespace, proxy.sidecar);
    const list = byScope.get(scope);
    if (list) list.push(proxy);
    else byScope.set(scope, [proxy]);
  }
  for (const [scope, proxies] of byScope) {
    const client: VirtualServiceClient = { scope, namespace: scope.namespace, gateway: "mesh", proxies };
    for (const vs of scope.usedVirtualServices()) push(vs, client);
  }

  // Gateways: the VirtualServices bound to a Gateway selecting the proxy, for a host a server serves.
  for (const proxy of graph.proxies()) {
    if (proxy.kind !== "gateway") continue;
    const gatewayProxy = graph.gatewayProxy(proxy);
    for (const gateway of gatewayProxy.gateways()) {
      for (const vs of gatewayProxy.virtualServicesFor(gateway)) {
        if (!gateway.servers.some((server) => serverHostsFor(server, vs).length > 0)) continue;
        add(vs, { scope: gatewayProxy.scope, namespace: proxy.namespace, gateway: gateway.key, proxies: [proxy] });
      }
    }
  }

  // Delegates: the clients of their roots (Istio supports one level of delegation).
  const byName = new Map<string, VirtualServiceInfo>();
  for (const vs of graph.virtualServices) if (vs.delegate && !byName.has(`${vs.namespace}/${vs.name}`)) byName.set(`${vs.namespace}/${vs.name}`, vs);
  for (const [root, rootClients] of [...clients]) {
    for (const route of root.routes) {
      if (!route.delegate) continue;
      const delegate = byName.get(`${route.delegate.namespace}/${route.delegate.name}`);
      if (!delegate) continue;
      for (const client of rootClients) add(delegate, client);
    }
  }

  cache.set(graph, clients);
  return clients;
}
