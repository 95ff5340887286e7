/**
 * What a proxy sends traffic to: the outbound listeners, route configurations and clusters istiod
 * generates for a scope (a namespace, narrowed by a Sidecar resource). Proxies in the same scope get
 * the same outbound configuration, so it is computed once per scope, lazily, piece by piece.
 */
import { hostMatches } from "../model/hosts.js";
import { asArray, asRecord, asString } from "../model/resource.js";
import type { DestinationRuleInfo, EffectiveDestinationRule, SubsetInfo } from "./destination-rules.js";
import {
  outboundClusterName,
  type Cluster,
  type ClusterTls,
  type ClientTlsMode,
  type Endpoint,
  type Listener,
  type Route,
  type RouteConfiguration,
  type VirtualHost,
  type WeightedCluster,
} from "./envoy.js";
import type { MeshGraph } from "./index.js";
import { isExportedTo } from "./services.js";
import type { SidecarInfo } from "./sidecars.js";
import type { MeshService, Provenance, ServicePort, Workload } from "./types.js";
import { resolveGatewayName, type RouteDestination, type VirtualServiceInfo, type VirtualServiceRoute } from "./virtual-services.js";
import { selects } from "./workloads.js";

/** Who the client is: a namespace, its Sidecar scope, and (for gateways) the gateway key. */
export interface ScopeKey {
  namespace: string;
  sidecar?: SidecarInfo;
}

/** A VirtualService that loses a host to an earlier one for sidecars (Istio does not merge them). */
export interface DroppedVirtualService {
  virtualService: VirtualServiceInfo;
  host: string;
  winner: VirtualServiceInfo;
}

interface VirtualServiceIndex {
  winners: Map<string, VirtualServiceInfo>;
  dropped: DroppedVirtualService[];
  ordered: VirtualServiceInfo[];
  wildcards: VirtualServiceInfo[];
  /** The VirtualServices winning one of their hosts (computed on demand). */
  used?: VirtualServiceInfo[];
}

function winnerFor(index: VirtualServiceIndex, host: string): VirtualServiceInfo | undefined {
  const exact = index.winners.get(host);
  if (exact) return exact;
  for (const vs of index.wildcards) if (vs.hosts.some((h) => hostMatches(h.host, host))) return vs;
  return undefined;
}

interface SharedIndexes {
  restricted: [number, VirtualServiceInfo][];
  byKey: Map<string, VirtualServiceIndex>;
  /** Positions (in Istio's order) of the mesh-bound, non-delegate VirtualServices of each namespace. */
  meshBoundByNamespace: Map<string, number[]>;
  /** The non-delegate VirtualServices bound to each Gateway (`namespace/name`), in Istio's order. */
  byGateway: Map<string, VirtualServiceInfo[]>;
}

const sharedIndexCache = new WeakMap<MeshGraph, SharedIndexes>();

/**
 * Per graph: the VirtualServices whose visibility or order depends on the client namespace (a written
 * `exportTo` other than `*`), with their positions, and the indexes built so far by what those decide;
 * the positions of the mesh-bound VirtualServices by namespace (for Sidecars that name namespaces);
 * the VirtualServices by Gateway.
 */
function sharedIndexes(graph: MeshGraph): SharedIndexes {
  let shared = sharedIndexCache.get(graph);
  if (!shared) {
    const restricted: [number, VirtualServiceInfo][] = [];
    const meshBoundByNamespace = new Map<string, number[]>();
    const byGateway = new Map<string, VirtualServiceInfo[]>();
    graph.virtualServices.forEach((vs, position) => {
      if (writtenExportTo(vs).some((v) => v !== "*")) restricted.push([position, vs]);
      if (vs.delegate) return;
      for (const { gateway } of vs.gateways) {
        if (gateway === "mesh") continue;
        const list = byGateway.get(gateway);
        if (!list) byGateway.set(gateway, [vs]);
        else if (list[list.length - 1] !== vs) list.push(vs);
      }
      if (!meshBound(vs)) return;
      const list = meshBoundByNamespace.get(vs.namespace);
      if (list) list.push(position);
      else meshBoundByNamespace.set(vs.namespace, [position]);
    });
    sharedIndexCache.set(graph, (shared = { restricted, byKey: new Map(), meshBoundByNamespace, byGateway }));
  }
  return shared;
}

/**
 * The VirtualServices bound to a Gateway (its `namespace/name` key) that proxies in a namespace see
 * (`exportTo`), in the order istiod merges them: by export group, then in Istio's order. The same
 * answer Istio gives a gateway proxy in that namespace, from an index by gateway.
 */
export function gatewayVirtualServices(graph: MeshGraph, gatewayKey: string, namespace: string): VirtualServiceInfo[] {
  const visible = (sharedIndexes(graph).byGateway.get(gatewayKey) ?? []).filter((vs) => isExportedTo(vs.exportTo, namespace));
  return inExportOrder(visible, namespace);
}

/** Whether a VirtualService applies to sidecars (`mesh` among its gateways). */
function meshBound(vs: VirtualServiceInfo): boolean {
  for (let i = 0; i < vs.gateways.length; i++) if (vs.gateways[i].gateway === "mesh") return true;
  return false;
}

/** VirtualServices (in Istio's order) sorted by their export group for a namespace, stably. */
function inExportOrder(virtualServices: VirtualServiceInfo[], namespace: string): VirtualServiceInfo[] {
  // Usually all public (no `exportTo` written): nothing to sort.
  let written = false;
  for (let i = 0; i < virtualServices.length && !written; i++) written = virtualServices[i].exportToWritten;
  if (!written) return virtualServices;
  const groups = virtualServices.map((vs) => exportGroup(vs, namespace));
  if (groups.every((group) => group === 2)) return virtualServices;
  return virtualServices
    .map((vs, order) => ({ vs, order, group: groups[order] }))
    .sort((a, b) => a.group - b.group || a.order - b.order)
    .map((entry) => entry.vs);
}

/**
 * Istio's grouping of VirtualServices for a proxy namespace (sidecars and gateways alike): private to
 * the namespace, exported to it by name, then public.
 */
function exportGroup(vs: VirtualServiceInfo, namespace: string): number {
  const written = writtenExportTo(vs);
  if (written.length === 0) return 2;
  if (written.includes(".") && vs.namespace === namespace) return 0;
  if (written.includes(namespace)) return 1;
  return 2;
}

const NONE: readonly string[] = [];

/** The `exportTo` entries written on a VirtualService (none when the field is absent). */
function writtenExportTo(vs: VirtualServiceInfo): readonly string[] {
  if (!vs.exportToWritten) return NONE;
  return asArray(vs.resource.spec.exportTo).filter((v): v is string => typeof v === "string");
}

