/**
 * Who uses a VirtualService's routes: the client proxies whose route tables hold them. For sidecars,
 * the outbound scopes in which the VirtualService wins one of its hosts (Istio keeps the first
 * VirtualService per host and drops the others); for gateways, the gateway proxies that serve a
 * Gateway the VirtualService is bound to, with one of its hosts, and see it (`exportTo`). A delegate
 * VirtualService is used by the clients of the root VirtualServices that delegate to it.
 *
 * Sidecar scopes that apply the same VirtualServices (they share one VirtualService index: no
 * Sidecar narrows their egress hosts and they see the same `exportTo`-restricted VirtualServices)
 * are kept together as one group, listed once per VirtualService they use: a mesh of N namespaces
 * and M VirtualServices has N × M (scope, VirtualService) pairs but usually one group.
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

/** Sidecar clients whose scopes apply the same VirtualServices, in proxy order. Shared between VirtualServices. */
export interface SidecarClientGroup {
  readonly clients: readonly VirtualServiceClient[];
  /** Each client's rank among all sidecar clients of the input (proxy order), to merge groups back into order. */
  readonly ranks: readonly number[];
  /** Whether no Sidecar narrows the scopes' egress hosts (every service exported to a scope's namespace is visible there). */
  readonly unrestricted: boolean;
}

/**
 * A part of a VirtualService's clients: sidecar groups, then single clients (gateways). A root
 * VirtualService has one segment; a delegate one per root it is reached from, with the clients that
 * root adds. In order, a segment's clients are its groups' clients by rank, then its single clients.
 */
export interface ClientSegment {
  readonly groups: readonly SidecarClientGroup[];
  readonly clients: readonly VirtualServiceClient[];
}

interface MutableSegment {
  groups: SidecarClientGroup[];
  clients: VirtualServiceClient[];
}

const usersCache = new WeakMap<MeshGraph, Map<VirtualServiceInfo, MutableSegment[]>>();
const clientsCache = new WeakMap<MeshGraph, Map<VirtualServiceInfo, VirtualServiceClient[]>>();

/** Every VirtualService that some proxy of the input uses, with its clients by segment (in the order of {@link virtualServiceClients}). */
export function virtualServiceUsers(graph: MeshGraph): ReadonlyMap<VirtualServiceInfo, readonly ClientSegment[]> {
  const cached = usersCache.get(graph);
  if (cached) return cached;
  const users = new Map<VirtualServiceInfo, MutableSegment[]>();
  // Sidecars: proxies grouped by their outbound scope, one client object per scope; scopes grouped
  // by the VirtualService index they share, one group per index, listed for each VirtualService it
  // uses. Groups come in the order of their first scope, so VirtualServices get their first client
  // in the same order as when every scope is listed.
  const byScope = new Map<OutboundScope, Proxy[]>();
  let last: Proxy | undefined;
  let scope: OutboundScope | undefined;
  // Indexed loops and `forEach`: these run before the code is optimized, where `for...of` allocates
  // an iterator and a result per step.
  const proxies = graph.proxies();
  for (let i = 0; i < proxies.length; i++) {
    const proxy = proxies[i];
    if (proxy.kind !== "sidecar") continue;
    // Proxies of a namespace mostly come one after the other, under the same Sidecar.
    if (!scope || proxy.namespace !== last!.namespace || proxy.sidecar !== last!.sidecar) scope = graph.outboundScope(proxy.namespace, proxy.sidecar);
    last = proxy;
    const list = byScope.get(scope);
    if (list) list.push(proxy);
    else byScope.set(scope, [proxy]);
  }
  const groups = new Map<object, { clients: VirtualServiceClient[]; ranks: number[]; unrestricted: boolean }>();
  let rank = 0;
  byScope.forEach((proxies, scope) => {
    const key = scope.virtualServiceIndexKey();
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { clients: [], ranks: [], unrestricted: !scope.egressRestricted }));
    group.ranks.push(rank++);
    group.clients.push({ scope, namespace: scope.namespace, gateway: "mesh", proxies });
  });
  groups.forEach((group) => {
    const used = group.clients[0].scope.usedVirtualServices();
    for (let i = 0; i < used.length; i++) {
      const vs = used[i];
      const segments = users.get(vs);
      if (segments) segments[0].groups.push(group);
      else users.set(vs, [{ groups: [group], clients: [] }]);
    }
  });

  // Gateways: the VirtualServices bound to a Gateway selecting the proxy, for a host a server serves.
  for (let i = 0; i < proxies.length; i++) {
    const proxy = proxies[i];
    if (proxy.kind !== "gateway") continue;
    const gatewayProxy = graph.gatewayProxy(proxy);
    for (const gateway of gatewayProxy.gateways()) {
      for (const vs of gatewayProxy.virtualServicesFor(gateway)) {
        if (!gateway.servers.some((server) => serverHostsFor(server, vs).length > 0)) continue;
        let segments = users.get(vs);
        if (!segments) users.set(vs, (segments = [{ groups: [], clients: [] }]));
        addClient(segments, segments[segments.length - 1], { scope: gatewayProxy.scope, namespace: proxy.namespace, gateway: gateway.key, proxies: [proxy] });
      }
    }
  }

  // Delegates: the clients of their roots (Istio supports one level of delegation), a segment per
  // root, without the groups and clients an earlier root gave already.
  const byName = new Map<string, VirtualServiceInfo>();
  const virtualServices = graph.virtualServices;
  for (let i = 0; i < virtualServices.length; i++) {
    const vs = virtualServices[i];
    if (vs.delegate && !byName.has(`${vs.namespace}/${vs.name}`)) byName.set(`${vs.namespace}/${vs.name}`, vs);
  }
  // (Without delegate VirtualServices no route delegates to one.)
  for (const [root, rootSegments] of byName.size > 0 ? [...users] : []) {
    for (const route of root.routes) {
      if (!route.delegate) continue;
      const delegate = byName.get(`${route.delegate.namespace}/${route.delegate.name}`);
      if (!delegate) continue;
      const segments = [...(users.get(delegate) ?? []), { groups: [], clients: [] }];
      const segment = segments[segments.length - 1];
      for (const { groups: rootGroups, clients } of rootSegments) {
        for (const group of rootGroups) if (!segments.some((s) => s.groups.includes(group))) segment.groups.push(group);
        for (const client of clients) addClient(segments, segment, client);
      }
      if (segment.groups.length > 0 || segment.clients.length > 0) users.set(delegate, segments);
    }
  }

  usersCache.set(graph, users);
  return users;
}