/**
 * The TLS of a DestinationRule's traffic policy for a service port (and subset), as istiod resolves it
 * (`MergeSubsetTrafficPolicy`): a `portLevelSettings` entry for the port replaces its policy wholesale,
 * so an entry without `tls` leaves the port to auto mTLS even when the policy above it sets one; a
 * subset's policy (or its port-level entry) then overrides `tls` when it sets it, and its port-level
 * entry always does. A `tls` block without `mode` is mode DISABLE (the enum's zero value): plaintext.
 * Undefined when no `tls` applies (auto mTLS decides).
 */
export function clientTlsSetting(
  rule: EffectiveDestinationRule | undefined,
  port: number,
  subset: SubsetInfo | undefined,
): { mode: ClientTlsMode; provenance: Provenance; policy: Record<string, unknown> } | undefined {
  if (!rule) return undefined;
  type Chosen = { policy: Record<string, unknown>; path: (string | number)[]; owner: DestinationRuleInfo | undefined };
  /** The policy for the port: its port-level entry (wholesale) if it has one, else the policy itself. */
  const forPort = (policy: Record<string, unknown>, path: (string | number)[], owner: DestinationRuleInfo | undefined): Chosen & { portLevel: boolean } => {
    const list = asArray(policy.portLevelSettings);
    const index = list.findIndex((entry) => asRecord(asRecord(entry).port).number === port);
    return index === -1
      ? { policy, path, owner, portLevel: false }
      : { policy: asRecord(list[index]), path: [...path, "portLevelSettings", index], owner, portLevel: true };
  };
  let chosen: Chosen | undefined;
  if (rule.trafficPolicy?.policy) chosen = forPort(rule.trafficPolicy.policy, ["spec", "trafficPolicy"], rule.trafficPolicy.rule);
  if (subset?.trafficPolicy) {
    const level = forPort(subset.trafficPolicy, [...subset.provenance.path, "trafficPolicy"], rule.subsets.get(subset.name)?.rule);
    if (level.portLevel || hasTls(level.policy)) chosen = level;
  }
  if (!chosen?.owner || !hasTls(chosen.policy)) return undefined;
  const found = tlsOf(chosen.policy, chosen.path, chosen.owner);
  return found && { ...found, policy: chosen.policy };
}

/**
 * The DestinationRule's TLS mode for a port as istiod's EDS reads it to mark endpoints for auto mTLS
 * (`tlsModeForDestinationRule`): the subset's policy first, else the rule's; in each, a
 * `portLevelSettings` entry for the port counts only when it sets `tls`, else the policy's own `tls`.
 * Unlike {@link clientTlsSetting}, a port-level entry without `tls` does not hide the policy's.
 */
export function endpointTlsMode(
  rule: EffectiveDestinationRule | undefined,
  port: number,
  subset: SubsetInfo | undefined,
): { mode: ClientTlsMode; provenance: Provenance } | undefined {
  if (!rule) return undefined;
  const inPolicy = (policy: Record<string, unknown>, path: (string | number)[], owner: DestinationRuleInfo | undefined) => {
    if (!owner) return undefined;
    const list = asArray(policy.portLevelSettings);
    const index = list.findIndex((entry) => asRecord(asRecord(entry).port).number === port && hasTls(asRecord(entry)));
    const chosen = index !== -1 ? { policy: asRecord(list[index]), path: [...path, "portLevelSettings", index] } : hasTls(policy) ? { policy, path } : undefined;
    return chosen && tlsOf(chosen.policy, chosen.path, owner);
  };
  if (subset?.trafficPolicy) {
    const found = inPolicy(subset.trafficPolicy, [...subset.provenance.path, "trafficPolicy"], rule.subsets.get(subset.name)?.rule);
    if (found) return found;
  }
  return rule.trafficPolicy ? inPolicy(rule.trafficPolicy.policy, ["spec", "trafficPolicy"], rule.trafficPolicy.rule) : undefined;
}

/** A policy's `tls` mode (absent: DISABLE, the enum's zero value) and where it is written. */
function tlsOf(policy: Record<string, unknown>, path: (string | number)[], owner: DestinationRuleInfo): { mode: ClientTlsMode; provenance: Provenance } | undefined {
  const written = asString(asRecord(policy.tls).mode);
  const mode = written ?? "DISABLE";
  if (mode !== "DISABLE" && mode !== "SIMPLE" && mode !== "MUTUAL" && mode !== "ISTIO_MUTUAL") return undefined;
  return { mode, provenance: { resource: owner.resource, path: [...path, "tls", ...(written === undefined ? [] : ["mode"])] } };
}

/** Whether a traffic policy sets `tls` (a mapping; `tls:` with no value is unset). */
function hasTls(policy: Record<string, unknown>): boolean {
  const tls = policy.tls;
  return tls !== null && typeof tls === "object" && !Array.isArray(tls);
}

/** The Envoy cluster type istiod gives a service: EDS for Kubernetes services, by resolution for ServiceEntries. */
function clusterType(service: MeshService): Cluster["type"] {
  if (service.origin === "Service") return service.resolution === "ExternalName" ? "STRICT_DNS" : "EDS";
  switch (service.resolution) {
    case "DNS":
      return "STRICT_DNS";
    case "DNS_ROUND_ROBIN":
      return "LOGICAL_DNS";
    case "STATIC":
      return "EDS";
    default:
      return "ORIGINAL_DST";
  }
}

/**
 * A client cluster's TLS: the DestinationRule's `tls` for the cluster ({@link clientTlsSetting}); else
 * auto mTLS — plaintext for mesh-external services and services whose namespace- or mesh-level
 * PeerAuthentication is DISABLE; else the DestinationRule's mode for the port marking every endpoint
 * ({@link endpointTlsMode}), if it has one; else Istio mTLS to endpoints with a sidecar.
 */
export function clusterTls(
  graph: MeshGraph,
  rule: EffectiveDestinationRule | undefined,
  service: MeshService,
  port: number,
  subset: SubsetInfo | undefined,
): ClusterTls {
  const explicit = clientTlsSetting(rule, port, subset);
  if (explicit) return { mode: explicit.mode, source: "destination-rule", provenance: explicit.provenance };
  if (!graph.mesh.enableAutoMtls) return { mode: "DISABLE", source: "none" };
  if (service.location === "MESH_EXTERNAL") return { mode: "DISABLE", source: "auto" };
  const inferred = graph.peerAuthentications.namespaceLevelMode(service.namespace);
  if (inferred.mode === "DISABLE") return { mode: "DISABLE", source: "auto", inferredFrom: inferred };
  // Auto mTLS, but a DestinationRule mode the cluster does not use still decides every endpoint.
  const marked = endpointTlsMode(rule, port, subset);
  if (marked) return { mode: marked.mode === "ISTIO_MUTUAL" ? "ISTIO_MUTUAL" : "DISABLE", source: "destination-rule", provenance: marked.provenance, endpointsMarkedBy: marked.mode };
  return { mode: "ISTIO_MUTUAL", source: "auto", inferredFrom: inferred };
}

/** Resolves a Service port's target to the workload's container port number. */
export function targetPortOf(port: ServicePort, workload: Workload | undefined): number | undefined {
  if (port.targetPort === undefined) return port.port;
  if (typeof port.targetPort === "number") return port.targetPort;
  const named = workload?.containerPorts.find((p) => p.name === port.targetPort);
  return named?.port;
}

/**
 * Whether istiod counts an HTTP route's destinations for a scope's namespace when inferring services
 * (push_context's virtualServiceDestinationsFilteredBySourceNamespace): not when a match names a
 * source namespace and none names this one.
 */
function sourceNamespaceAdmits(route: VirtualServiceRoute, namespace: string): boolean {
  let admitted = true;
  for (const match of route.matches) {
    const source = match.sourceNamespace;
    if (typeof source !== "string" || source === "") continue;
    if (source === namespace) return true;
    admitted = false;
  }
  return admitted;
}

export class OutboundScope {
  readonly namespace: string;
  readonly sidecar?: SidecarInfo;
  private visibleCache?: MeshService[];
  private inferredCache?: Map<MeshService, ReadonlySet<number> | "all">;
  private vsIndex?: VirtualServiceIndex;
  private readonly clusterCache = new Map<string, Cluster | null>();
  private readonly routeConfigCache = new Map<number, RouteConfiguration>();

  constructor(
    private readonly graph: MeshGraph,
    key: ScopeKey,
  ) {
    this.namespace = key.namespace;
    this.sidecar = key.sidecar;
  }

  /** Whether a Sidecar narrows the egress hosts (else every service exported to the namespace is visible). */
  get egressRestricted(): boolean {
    return this.sidecar !== undefined && this.sidecar.egress.length > 0;
  }

  get outboundTrafficPolicy(): "ALLOW_ANY" | "REGISTRY_ONLY" {
    return this.sidecar?.outboundTrafficPolicy ?? this.graph.mesh.outboundTrafficPolicy;
  }

  /** Whether the Sidecar's egress hosts let the proxy see a host of a namespace (on a port). */
  egressAllows(namespace: string, host: string, port?: number): boolean {
    if (!this.sidecar || this.sidecar.egress.length === 0) return true;
    // Indexed loops (here and below): they run before the code is optimized, where `for...of` and
    // callbacks allocate per step.
    const egress = this.sidecar.egress;
    for (let l = 0; l < egress.length; l++) {
      const listener = egress[l];
      if (listener.port !== undefined && port !== undefined && listener.port !== port) continue;
      if (this.listenerAllows(listener, namespace, host)) return true;
    }
    return false;
  }

  serviceVisible(service: MeshService, port?: number): boolean {
    if (!isExportedTo(service.exportTo, this.namespace)) return false;
    if (this.egressAllows(service.namespace, service.hostname, port)) return true;
    const inferred = this.inferredServices().get(service);
    return inferred !== undefined && (inferred === "all" || port === undefined || inferred.has(port));
  }

  /**
   * The services istiod adds to a scope that a Sidecar narrows, beyond its egress hosts: the
   * destinations of the VirtualServices each egress listener selects (SidecarScope's
   * collectImportedServices). A destination host resolves to the service of the scope's namespace,
   * else of the first namespace (by name) that exports it here; it is added with the ports the routes
   * name (all of them when a route names none), or the listener's port when the listener has one, and
   * not when it has none of those. Routes limited to other source namespaces are left out.
   */
  private inferredServices(): ReadonlyMap<MeshService, ReadonlySet<number> | "all"> {
    if (this.inferredCache) return this.inferredCache;
    const found = new Map<MeshService, Set<number> | "all">();
    this.inferredCache = found;
    if (!this.egressRestricted) return found;
    const add = (service: MeshService, ports: number[] | "all") => {
      const known = found.get(service);
      if (known === "all") return;
      if (ports === "all") found.set(service, "all");
      else if (known) ports.forEach((port) => known.add(port));
      else found.set(service, new Set(ports));
    };
    const virtualServices = this.virtualServices();
    for (const listener of this.sidecar!.egress) {
      for (let v = 0; v < virtualServices.length; v++) {
        const vs = virtualServices[v];
        if (!vs.hosts.some((h) => this.listenerAllows(listener, vs.namespace, h.host))) continue;
        for (const [host, ports] of this.destinationPorts(vs)) {
          const service = this.inferredService(host);
          if (!service) continue;
          // The service as istiod copies it: with the listener's port, or the ports the routes name.
          const kept =
            listener.port !== undefined ? service.ports.filter((p) => p.port === listener.port) : ports.has(0) ? service.ports : service.ports.filter((p) => ports.has(p.port));
          if (kept.length === 0) continue;
          add(service, kept.length === service.ports.length ? "all" : kept.map((p) => p.port));
        }
      }
    }
    return found;
  }

  /** Whether one egress listener's hosts admit a host of a namespace. */
  private listenerAllows(listener: SidecarInfo["egress"][number], namespace: string, host: string): boolean {
    const hosts = listener.hosts;
    for (let h = 0; h < hosts.length; h++) {
      const entry = hosts[h];
      const entryNamespace = entry.namespace === "." ? this.namespace : entry.namespace;
      if ((entryNamespace === "*" || entryNamespace === namespace) && entryNamespace !== "~" && (entry.host === "*" || hostMatches(entry.host, host))) return true;
    }
    return false;
  }

  /** Destination hosts of a VirtualService (and its delegates) with the ports they name (0: none named), for this namespace's sources. */
  private destinationPorts(vs: VirtualServiceInfo): Map<string, Set<number>> {
    const out = new Map<string, Set<number>>();
    const add = (destination: RouteDestination) => {
      const ports = out.get(destination.host) ?? new Set<number>();
      ports.add(destination.port ?? 0);
      out.set(destination.host, ports);
    };
    const visit = (routes: readonly VirtualServiceRoute[], depth: number) => {
      for (const route of routes) {
        if (route.protocol === "http" && !sourceNamespaceAdmits(route, this.namespace)) continue;
        route.destinations.forEach(add);
        route.mirrors.forEach(add);
        if (route.delegate && depth === 0) {
          const delegate = this.graph.virtualServices.find((other) => other.delegate && other.name === route.delegate!.name && other.namespace === route.delegate!.namespace);
          if (delegate) visit(delegate.routes, 1);
        }
      }
    };
    visit(vs.routes, 0);
    return out;
  }

  /** The service istiod picks for an inferred destination host: in this namespace, else the first namespace by name that exports it here. */
  private inferredService(host: string): MeshService | undefined {
    const candidates = this.graph.services.exact(host);
    let best: MeshService | undefined;
    for (const service of candidates) {
      if (service.namespace === this.namespace) return service;
      if (!isExportedTo(service.exportTo, this.namespace)) continue;
      if (!best || service.namespace < best.namespace) best = service;
    }
    return best;
  }