/**
 * Adds a single client to a VirtualService's segments (to `target`), unless it already has one for
 * that scope and gateway: then merges the proxies into that one.
 */
function addClient(segments: MutableSegment[], target: MutableSegment, client: VirtualServiceClient): void {
  for (const { clients } of segments) {
    const existing = clients.find((c) => c.scope === client.scope && c.gateway === client.gateway);
    if (!existing) continue;
    const added = client.proxies.filter((proxy) => !existing.proxies.includes(proxy));
    if (added.length > 0) clients[clients.indexOf(existing)] = { ...existing, proxies: [...existing.proxies, ...added] };
    return;
  }
  target.clients.push(client);
}

/**
 * The clients of segments one by one, in order, each with its group (see {@link ClientSegment}):
 * for segments of these clients, or of anything shaped alike.
 */
export function inSegmentOrder<C, G extends { readonly clients: readonly C[]; readonly ranks: readonly number[] }>(
  segments: readonly { readonly groups: readonly G[]; readonly clients: readonly C[] }[],
): { client: C; group?: G }[] {
  const out: { client: C; group?: G }[] = [];
  for (const segment of segments) {
    const ranked = segment.groups.flatMap((group) => group.clients.map((client, i) => ({ client, group, rank: group.ranks[i] })));
    if (segment.groups.length > 1) ranked.sort((a, b) => a.rank - b.rank);
    for (const { client, group } of ranked) out.push({ client, group });
    for (const client of segment.clients) out.push({ client });
  }
  return out;
}

/**
 * Every VirtualService that some proxy of the input uses, with the clients using it one by one: as
 * {@link virtualServiceUsers}, expanded (its size is namespaces × VirtualServices; prefer the groups).
 */
export function virtualServiceClients(graph: MeshGraph): ReadonlyMap<VirtualServiceInfo, readonly VirtualServiceClient[]> {
  const cached = clientsCache.get(graph);
  if (cached) return cached;
  const clients = new Map<VirtualServiceInfo, VirtualServiceClient[]>();
  for (const [vs, segments] of virtualServiceUsers(graph)) clients.set(vs, inSegmentOrder(segments).map((entry) => entry.client));
  clientsCache.set(graph, clients);
  return clients;
}