  visibleServices(): MeshService[] {
    this.visibleCache ??= this.graph.services.services.filter((service) => this.serviceVisible(service));
    return this.visibleCache;
  }

  /** The service a host resolves to from this scope (exported to the namespace and allowed by the Sidecar, or inferred from its VirtualServices). */
  service(host: string): MeshService | undefined {
    const found = this.graph.services.lookup(host, this.namespace);
    if (!found) return undefined;
    if (this.egressAllows(found.namespace, found.hostname)) return found;
    if (!this.egressRestricted) return undefined;
    for (const service of this.inferredServices().keys()) if (service.hostname === host) return service;
    return undefined;
  }

  /**
   * Mesh-bound VirtualServices this scope sees, in the order Istio applies them. Scopes whose Sidecar
   * does not narrow the egress hosts differ only in the VirtualServices with a written `exportTo`
   * (which they see, in which group): scopes that agree on those share one index.
   */
  private index(): VirtualServiceIndex {
    if (this.vsIndex) return this.vsIndex;
    if (!this.egressRestricted) {
      const shared = sharedIndexes(this.graph);
      let key = "";
      for (const [position, vs] of shared.restricted) {
        if (isExportedTo(vs.exportTo, this.namespace)) key += `${position}:${exportGroup(vs, this.namespace)},`;
      }
      let index = shared.byKey.get(key);
      if (!index) shared.byKey.set(key, (index = this.buildIndex()));
      this.vsIndex = index;
      return index;
    }
    this.vsIndex = this.buildIndex();
    return this.vsIndex;
  }

  private buildIndex(): VirtualServiceIndex {
    const candidates = this.candidateVirtualServices();
    const restricted = this.egressRestricted;
    const visible: VirtualServiceInfo[] = [];
    for (let i = 0; i < candidates.length; i++) {
      const vs = candidates[i];
      if (vs.delegate || !meshBound(vs) || !isExportedTo(vs.exportTo, this.namespace)) continue;
      // Without egress hosts every host is allowed (a VirtualService that is no delegate has one).
      if (restricted ? vs.hosts.some((h) => this.egressAllows(vs.namespace, h.host)) : vs.hosts.length > 0) visible.push(vs);
    }
    const ordered = inExportOrder(visible, this.namespace);
    const winners = new Map<string, VirtualServiceInfo>();
    const dropped: DroppedVirtualService[] = [];
    for (let i = 0; i < ordered.length; i++) {
      const vs = ordered[i];
      for (let h = 0; h < vs.hosts.length; h++) {
        const host = vs.hosts[h].host;
        const winner = winners.get(host);
        if (!winner) winners.set(host, vs);
        else if (winner !== vs) dropped.push({ virtualService: vs, host, winner });
      }
    }
    // Only a wildcard host can cover a host it is not equal to (equal hosts are in `winners`).
    const wildcards = ordered.filter((vs) => vs.hosts.some((h) => h.host.startsWith("*")));
    return { winners, dropped, ordered, wildcards };
  }

  /**
   * The VirtualServices the egress hosts may admit, in Istio's order: all of them, or, when every
   * egress host names its namespace, the mesh-bound ones of those namespaces.
   */
  private candidateVirtualServices(): readonly VirtualServiceInfo[] {
    const all = this.graph.virtualServices;
    if (!this.egressRestricted) return all;
    const namespaces = new Set<string>();
    for (const listener of this.sidecar!.egress) {
      for (const entry of listener.hosts) {
        if (entry.namespace === "*") return all;
        namespaces.add(entry.namespace === "." ? this.namespace : entry.namespace);
      }
    }
    const byNamespace = sharedIndexes(this.graph).meshBoundByNamespace;
    const positions = [...namespaces].flatMap((namespace) => byNamespace.get(namespace) ?? []).sort((a, b) => a - b);
    return positions.map((position) => all[position]);
  }

  /**
   * An object that scopes applying the same VirtualServices in the same order share (their
   * VirtualService index): scopes with the same key use the same VirtualServices for every host.
   */
  virtualServiceIndexKey(): object {
    return this.index();
  }

  /** VirtualServices this scope applies, in order. */
  virtualServices(): readonly VirtualServiceInfo[] {
    return this.index().ordered;
  }

  /** VirtualServices that lose a host to an earlier one in this scope. */
  droppedVirtualServices(): readonly DroppedVirtualService[] {
    return this.index().dropped;
  }

  /** The VirtualService whose routes a sidecar uses for a service host: the first whose host covers it. */
  virtualServiceFor(host: string): VirtualServiceInfo | undefined {
    return winnerFor(this.index(), host);
  }

  /** The VirtualServices of {@link virtualServices} that win at least one of their hosts here, in order. */
  usedVirtualServices(): readonly VirtualServiceInfo[] {
    const index = this.index();
    if (!index.used) {
      const used: VirtualServiceInfo[] = [];
      for (let i = 0; i < index.ordered.length; i++) {
        const vs = index.ordered[i];
        for (let h = 0; h < vs.hosts.length; h++) {
          if (winnerFor(index, vs.hosts[h].host) !== vs) continue;
          used.push(vs);
          break;
        }
      }
      index.used = used;
    }
    return index.used;
  }

  /** The DestinationRule that applies from this scope to a service. */
  destinationRule(service: MeshService): EffectiveDestinationRule | undefined {
    return this.graph.destinationRules.forClient(this.namespace, service.hostname, service.namespace);
  }

  /** The cluster with a given name, if this proxy has it (undefined: a route to it gets 503 NC). */
  cluster(name: string): Cluster | undefined {
    const cached = this.clusterCache.get(name);
    if (cached !== undefined) return cached ?? undefined;
    const parts = name.split("|");
    let cluster: Cluster | undefined;
    if (parts.length === 4 && parts[0] === "outbound") {
      const service = this.service(parts[3]);
      const port = service?.ports.find((p) => p.port === Number(parts[1]));
      if (service && port && service.hostname === parts[3]) cluster = this.buildCluster(service, port, parts[2] || undefined);
    }
    this.clusterCache.set(name, cluster ?? null);
    return cluster;
  }

  private buildCluster(service: MeshService, port: ServicePort, subsetName: string | undefined): Cluster | undefined {
    const rule = this.destinationRule(service);
    const subset = subsetName ? rule?.subsets.get(subsetName) : undefined;
    if (subsetName && !subset) return undefined;
    const tls = clusterTls(this.graph, rule, service, port.port, subset);
    const graph = this.graph;
    let endpoints: Endpoint[] | undefined;
    const provenance: Provenance[] = [port.provenance];
    if (subset) provenance.push(subset.provenance);
    return {
      name: outboundClusterName(port.port, subsetName, service.hostname),
      direction: "outbound",
      type: clusterType(service),
      service,
      port,
      subset,
      destinationRule: rule,
      tls,
      endpoints: () => (endpoints ??= endpointsOf(graph, service, port, subset)),
      provenance,
    };
  }

  /** The cluster a route destination targets from this scope, on a listener port. */
  destinationCluster(destination: RouteDestination, listenerPort: number): WeightedCluster {
    const service = this.service(destination.host);
    const port =
      destination.port ?? (service && service.ports.length === 1 ? service.ports[0].port : listenerPort);
    const name = outboundClusterName(port, destination.subset, service?.hostname ?? destination.host);
    return { name, weight: destination.weight ?? 100, exists: this.cluster(name) !== undefined, provenance: destination.provenance };
  }

  /** The HTTP route configuration `<port>`: one virtual host per visible service with that port. */
  routeConfig(port: number): RouteConfiguration {
    const cached = this.routeConfigCache.get(port);
    if (cached) return cached;
    const virtualHosts: VirtualHost[] = [];
    const seenDomains = new Set<string>();
    // VirtualService hosts outside the registry (e.g. `example.com` without a ServiceEntry) get their
    // own virtual hosts on the ports of the VirtualService's registry services, or on port 80 when it
    // has none (istiod's rule), ahead of the services' virtual hosts.
    for (const vs of this.virtualServices()) {
      const outside = vs.hosts.filter(({ host }) => this.graph.services.matching(host, this.namespace).length === 0);
      if (outside.length === 0) continue;
      const httpPorts = new Set(
        vs.hosts.flatMap(({ host }) =>
          this.graph.services
            .matching(host, this.namespace)
            .flatMap((service) => service.ports.filter((p) => p.kind === "http" || p.kind === "auto").map((p) => p.port)),
        ),
      );
      if (!(httpPorts.has(port) || (httpPorts.size === 0 && port === 80))) continue;
      const routes = this.httpRoutes(vs, port, ["mesh"]);
      if (routes.length === 0) continue;
      for (const { host } of outside) {
        const domains = [host, `${host}:${port}`].filter((domain) => !seenDomains.has(domain));
        if (domains.length === 0) continue;
        for (const domain of domains) seenDomains.add(domain);
        virtualHosts.push({ name: `${host}:${port}`, domains, routes, virtualServices: [vs] });
      }
    }
    for (const service of this.visibleServices()) {
      const servicePort = service.ports.find((p) => p.port === port);
      if (!servicePort || (servicePort.kind !== "http" && servicePort.kind !== "auto")) continue;
      if (!this.serviceVisible(service, port)) continue;
      const vs = this.virtualServiceFor(service.hostname);
      const domains = serviceDomains(service, port, this.namespace).filter((domain) => !seenDomains.has(domain));
      if (domains.length === 0) continue;
      for (const domain of domains) seenDomains.add(domain);
      // A VirtualService with no route for this port (every match names another port) leaves the
      // service its default route, as istiod builds no virtual host from it.
      const routes = vs ? this.httpRoutes(vs, port, ["mesh"]) : [];
      virtualHosts.push({
        name: `${service.hostname}:${port}`,
        domains,
        routes: routes.length > 0 ? routes : [defaultRoute(this, service, port)],
        service,
        virtualServices: vs && routes.length > 0 ? [vs] : [],
      });
    }
    const config = { name: String(port), virtualHosts };
    this.routeConfigCache.set(port, config);
    return config;
  }

  /** The virtual host a sidecar uses for a service host on a port. */
  virtualHost(host: string, port: number): VirtualHost | undefined {
    return this.routeConfig(port).virtualHosts.find((vh) => vh.service?.hostname === host);
  }

  /** Envoy routes of a VirtualService on a listener port, as seen by `gateways` (`mesh` or gateway keys). */
  httpRoutes(vs: VirtualServiceInfo, port: number, gateways: readonly string[]): Route[] {
    return translateHttpRoutes(vs, port, gateways, (destination) => this.destinationCluster(destination, port), graphDelegateResolver(this.graph));
  }

  /** Outbound listeners for every visible service port. */
  listeners(): Listener[] {
    const listeners = new Map<string, Listener>();
    for (const service of this.visibleServices()) {
      for (const port of service.ports) {
        if (!this.serviceVisible(service, port.port)) continue;
        const http = port.kind === "http" || port.kind === "auto";
        const address = http || service.addresses.length === 0 || service.addresses[0].includes("/") ? "0.0.0.0" : service.addresses[0];
        const name = `${address}_${port.port}`;
        let listener = listeners.get(name);
        if (!listener) {
          listener = {
            name,
            address,
            port: port.port,
            direction: "outbound",
            protocol: port.kind === "auto" ? "auto" : port.kind,
            routeConfigName: http ? String(port.port) : undefined,
            filterChains: [],
            provenance: [],
          };
          listeners.set(name, listener);
        }
        listener.provenance.push(port.provenance);
        if (!http) {
          const vs = this.virtualServiceFor(service.hostname);
          const clusters = vs ? this.tcpClusters(vs, port.port) : undefined;
          listener.filterChains.push({
            match: port.kind === "tls" ? { serverNames: [service.hostname] } : {},
            clusters: clusters ?? [
              { name: outboundClusterName(port.port, undefined, service.hostname), weight: 100, exists: true },
            ],
            provenance: [port.provenance],
          });
        }
      }
    }
    return [...listeners.values()].sort((a, b) => a.port - b.port || a.name.localeCompare(b.name));
  }

  /** TCP/TLS route targets of a VirtualService on a port (the first matching route). */
  tcpClusters(vs: VirtualServiceInfo, port: number): WeightedCluster[] | undefined {
    for (const route of vs.routes) {
      if (route.protocol === "http") continue;
      const applies =
        route.matches.length === 0 ||
        route.matches.some((match) => (match.port === undefined || match.port === port) && gatewaysAllow(match, ["mesh"], vs.namespace));
      if (!applies) continue;
      return weightedDestinations(route.destinations, (destination) => this.destinationCluster(destination, port));
    }
    return undefined;
  }

  /** Every cluster of the scope: each visible service port, plus one per subset of its DestinationRule. */
  clusters(): Cluster[] {
    const clusters: Cluster[] = [];
    for (const service of this.visibleServices()) {
      const rule = this.destinationRule(service);
      for (const port of service.ports) {
        if (!this.serviceVisible(service, port.port)) continue;
        for (const subset of [undefined, ...(rule ? [...rule.subsets.keys()] : [])]) {
          const cluster = this.cluster(outboundClusterName(port.port, subset, service.hostname));
          if (cluster) clusters.push(cluster);
        }
      }
    }
    return clusters;
  }
}

/**
 * Whether a match entry's `gateways` restriction admits one of the given gateways (`mesh` or
 * `namespace/name` keys), its names resolved against the VirtualService's namespace.
 */
export function gatewaysAllow(match: Record<string, unknown>, gateways: readonly string[], namespace: string): boolean {
  const list = asArray(match.gateways).filter((g): g is string => typeof g === "string");
  if (list.length === 0) return true;
  // istiod resolves match gateways against the VirtualService's namespace (ResolveVirtualServiceShortnames).
  return list.some((g) => gateways.includes(resolveGatewayName(g, namespace)));
}

/**
 * Whether a match entry accepts every request, as Istio's `IsCatchAllRoute` judges the Envoy route it
 * becomes: no condition besides a URI `prefix: /` or `regex: .*` (or no URI). `port` and `gateways`
 * only decide whether the route is generated for a listener; `sourceLabels` / `sourceNamespace`
 * (ignored by Istio when `gateways` is set) depend on the proxy, so such an entry is a catch-all only
 * for some proxies and does not count here.
 */
export function isCatchAllMatch(match: Record<string, unknown>, source?: { labels: Readonly<Record<string, string>>; namespace: string }): boolean {
  const hasGateways = asArray(match.gateways).length > 0;
  // For a known proxy (a gateway's routes), istiod generates the entry only when its sourceLabels /
  // sourceNamespace select the proxy, and then without those conditions (sourceMatchHTTP).
  const sourceSelected =
    source !== undefined &&
    Object.entries(asRecord(match.sourceLabels)).every(([key, value]) => source.labels[key] === value) &&
    (!asString(match.sourceNamespace) || match.sourceNamespace === source.namespace);
  for (const [key, value] of Object.entries(match)) {
    if (value === undefined || value === null) continue;
    if (key === "name" || key === "statPrefix" || key === "ignoreUriCase" || key === "port" || key === "gateways") continue;
    if (key === "sourceNamespace") {
      if (hasGateways || value === "" || sourceSelected) continue;
      return false;
    }
    if (key === "sourceLabels") {
      if (hasGateways || Object.keys(asRecord(value)).length === 0 || sourceSelected) continue;
      return false;
    }
    if (key === "headers" || key === "withoutHeaders" || key === "queryParams") {
      if (Object.keys(asRecord(value)).length === 0) continue;
      return false;
    }
    if (key !== "uri") return false;
    const uri = asRecord(value);
    if (Object.keys(uri).length === 0) continue;
    if (uri.prefix === "/" || uri.regex === ".*") continue;
    return false;
  }
  return true;
}

/** Finds the delegate VirtualService a root route names (undefined: istiod drops the route). */
export type DelegateResolver = (delegate: { name: string; namespace: string }, root: VirtualServiceInfo) => VirtualServiceInfo | undefined;

/** Per graph: the delegate VirtualServices by `namespace/name`, in Istio's order. */
const delegatesByName = new WeakMap<MeshGraph, Map<string, VirtualServiceInfo[]>>();

/**
 * The delegate resolver of a graph, as istiod's VirtualService controller looks delegates up: a
 * VirtualService without hosts, of that name and namespace, exported to the root's namespace.
 */
export function graphDelegateResolver(graph: MeshGraph): DelegateResolver {
  let byName = delegatesByName.get(graph);
  if (!byName) {
    byName = new Map();
    for (const vs of graph.virtualServices) {
      if (!vs.delegate) continue;
      const key = `${vs.namespace}/${vs.name}`;
      const list = byName.get(key);
      if (list) list.push(vs);
      else byName.set(key, [vs]);
    }
    delegatesByName.set(graph, byName);
  }
  const found = byName;
  return (ref, root) =>
    found.get(`${ref.namespace}/${ref.name}`)?.find((vs) => isExportedTo(vs.exportTo, root.namespace));
}

/** One HTTP route after delegation: the route, the VirtualService it comes from and its match entries. */
interface EffectiveHttpRoute {
  vs: VirtualServiceInfo;
  vsRoute: VirtualServiceRoute;
  name: string;
  /** Match entries with the index they were written at (undefined for merged entries). */
  matches: { match: Record<string, unknown>; index: number | undefined }[];
  directResponse?: Record<string, unknown>;
  /** Whether the match entries are written ones (false: merged root ∧ delegate entries). */
  written: boolean;
}

/** istiod's `stringMatchConflict` (model/virtualservice.go): whether a delegate StringMatch can narrow the root's. */
function stringMatchConflict(root: unknown, leaf: unknown): boolean {
  if (root === undefined || root === null || leaf === undefined || leaf === null) return false;
  const r = asRecord(root);
  const l = asRecord(leaf);
  const [rRegex, rPrefix, rExact] = [asString(r.regex) ?? "", asString(r.prefix) ?? "", asString(r.exact) ?? ""];
  const [lRegex, lPrefix, lExact] = [asString(l.regex) ?? "", asString(l.prefix) ?? "", asString(l.exact) ?? ""];
  if (rRegex && (lRegex || lPrefix || lExact)) return true;
  if (lRegex && (rRegex || rPrefix || rExact)) return true;
  if (rExact) return lPrefix !== "" || lExact !== rExact;
  if (rPrefix) {
    if (lPrefix) return !lPrefix.startsWith(rPrefix);
    if (lExact) return !lExact.startsWith(rPrefix);
  }
  return true;
}

const stringKeys = (value: unknown): Record<string, unknown> => asRecord(value);
const resolvedGateways = (match: Record<string, unknown>, namespace: string): string[] =>
  asArray(match.gateways)
    .filter((g): g is string => typeof g === "string")
    .map((g) => resolveGatewayName(g, namespace));

/** istiod's `hasConflict` between a root match entry and a delegate's. */
function matchConflict(root: Record<string, unknown>, leaf: Record<string, unknown>, rootNs: string, leafNs: string): boolean {
  for (const key of ["uri", "scheme", "method", "authority"]) if (stringMatchConflict(root[key], leaf[key])) return true;
  for (const key of ["headers", "withoutHeaders", "queryParams"]) {
    const rootMap = stringKeys(root[key]);
    for (const [name, value] of Object.entries(stringKeys(leaf[key]))) if (stringMatchConflict(rootMap[name], value)) return true;
  }
  if ((root.ignoreUriCase === true) !== (leaf.ignoreUriCase === true)) return true;
  const [rootPort, leafPort] = [Number(root.port ?? 0), Number(leaf.port ?? 0)];
  if (rootPort > 0 && leafPort > 0 && rootPort !== leafPort) return true;
  const rootNamespace = asString(root.sourceNamespace) ?? "";
  if (rootNamespace && (asString(leaf.sourceNamespace) ?? "") !== rootNamespace) return true;
  const rootLabels = stringKeys(root.sourceLabels);
  for (const [key, value] of Object.entries(stringKeys(leaf.sourceLabels))) if (key in rootLabels && rootLabels[key] !== value) return true;
  const [rootGateways, leafGateways] = [resolvedGateways(root, rootNs), resolvedGateways(leaf, leafNs)];
  if (rootGateways.length > 0 && leafGateways.length > 0) {
    if (rootGateways.length < leafGateways.length || leafGateways.some((g) => !rootGateways.includes(g))) return true;
  }
  return false;
}

/** istiod's `mergeHTTPMatchRequest`: the delegate's conditions, completed (and overridden per key) by the root's. */
function mergeMatch(root: Record<string, unknown>, leaf: Record<string, unknown>, rootNs: string, leafNs: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...leaf };
  const rootName = asString(root.name) ?? "";
  const leafName = asString(leaf.name) ?? "";
  if (rootName || leafName) out.name = leafName ? (rootName ? `${rootName}-${leafName}` : leafName) : rootName;
  for (const key of ["uri", "scheme", "method", "authority", "sourceNamespace", "statPrefix"]) if (out[key] === undefined || out[key] === "") {
    if (root[key] !== undefined) out[key] = root[key];
  }
  for (const key of ["headers", "withoutHeaders", "queryParams", "sourceLabels"]) {
    const merged = { ...stringKeys(root[key]), ...stringKeys(leaf[key]) };
    if (Object.keys(merged).length > 0) out[key] = merged;
  }
  if (!Number(out.port ?? 0) && root.port !== undefined) out.port = root.port;
  const leafGateways = resolvedGateways(leaf, leafNs);
  const gateways = leafGateways.length > 0 ? leafGateways : resolvedGateways(root, rootNs);
  if (gateways.length > 0) out.gateways = gateways;
  return out;
}

/** A match entry after delegation, with the index of the root entry it comes from (undefined: the root route has no match). */
export interface MergedMatch {
  match: Record<string, unknown>;
  rootIndex: number | undefined;
}

/** istiod's `mergeHTTPMatchRequests`: undefined when the delegate route conflicts with the root (it is dropped). */
function mergeMatches(
  root: readonly Record<string, unknown>[],
  leaf: readonly Record<string, unknown>[],
  rootNs: string,
  leafNs: string,
): MergedMatch[] | undefined {
  if (root.length === 0) return leaf.map((match) => ({ match, rootIndex: undefined }));
  if (leaf.length === 0) return root.map((match, rootIndex) => ({ match, rootIndex }));
  const out: MergedMatch[] = [];
  for (const sub of leaf) {
    let found = false;
    for (let rootIndex = 0; rootIndex < root.length; rootIndex++) {
      if (matchConflict(root[rootIndex], sub, rootNs, leafNs)) continue;
      out.push({ match: mergeMatch(root[rootIndex], sub, rootNs, leafNs), rootIndex });
      found = true;
    }
    if (!found) return undefined;
  }
  return out.length > 0 ? out : undefined;
}

/**
 * Why istiod drops a delegate route when merging it into a root route (`mergeHTTPMatchRequests`):
 * the index of its first match entry that conflicts with every entry of the root route.
 * Undefined when the route is kept.
 */
export function conflictingDelegateEntry(
  root: readonly Record<string, unknown>[],
  leaf: readonly Record<string, unknown>[],
  rootNs: string,
  leafNs: string,
): number | undefined {
  if (root.length === 0) return undefined;
  const index = leaf.findIndex((sub) => root.every((match) => matchConflict(match, sub, rootNs, leafNs)));
  return index >= 0 ? index : undefined;
}

/** Per graph: the root routes of the input that delegate to each delegate VirtualService (as istiod finds it). */
const delegateRootsCache = new WeakMap<MeshGraph, Map<VirtualServiceInfo, { vs: VirtualServiceInfo; route: VirtualServiceRoute }[]>>();

function delegateRoots(graph: MeshGraph): Map<VirtualServiceInfo, { vs: VirtualServiceInfo; route: VirtualServiceRoute }[]> {
  let roots = delegateRootsCache.get(graph);
  if (roots) return roots;
  roots = new Map();
  const resolve = graphDelegateResolver(graph);
  for (const vs of graph.virtualServices) {
    if (vs.delegate) continue;
    for (const route of vs.routes) {
      if (route.protocol !== "http" || !route.delegate) continue;
      const delegate = resolve(route.delegate, vs);
      if (!delegate) continue;
      const list = roots.get(delegate);
      if (list) list.push({ vs, route });
      else roots.set(delegate, [{ vs, route }]);
    }
  }
  delegateRootsCache.set(graph, roots);
  return roots;
}

/**
 * Whether istiod drops a delegate's HTTP route for every root route of the input that delegates to
 * the VirtualService (see {@link conflictingDelegateEntry}): then the first such root route and the
 * index of the route's entry that conflicts with it. Undefined when some root keeps it, or no root
 * of the input delegates to the VirtualService.
 */
export function droppedDelegateRoute(
  graph: MeshGraph,
  delegate: VirtualServiceInfo,
  route: VirtualServiceRoute,
): { root: VirtualServiceInfo; rootRoute: VirtualServiceRoute; entry: number } | undefined {
  if (!delegate.delegate || route.protocol !== "http" || route.delegate) return undefined;
  const references = delegateRoots(graph).get(delegate);
  if (!references) return undefined;
  let first: { root: VirtualServiceInfo; rootRoute: VirtualServiceRoute; entry: number } | undefined;
  for (const { vs, route: rootRoute } of references) {
    const entry = conflictingDelegateEntry(rootRoute.matches, route.matches, vs.namespace, delegate.namespace);
    if (entry === undefined) return undefined;
    first ??= { root: vs, rootRoute, entry };
  }
  return first;
}

/** One HTTP route of a delegate, merged into the root route that delegates to it. */
export interface DelegatedRoute {
  delegate: VirtualServiceInfo;
  route: VirtualServiceRoute;
  /** The merged match entries (empty: the route accepts every request). */
  matches: MergedMatch[];
}

/**
 * The routes istiod puts in place of a delegating root route: the delegate's HTTP routes, each with
 * its match merged with the root's, without those that conflict. Undefined when the delegate is not
 * found (istiod drops the root route).
 */
export function delegatedRoutes(vs: VirtualServiceInfo, vsRoute: VirtualServiceRoute, resolveDelegate: DelegateResolver): DelegatedRoute[] | undefined {
  if (!vsRoute.delegate) return undefined;
  const delegate = resolveDelegate(vsRoute.delegate, vs);
  if (!delegate) return undefined;
  const out: DelegatedRoute[] = [];
  for (const child of delegate.routes) {
    if (child.protocol !== "http") continue;
    const matches = mergeMatches(vsRoute.matches, child.matches, vs.namespace, delegate.namespace);
    if (matches) out.push({ delegate, route: child, matches });
  }
  return out;
}

/**
 * The HTTP routes of a VirtualService after istiod's delegate merging (virtualservice_controller.go):
 * a route delegating to a missing (or not exported) delegate is dropped; otherwise it is replaced by
 * the delegate's routes, each with its match merged with the root's, dropping those that conflict.
 * Without a resolver, delegating routes are kept as `delegate` actions.
 */
function effectiveHttpRoutes(vs: VirtualServiceInfo, resolveDelegate: DelegateResolver | undefined): EffectiveHttpRoute[] {
  const out: EffectiveHttpRoute[] = [];
  for (const vsRoute of vs.routes) {
    if (vsRoute.protocol !== "http") continue;
    const own: EffectiveHttpRoute = {
      vs,
      vsRoute,
      name: vsRoute.name ?? `${vs.name}.${vsRoute.index}`,
      matches: vsRoute.matches.map((match, index) => ({ match, index })),
      directResponse: vsRoute.directResponse,
      written: true,
    };
    if (!vsRoute.delegate || !resolveDelegate) {
      out.push(own);
      continue;
    }
    for (const { delegate, route: child, matches: merged } of delegatedRoutes(vs, vsRoute, resolveDelegate) ?? []) {
      const childName = child.name ?? "";
      const rootName = vsRoute.name ?? "";
      out.push({
        vs: delegate,
        vsRoute: child,
        name: (childName ? (rootName ? `${rootName}-${childName}` : childName) : rootName) || `${delegate.name}.${child.index}`,
        matches: merged.map(({ match }) => ({ match, index: undefined })),
        directResponse: child.directResponse ?? vsRoute.directResponse,
        written: false,
      });
    }
  }
  return out;
}

/**
 * Envoy routes for a VirtualService's HTTP routes on a port: one Envoy route per match entry that
 * applies on that port and gateway (a route whose every entry names another port or gateway is left
 * out); no match entries means one catch-all route. As istiod does, nothing after the first
 * catch-all route is generated. With a delegate resolver, delegating routes are first replaced by
 * the merged routes of their delegate (as istiod does before translating).
 */
export function translateHttpRoutes(
  vs: VirtualServiceInfo,
  port: number,
  gateways: readonly string[],
  target: (destination: RouteDestination) => WeightedCluster,
  resolveDelegate?: DelegateResolver,
): Route[] {
  const routes: Route[] = [];
  let catchAll = false;
  for (const effective of effectiveHttpRoutes(vs, resolveDelegate)) {
    if (catchAll) break;
    const { vsRoute } = effective;
    const unresolvedDelegate = vsRoute.delegate !== undefined && effective.written;
    // Without a resolver a delegating route's Envoy routes are unknown: it never counts as a catch-all.
    if (effective.matches.length === 0 && !unresolvedDelegate) catchAll = true;
    const entries: { match: Record<string, unknown>; index: number | undefined }[] =
      effective.matches.length === 0 ? [{ match: {}, index: undefined }] : effective.matches;
    for (const { match, index } of entries) {
      if (catchAll && effective.matches.length > 0) break;
      if (match.port !== undefined && match.port !== port) continue;
      if (!gatewaysAllow(match, gateways, effective.vs.namespace)) continue;
      routes.push({
        name: effective.name,
        match,
        matchIndex: index,
        action: routeAction(effective, target),
        virtualService: effective.vs,
        vsRoute,
        provenance:
          index === undefined ? vsRoute.provenance : { resource: effective.vs.resource, path: [...vsRoute.provenance.path, "match", index] },
      });
      if (effective.matches.length > 0 && !unresolvedDelegate && isCatchAllMatch(match)) catchAll = true;
    }
  }
  return routes;
}

function routeAction(effective: EffectiveHttpRoute, target: (destination: RouteDestination) => WeightedCluster): Route["action"] {
  const { vsRoute } = effective;
  if (vsRoute.delegate && effective.written) return { kind: "delegate", delegate: vsRoute.delegate };
  if (vsRoute.redirect) return { kind: "redirect", redirect: vsRoute.redirect };
  if (effective.directResponse) {
    const status = effective.directResponse.status;
    return { kind: "directResponse", status: typeof status === "number" ? status : 0 };
  }
  return { kind: "route", clusters: weightedDestinations(vsRoute.destinations, target), mirrors: vsRoute.mirrors.map(target) };
}

/**
 * istiod's applyHTTPRouteDestination: one destination is the route's cluster whatever its weight; of
 * several, those weighing 0 (an omitted weight is 0) are left out of the weighted clusters.
 */
export function weightedDestinations(destinations: readonly RouteDestination[], target: (destination: RouteDestination) => WeightedCluster): WeightedCluster[] {
  if (destinations.length === 1) return [{ ...target(destinations[0]), weight: 100 }];
  const weighted = destinations.filter((destination) => (destination.weight ?? 0) > 0);
  if (weighted.length === 0) return destinations.map((destination) => ({ ...target(destination), weight: destination.weight ?? 0 }));
  return weighted.map((destination) => ({ ...target(destination), weight: destination.weight ?? 0 }));
}

function defaultRoute(scope: OutboundScope, service: MeshService, port: number): Route {
  const name = outboundClusterName(port, undefined, service.hostname);
  return {
    name: "default",
    match: { uri: { prefix: "/" } },
    action: { kind: "route", clusters: [{ name, weight: 100, exists: scope.cluster(name) !== undefined }], mirrors: [] },
  };
}

/** The domains Envoy matches for a service's virtual host, as seen from a client namespace. */
export function serviceDomains(service: MeshService, port: number, clientNamespace: string): string[] {
  const names = [service.hostname];
  if (service.origin === "Service") {
    const base = `${service.name}.${service.namespace}`;
    names.push(`${base}.svc`, base);
    if (service.namespace === clientNamespace) names.push(service.name);
  }
  names.push(...service.addresses.filter((address) => !address.includes("/")));
  return names.flatMap((name) => [name, `${name}:${port}`]);
}

/** The endpoints of a service port (and subset): selected workloads, or ServiceEntry addresses. */
export function endpointsOf(graph: MeshGraph, service: MeshService, port: ServicePort, subset: SubsetInfo | undefined): Endpoint[] {
  const endpoints: Endpoint[] = [];
  const subsetLabels = subset?.labels;
  for (const workload of graph.workloadsOf(service)) {
    if (!selects(subsetLabels, workload.labels)) continue;
    const target = service.origin === "ServiceEntry" ? workloadEntryPort(workload, port) : targetPortOf(port, workload);
    if (target === undefined) continue;
    endpoints.push({
      workload,
      port: target,
      labels: workload.labels,
      sidecar: workload.sidecar.injected,
      provenance: { resource: workload.resource, path: workload.labelsPath },
    });
  }
  for (const endpoint of service.staticEndpoints) {
    if (!selects(subsetLabels, endpoint.labels)) continue;
    endpoints.push({
      address: endpoint.address,
      port: endpoint.ports[port.name] ?? (typeof port.targetPort === "number" ? port.targetPort : port.port),
      labels: endpoint.labels,
      sidecar: false,
      provenance: endpoint.provenance,
    });
  }
  return endpoints;
}

function workloadEntryPort(workload: Workload, port: ServicePort): number {
  const named = workload.containerPorts.find((p) => p.name === port.name);
  return named?.port ?? (typeof port.targetPort === "number" ? port.targetPort : port.port);
}

