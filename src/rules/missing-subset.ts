import leven from "leven";
import { inSegmentOrder, virtualServiceUsers, type ClientSegment, type SidecarClientGroup, type VirtualServiceClient } from "../graph/clients.js";
import { outboundClusterName } from "../graph/envoy.js";
import { droppedDelegateRoute, gatewaysAllow, type OutboundScope } from "../graph/outbound.js";
import { isExportedTo } from "../graph/services.js";
import type {
  DestinationRuleInfo,
  EffectiveDestinationRule,
  MeshGraph,
  MeshService,
  RouteDestination,
  SubsetInfo,
  VirtualServiceInfo,
  VirtualServiceRoute,
} from "../graph/index.js";
import { hostMatches } from "../model/hosts.js";
import { ruleUrl, type Rule } from "./types.js";

/**
 * `missing-subset`: a route or mirror destination naming a subset that the DestinationRule applying
 * from the client's namespace does not define. Istio builds clusters `outbound|port|subset|host` only
 * for the subsets of that DestinationRule, so the route targets a cluster the proxy does not have and
 * Envoy answers 503 NC. Istio's `virtualservice.DestinationRuleAnalyzer` (IST0101 "host+subset in
 * destinationrule") looks for the host+subset pair in any DestinationRule of any namespace; this rule
 * follows Istio's DestinationRule precedence and `exportTo` per client namespace instead.
 */
export const missingSubset: Rule = {
  meta: {
    id: "missing-subset",
    description: "Route and mirror destinations naming a subset the DestinationRule applying from the client's namespace does not define (503 NC)",
    severity: "error",
    url: ruleUrl("missing-subset"),
    istioCodes: ["IST0101"],
    inputs: ["VirtualService", "DestinationRule", "Service", "ServiceEntry", "Gateway", "Sidecar", "Deployment", "Pod"],
    messages: {
      undefinedSubset:
        '{{what}} subset "{{subset}}" of "{{host}}" does not exist for clients in {{clients}}: {{rule}}, which applies there, defines {{defined}}{{overridden}}. Their proxies have no cluster {{cluster}} and answer 503 NC{{hint}}{{fine}}',
      noDestinationRule:
        '{{what}} subset "{{subset}}" of "{{host}}" does not exist for clients in {{clients}}: no DestinationRule for the host applies there{{ignored}}. Their proxies have no cluster {{cluster}} and answer 503 NC; define subset "{{subset}}" in a DestinationRule for the host{{fine}}',
      undefinedSubsetMixed:
        '{{what}} subset "{{subset}}" of "{{host}}" does not exist for clients in {{where}}. Their proxies have no cluster {{cluster}} and answer 503 NC{{hint}}{{fine}}',
    },
  },
  check(context) {
    const { graph } = context;
    for (const judged of judgeSubsetDestinations(graph)) {
      if (judged.vs.resource.origin !== "lint" || !judged.hasBroken) continue;
      const { vs, destination } = judged;
      const groups = groupBroken(judged.broken);
      const common = {
        what: judged.mirror ? "Mirror" : "Destination",
        subset: destination.subset!,
        host: destination.hostWritten,
        cluster: judged.cluster,
        fine: fineText(judged.fine),
      };
      const path = [...destination.provenance.path, "subset"];
      if (groups.length === 1 && groups[0].rule) {
        const rule = groups[0].rule;
        context.report({
          messageId: "undefinedSubset",
          data: {
            ...common,
            clients: clientList(groups[0].clients),
            rule: describeRule(rule),
            defined: definedText(rule),
            overridden: overriddenText(graph, destination, groups[0].clients, rule),
            hint: hintText(destination.subset!, [rule]),
          },
          resource: vs.resource,
          path,
          istioCode: "IST0101",
        });
      } else if (groups.length === 1) {
        context.report({
          messageId: "noDestinationRule",
          data: { ...common, clients: clientList(groups[0].clients), ignored: ignoredText(graph, judged, groups[0].clients) },
          resource: vs.resource,
          path,
          istioCode: "IST0101",
        });
      } else {
        const where = groups
          .map((group) =>
            group.rule
              ? `${clientList(group.clients)} (${describeRule(group.rule)} applies there and defines ${definedText(group.rule)})`
              : `${clientList(group.clients)} (no DestinationRule for the host applies there)`,
          )
          .join(" and ");
        const rules = groups.flatMap((group) => (group.rule ? [group.rule] : []));
        context.report({
          messageId: "undefinedSubsetMixed",
          data: { ...common, where, hint: hintText(destination.subset!, rules) },
          resource: vs.resource,
          path,
          istioCode: "IST0101",
        });
      }
    }
  },
};

/** One client position from which a destination is judged. */
export interface SubsetClient {
  namespace: string;
  /** `mesh`, or the Gateway key for gateway proxies. */
  gateway: string;
  scope: OutboundScope;
  /** Whether a proxy of the input sits there (false: judged as if one did). */
  real: boolean;
  /** A gateway proxy's workload name. */
  gatewayProxy?: string;
}

/** The outcome of a subset destination for one client. */
export interface SubsetOutcome {
  client: SubsetClient;
  /** The DestinationRule applying from the client (undefined: none). */
  rule?: EffectiveDestinationRule;
  /** The subset, when the rule defines it. */
  subset?: SubsetInfo & { rule: DestinationRuleInfo };
  service?: MeshService;
}

/** A route or mirror destination with a subset, judged for every client that uses it. */
export interface JudgedDestination {
  vs: VirtualServiceInfo;
  route: VirtualServiceRoute;
  destination: RouteDestination;
  mirror: boolean;
  /** Whether the subset is missing for some client (`broken` is not empty). */
  hasBroken: boolean;
  /** The distinct subsets of the `fine` outcomes. */
  fineSubsets: readonly (SubsetInfo & { rule: DestinationRuleInfo })[];
  // Where the subset is missing for some client (`hasBroken`), the outcomes client by client, built
  // on first use (only messages name the clients); else empty.
  /** The cluster name the route targets (port as `<port>` when the service is unknown). */
  readonly cluster: string;
  readonly service?: MeshService;
  readonly broken: SubsetOutcome[];
  readonly fine: SubsetOutcome[];
}

/**
 * Clients of a VirtualService judged together: sidecars whose scopes apply the same VirtualServices
 * (or the clients assumed for an unused VirtualService). When no Sidecar narrows their egress, what
 * a client gets for a host depends on its namespace only, and only namespaces that a service, a
 * DestinationRule or an `exportTo` for the host names can get something else than the others.
 */
interface ClientGroup {
  clients: readonly SubsetClient[];
  /** The clients' order among the sidecar clients of the input (to list a VirtualService's clients in order). */
  ranks: readonly number[];
  unrestricted: boolean;
  /** The clients by namespace (built on first use). */
  byNamespace?: Map<string, SubsetClient[]>;
}

/** A part of a VirtualService's clients: groups, then single clients (see `ClientSegment`). */
interface Segment {
  groups: readonly ClientGroup[];
  clients: readonly SubsetClient[];
}

/**
 * What a client's proxy has for a destination: the DestinationRule that applies, the subset when it
 * defines it, and the cluster the route names. Undefined when the destination is not judged from
 * there (unknown port, a service the client does not see, no DestinationRule for an unknown host).
 */
interface Verdict {
  rule?: EffectiveDestinationRule;
  service?: MeshService;
  /** The port of the cluster the route names (undefined: the service is unknown and the route names none). */
  port?: number;
}

const judgedCache = new WeakMap<MeshGraph, JudgedDestination[]>();

/**
 * Every VirtualService route and mirror destination with a subset, judged for the clients that use
 * the VirtualService: `fine` where the DestinationRule applying from the client defines the subset,
 * `broken` where it does not (the cluster does not exist). A VirtualService no proxy of the input
 * uses is judged as if clients sat in its own namespace and in the namespaces whose workloads have
 * no proxy (manifests repositories often hold no client workloads; Istio's analyzer judges from the
 * VirtualService's namespace). Destinations whose host is unknown and that no DestinationRule covers
 * are left out (that is `unknown-destination-host`'s finding).
 */
export function judgeSubsetDestinations(graph: MeshGraph): JudgedDestination[] {
  const cached = judgedCache.get(graph);
  if (cached) return cached;
  const users = virtualServiceUsers(graph);
  // Indexed loops here and in the judging: they run before the code is optimized, where `for...of`
  // allocates an iterator and a result per step.
  const proxyNamespaces = new Set<string>();
  const proxies = graph.proxies();
  for (let i = 0; i < proxies.length; i++) if (proxies[i].kind === "sidecar") proxyNamespaces.add(proxies[i].namespace);
  const idle = new Set<string>();
  const workloads = graph.workloads;
  for (let i = 0; i < workloads.length; i++) {
    const workload = workloads[i];
    // (Workloads of the assumed installation, such as istiod, are no one's clients.)
    if (!workload.gateway && workload.kind !== "WorkloadEntry" && workload.resource.origin !== "assumed" && !proxyNamespaces.has(workload.namespace)) {
      idle.add(workload.namespace);
    }
  }
  const idleNamespaces = [...idle];
  const assumed = new Map<string, Segment[]>();
  const judged: JudgedDestination[] = [];
  const virtualServices = graph.virtualServices;
  for (let v = 0; v < virtualServices.length; v++) {
    const vs = virtualServices[v];
    if (!hasSubsetDestination(vs)) continue;
    const clients = clientsOf(graph, vs, users.get(vs), { idleNamespaces, proxyNamespaces, assumed });
    if (clients.length === 0) continue;
    const shared: HostVerdicts[] = [];
    for (let r = 0; r < vs.routes.length; r++) {
      const route = vs.routes[r];
      // A delegate route istiod drops when merging it into its roots never reaches a proxy.
      if (vs.delegate && droppedDelegateRoute(graph, vs, route)) continue;
      const restricted = route.matches.length > 0 && route.matches.every((match) => match.gateways !== undefined);
      const applies = (gateway: string) => route.matches.some((match) => gatewaysAllow(match, [gateway], vs.namespace));
      const applying = restricted
        ? clients.map((segment) => ({
            groups: segment.groups.filter((group) => applies(group.clients[0].gateway)),
            clients: segment.clients.filter((client) => applies(client.gateway)),
          }))
        : clients;
      for (let i = 0; i < route.destinations.length + route.mirrors.length; i++) {
        const mirror = i >= route.destinations.length;
        const destination = mirror ? route.mirrors[i - route.destinations.length] : route.destinations[i];
        if (!destination.subset || destination.host.startsWith("*")) continue;
        // Destinations naming the same host and port (for the same clients) differ only by subset: judged once.
        let verdicts: HostVerdicts | undefined;
        for (let k = 0; k < shared.length && !verdicts; k++) {
          const known = shared[k];
          if (known.segments === applying && known.host === destination.host && known.port === destination.port) verdicts = known;
        }
        if (!verdicts) shared.push((verdicts = new HostVerdicts(graph, vs, destination.host, destination.port, applying)));
        const judgement = new Judgement(vs, route, destination, mirror, verdicts);
        if (judgement.judgedAny) judged.push(judgement);
      }
    }
  }
  judgedCache.set(graph, judged);
  return judged;
}

/** Whether a route or mirror destination of a VirtualService names a subset. */
function hasSubsetDestination(vs: VirtualServiceInfo): boolean {
  for (let r = 0; r < vs.routes.length; r++) {
    const { destinations, mirrors } = vs.routes[r];
    for (let i = 0; i < destinations.length; i++) if (destinations[i].subset) return true;
    for (let i = 0; i < mirrors.length; i++) if (mirrors[i].subset) return true;
  }
  return false;
}

/** What {@link clientsOf} needs besides the VirtualService: where proxies run and where workloads without one run. */
interface ClientContext {
  idleNamespaces: readonly string[];
  proxyNamespaces: ReadonlySet<string>;
  /** The assumed clients of public VirtualServices, by namespace and gateway (shared: they are the same). */
  assumed: Map<string, Segment[]>;
}

function clientsOf(graph: MeshGraph, vs: VirtualServiceInfo, used: readonly ClientSegment[] | undefined, context: ClientContext): Segment[] {
  if (used && used.length > 0) return used.map((segment) => ({ groups: segment.groups.map(clientGroup), clients: segment.clients.map(subsetClient) }));
  const { idleNamespaces, proxyNamespaces, assumed } = context;
  // Sidecars of the input could see this mesh VirtualService but none uses it: another VirtualService
  // won its hosts (or a Sidecar hides them) wherever they run. Its routes carry no traffic.
  const meshBound = !vs.delegate && vs.gateways.some((g) => g.gateway === "mesh");
  const seenByProxies = vs.exportTo === "*" ? proxyNamespaces.size > 0 : [...vs.exportTo].some((ns) => proxyNamespaces.has(ns));
  if (meshBound && seenByProxies) return [];
  // No proxy of the input could use it: judge as if clients sat in its namespace (or the namespaces it
  // is exported to, when not its own) and where workloads without a proxy run.
  const gateway = vs.gateways.find((g) => g.gateway === "mesh")?.gateway ?? vs.gateways[0]?.gateway ?? "mesh";
  const key = vs.exportTo === "*" ? `${vs.namespace}|${gateway}` : undefined;
  const known = key === undefined ? undefined : assumed.get(key);
  if (known) return known;
  const own = isExportedTo(vs.exportTo, vs.namespace) ? [vs.namespace] : [...(vs.exportTo as ReadonlySet<string>)];
  const namespaces = [...new Set([...own, ...idleNamespaces.filter((ns) => isExportedTo(vs.exportTo, ns))])];
  // Scopes without a Sidecar: one group.
  const clients = namespaces.map((namespace) => ({ namespace, gateway, scope: graph.outboundScope(namespace), real: false }));
  const segments = clients.length === 0 ? [] : [{ groups: [{ clients, ranks: clients.map((_, i) => i), unrestricted: true }], clients: [] }];
  if (key !== undefined) assumed.set(key, segments);
  return segments;
}

const subsetClients = new WeakMap<VirtualServiceClient, SubsetClient>();
const clientGroups = new WeakMap<SidecarClientGroup, ClientGroup>();

/** The client position of proxies of the input (one object per graph client, shared). */
function subsetClient(client: VirtualServiceClient): SubsetClient {
  let found = subsetClients.get(client);
  if (!found) {
    found = {
      namespace: client.namespace,
      gateway: client.gateway,
      scope: client.scope,
      real: true,
      gatewayProxy: client.gateway === "mesh" ? undefined : client.proxies[0]?.workload.name,
    };
    subsetClients.set(client, found);
  }
  return found;
}

/** The group of sidecar clients of the input (one object per graph group, shared). */
function clientGroup(group: SidecarClientGroup): ClientGroup {
  let found = clientGroups.get(group);
  if (!found) clientGroups.set(group, (found = { clients: group.clients.map(subsetClient), ranks: group.ranks, unrestricted: group.unrestricted }));
  return found;
}

/**
 * What the clients of segments have for a host and port (the destinations of a VirtualService naming
 * them differ only by subset): those a group's namespaces can tell apart one by one (`client` given),
 * the group's others once, by the first of them (`group` given), in that order.
 */
class HostVerdicts {
  readonly verdicts: (Verdict | undefined)[] = [];
  readonly clients: (SubsetClient | undefined)[] = [];
  readonly groups: (ClientGroup | undefined)[] = [];
  private knownFound?: boolean;
  private hostNamespaceFound?: string;

  constructor(
    readonly graph: MeshGraph,
    readonly vs: VirtualServiceInfo,
    readonly host: string,
    readonly port: number | undefined,
    readonly segments: readonly Segment[],
  ) {
    for (let s = 0; s < segments.length; s++) {
      const { groups, clients } = segments[s];
      for (let g = 0; g < groups.length; g++) {
        const group = groups[g];
        const special = group.unrestricted && group.clients.length > 1 ? specialNamespaces(graph, host, this) : undefined;
        if (!special) {
          for (let c = 0; c < group.clients.length; c++) this.add(group.clients[c], undefined);
          continue;
        }
        const byNamespace = (group.byNamespace ??= clientsByNamespace(group.clients));
        for (let n = 0; n < special.length; n++) {
          const inNamespace = byNamespace.get(special[n]);
          if (inNamespace) for (let c = 0; c < inNamespace.length; c++) this.add(inNamespace[c], undefined);
        }
        const first = group.clients.find((client) => !special.includes(client.namespace));
        if (first) this.add(first, group);
      }
      for (let c = 0; c < clients.length; c++) this.add(clients[c], undefined);
    }
  }

  private add(client: SubsetClient, group: ClientGroup | undefined): void {
    this.verdicts.push(verdict(client, this));
    this.clients.push(group ? undefined : client);
    this.groups.push(group);
  }

  /** Whether the input has a service for the host (seen from the VirtualService's namespace, or anywhere). */
  get known(): boolean {
    const { graph, host, vs } = this;
    return (this.knownFound ??= graph.services.exact(host).length > 0 || graph.services.lookup(host, vs.namespace) !== undefined);
  }

  /** The namespace of the service an unknown host would be (for the DestinationRules that apply to it). */
  get hostNamespace(): string {
    return (this.hostNamespaceFound ??= namespaceOfHost(this.host) ?? this.vs.namespace);
  }
}

/** A destination judged for the clients of segments (its host's verdicts, for its subset); client by client on demand. */
class Judgement implements JudgedDestination {
  hasBroken = false;
  judgedAny = false;
  readonly fineSubsets: (SubsetInfo & { rule: DestinationRuleInfo })[] = [];
  private expanded?: { cluster: string; service?: MeshService; broken: SubsetOutcome[]; fine: SubsetOutcome[] };

  constructor(
    readonly vs: VirtualServiceInfo,
    readonly route: VirtualServiceRoute,
    readonly destination: RouteDestination,
    readonly mirror: boolean,
    private readonly host: HostVerdicts,
  ) {
    const subset = destination.subset!;
    const verdicts = host.verdicts;
    for (let i = 0; i < verdicts.length; i++) {
      const found = verdicts[i];
      if (!found) continue;
      this.judgedAny = true;
      const defined = found.rule?.subsets.get(subset);
      if (!defined) this.hasBroken = true;
      else if (!this.fineSubsets.includes(defined)) this.fineSubsets.push(defined);
    }
  }

  /** The outcomes client by client, in order, for messages (few destinations need them). */
  private expand() {
    if (this.expanded) return this.expanded;
    let cluster: string | undefined;
    let service: MeshService | undefined;
    const broken: SubsetOutcome[] = [];
    const fine: SubsetOutcome[] = [];
    const single = new Map<SubsetClient, Verdict | undefined>();
    const shared = new Map<ClientGroup, Verdict | undefined>();
    const { verdicts, clients, groups, segments } = this.host;
    if (this.hasBroken) for (let i = 0; i < verdicts.length; i++) (clients[i] ? single.set(clients[i]!, verdicts[i]) : shared.set(groups[i]!, verdicts[i]));
    for (const { client, group } of this.hasBroken ? inSegmentOrder(segments) : []) {
      const found = single.has(client) || !group ? single.get(client) : shared.get(group);
      if (!found) continue;
      cluster ??= outboundClusterName(found.port ?? ("<port>" as unknown as number), this.destination.subset, found.service?.hostname ?? this.destination.host);
      service ??= found.service;
      const outcome: SubsetOutcome = found.service ? { client, rule: found.rule, service: found.service } : { client, rule: found.rule };
      const defined = found.rule?.subsets.get(this.destination.subset!);
      if (defined) fine.push({ ...outcome, subset: defined });
      else broken.push({ ...outcome, subset: undefined });
    }
    // Some client has a verdict (`judgedAny`), so some client names the cluster.
    this.expanded = { cluster: cluster ?? "", service, broken, fine };
    return this.expanded;
  }

  /** The cluster the route targets, for messages (only known where the subset is missing for some client). */
  get cluster(): string {
    return this.expand().cluster;
  }

  get service(): MeshService | undefined {
    return this.expand().service;
  }

  get broken(): SubsetOutcome[] {
    return this.expand().broken;
  }

  /** The clients for which the subset exists, for messages (only known where it is missing for some client). */
  get fine(): SubsetOutcome[] {
    return this.expand().fine;
  }
}

function clientsByNamespace(clients: readonly SubsetClient[]): Map<string, SubsetClient[]> {
  const byNamespace = new Map<string, SubsetClient[]>();
  for (const client of clients) push(byNamespace, client.namespace, client);
  return byNamespace;
}

/** What a client's proxy has for a subset destination (see {@link Verdict}). */
function verdict(client: SubsetClient, judged: HostVerdicts): Verdict | undefined {
  const { host } = judged;
  const service = client.scope.service(host);
  if (service) {
    if (service.ports.length === 0) return undefined;
    const port = judged.port ?? service.ports[0].port;
    // A port the service does not have is `unknown-destination-host`'s finding.
    if (!service.ports.some((p) => p.port === port)) return undefined;
    // The proxy has the cluster exactly when the applying DestinationRule defines the subset (the
    // service is visible and has the port): what `scope.cluster(name)` decides, without building it.
    return { rule: client.scope.destinationRule(service), service, port };
  }
  // Not visible from here although it exists (exportTo, Sidecar): not a subset problem.
  if (judged.known) return undefined;
  // The host is unknown to the input (its Service may be deployed from elsewhere): judge by the
  // DestinationRules alone, and only where one applies.
  const rule = judged.graph.destinationRules.forClient(client.namespace, host, judged.hostNamespace);
  if (!rule) return undefined;
  return { rule, port: judged.port };
}

/** Not a Kubernetes namespace name (it has a dot): a client namespace nothing in the input names. */
const UNNAMED_NAMESPACE = "mesh-lint.unnamed-namespace";

/**
 * Per graph and host: the answer of {@link specialNamespaces}, and the `hostNamespace` it used (undefined:
 * it holds for any), so that the many destinations naming one host ask once.
 */
const specialCache = new WeakMap<MeshGraph, Map<string, { hostNamespace?: string; found: readonly string[] | undefined }>>();

/**
 * The client namespaces (of scopes no Sidecar narrows) from which a destination host may resolve
 * differently than from any other namespace: every other namespace gets the same service
 * (`ServiceRegistry.lookup`) and the same DestinationRule (`DestinationRuleIndex.forClient`).
 *
 * - The service: the namespaces of the entries for the host (a client prefers the one in its own
 *   namespace) and the namespaces their `exportTo` names (and, when no entry is public, those of the
 *   wildcard entries covering the host).
 * - The DestinationRule of that service (and, when the other namespaces see none, of the host itself
 *   in the judgement's `hostNamespace`): the service's namespace, the root namespace, and for every
 *   DestinationRule of the host, its namespace (a client's own rules come first) and the namespaces
 *   its `exportTo` names.
 *
 * Undefined when the answer for the other namespaces cannot be asked for (an `exportTo` names the
 * placeholder namespace): then every client is judged on its own.
 */
function specialNamespaces(graph: MeshGraph, host: string, judgement: HostVerdicts): readonly string[] | undefined {
  let byHost = specialCache.get(graph);
  if (!byHost) specialCache.set(graph, (byHost = new Map()));
  const known = byHost.get(host);
  if (known && (known.hostNamespace === undefined || known.hostNamespace === judgement.hostNamespace)) return known.found;
  const special: string[] = [];
  const entries = graph.services.exact(host);
  for (let i = 0; i < entries.length; i++) {
    addNamespace(special, entries[i].namespace);
    addExportTo(special, entries[i].exportTo);
  }
  if (!entries.some((entry) => entry.exportTo === "*")) {
    for (const service of graph.services.wildcards) if (hostMatches(service.hostname, host)) addExportTo(special, service.exportTo);
  }
  let found: readonly string[] | undefined;
  let hostNamespace: string | undefined;
  if (!special.includes(UNNAMED_NAMESPACE)) {
    // What the other namespaces get, asked for one of them.
    const service = graph.services.lookup(host, UNNAMED_NAMESPACE);
    if (service) addRuleNamespaces(graph, special, service.hostname, service.namespace);
    else addRuleNamespaces(graph, special, host, (hostNamespace = judgement.hostNamespace));
    found = special;
  }
  byHost.set(host, { hostNamespace, found });
  return found;
}

function addNamespace(special: string[], namespace: string): void {
  if (!special.includes(namespace)) special.push(namespace);
}

function addExportTo(special: string[], exportTo: "*" | ReadonlySet<string>): void {
  if (exportTo !== "*") for (const namespace of exportTo) addNamespace(special, namespace);
}

/** The namespaces where the DestinationRule for a host of a service namespace may differ (see {@link specialNamespaces}). */
function addRuleNamespaces(graph: MeshGraph, special: string[], host: string, serviceNamespace: string): void {
  addNamespace(special, serviceNamespace);
  addNamespace(special, graph.mesh.rootNamespace);
  const { exact, wildcards } = hostRules(graph);
  const rules = exact.get(host);
  if (rules) for (let i = 0; i < rules.length; i++) addRuleNamespace(special, rules[i]);
  for (let i = 0; i < wildcards.length; i++) if (hostMatches(wildcards[i].host, host)) addRuleNamespace(special, wildcards[i]);
}

function addRuleNamespace(special: string[], rule: DestinationRuleInfo): void {
  addNamespace(special, rule.namespace);
  addExportTo(special, rule.exportTo);
}

/** DestinationRules by host (exact hosts), and those with a wildcard host. */
interface HostRules {
  exact: Map<string, DestinationRuleInfo[]>;
  wildcards: DestinationRuleInfo[];
}

const hostRulesCache = new WeakMap<MeshGraph, HostRules>();

function hostRules(graph: MeshGraph): HostRules {
  let found = hostRulesCache.get(graph);
  if (found) return found;
  found = { exact: new Map(), wildcards: [] };
  for (const rule of graph.destinationRules.rules) {
    if (rule.host.startsWith("*")) found.wildcards.push(rule);
    else push(found.exact, rule.host, rule);
  }
  hostRulesCache.set(graph, found);
  return found;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * The DestinationRules whose host matches `host` (`hostMatches`), and with `written` those whose host
 * is written so, in the order of `graph.destinationRules.rules`.
 */
function rulesFor(graph: MeshGraph, host: string, written?: string): DestinationRuleInfo[] {
  // Only messages ask: one pass over the rules, already in order.
  return graph.destinationRules.rules.filter((rule) => hostMatches(rule.host, host) || (written !== undefined && rule.hostWritten === written));
}

/** The namespace of a Kubernetes service FQDN (`name.ns.svc.<suffix>`). */
function namespaceOfHost(host: string): string | undefined {
  const parts = host.split(".");
  return parts.length >= 4 && parts[2] === "svc" ? parts[1] : undefined;
}

function ruleKey(rule: EffectiveDestinationRule | undefined): string {
  return rule ? rule.rules.map((r) => r.resource.key).join(",") : "";
}

function groupBroken(broken: readonly SubsetOutcome[]): { rule?: EffectiveDestinationRule; clients: SubsetClient[] }[] {
  const groups = new Map<string, { rule?: EffectiveDestinationRule; clients: SubsetClient[]; seen: Set<string> }>();
  for (const outcome of broken) {
    const key = ruleKey(outcome.rule);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { rule: outcome.rule, clients: [], seen: new Set() }));
    // One client per namespace and gateway (the first).
    const position = `${outcome.client.namespace}|${outcome.client.gateway}`;
    if (group.seen.has(position)) continue;
    group.seen.add(position);
    group.clients.push(outcome.client);
  }
  return [...groups.values()].map(({ rule, clients }) => ({ rule, clients }));
}

function clientLabel(client: SubsetClient): string {
  return client.gateway !== "mesh" && client.gatewayProxy ? `${client.namespace} (gateway ${client.gatewayProxy})` : client.namespace;
}

/** At most this many client namespaces are named in a message. */
const LISTED = 6;

function clientList(clients: readonly SubsetClient[]): string {
  const labels = [...new Set(clients.map(clientLabel))].sort();
  const shown = labels.length > LISTED ? [...labels.slice(0, LISTED - 1), `${labels.length - LISTED + 1} more`] : labels;
  return `${labels.length === 1 ? "namespace" : "namespaces"} ${shown.join(", ")}`;
}

export function describeRule(rule: EffectiveDestinationRule): string {
  const names = rule.rules.map((r) => `${r.namespace}/${r.name}`);
  return names.length === 1 ? `DestinationRule ${names[0]}` : `DestinationRules ${names.join(", ")} (merged)`;
}

function definedText(rule: EffectiveDestinationRule): string {
  const names = [...rule.subsets.keys()];
  return names.length === 0 ? "no subsets" : `only ${names.join(", ")}`;
}

/** Close names that look like typos (not just another version number). */
function hintText(subset: string, rules: readonly EffectiveDestinationRule[]): string {
  const names = [...new Set(rules.flatMap((rule) => [...rule.subsets.keys()]))];
  const limit = Math.max(1, Math.floor(subset.length / 3));
  let best: string[] = [];
  let bestDistance = Infinity;
  for (const name of names) {
    if (name.replace(/\d+/g, "#") === subset.replace(/\d+/g, "#")) continue;
    const distance = leven(subset.toLowerCase(), name.toLowerCase());
    if (distance > limit) continue;
    if (distance < bestDistance) [best, bestDistance] = [[name], distance];
    else if (distance === bestDistance) best.push(name);
  }
  return best.length === 1 ? `. Did you mean subset "${best[0]}"?` : "";
}

function fineText(fine: readonly SubsetOutcome[]): string {
  if (fine.length === 0) return "";
  const byRule = new Map<string, { rule?: EffectiveDestinationRule; clients: SubsetClient[] }>();
  for (const outcome of fine) {
    const key = ruleKey(outcome.rule);
    let entry = byRule.get(key);
    if (!entry) byRule.set(key, (entry = { rule: outcome.rule, clients: [] }));
    entry.clients.push(outcome.client);
  }
  const parts = [...byRule.values()].map(
    (entry) => `${clientList(entry.clients)}${entry.rule ? ` (${describeRule(entry.rule)})` : ""}`,
  );
  return `. It exists for clients in ${parts.join(" and ")}`;
}

/** DestinationRules defining the subset for the host that the broken clients do not use, and why. */
function overriddenText(
  graph: MeshGraph,
  destination: RouteDestination,
  clients: readonly SubsetClient[],
  applied: EffectiveDestinationRule,
): string {
  const notes = new Set<string>();
  for (const other of rulesFor(graph, destination.host)) {
    if (applied.rules.includes(other)) continue;
    if (!other.subsets.some((s) => s.name === destination.subset)) continue;
    for (const client of clients) {
      const why = whyNotApplied(graph, other, client.namespace, destination, applied);
      if (why) notes.add(`DestinationRule ${other.namespace}/${other.name} defines it but ${why}`);
    }
  }
  return notes.size === 0 ? "" : ` (${[...notes].join("; ")})`;
}

/** DestinationRules for the host (or its short name elsewhere) that apply to none of the broken clients. */
function ignoredText(graph: MeshGraph, judged: JudgedDestination, clients: readonly SubsetClient[]): string {
  const { destination } = judged;
  const notes = new Set<string>();
  // The service's short name (written so, or the first label of a Kubernetes FQDN): a DestinationRule
  // of another namespace writing it names that namespace's service.
  const short = !destination.hostWritten.includes(".")
    ? destination.hostWritten
    : namespaceOfHost(destination.host) !== undefined
      ? destination.host.split(".")[0]
      : undefined;
  for (const other of rulesFor(graph, destination.host, short)) {
    if (hostMatches(other.host, destination.host)) {
      for (const client of clients) {
        const why = whyNotApplied(graph, other, client.namespace, destination, undefined);
        if (why) notes.add(`DestinationRule ${other.namespace}/${other.name} ${why}`);
      }
    } else if (short && other.hostWritten === short) {
      notes.add(`DestinationRule ${other.namespace}/${other.name} says host "${short}", which in namespace ${other.namespace} means ${other.host}`);
    }
  }
  return notes.size === 0 ? "" : ` (${[...notes].join("; ")})`;
}

/** Why a DestinationRule for the host does not apply to clients in a namespace (a clause without subject). */
function whyNotApplied(
  graph: MeshGraph,
  rule: DestinationRuleInfo,
  clientNamespace: string,
  destination: RouteDestination,
  applied: EffectiveDestinationRule | undefined,
): string | undefined {
  const root = graph.mesh.rootNamespace;
  const serviceNamespace = graph.services.lookup(destination.host, clientNamespace)?.namespace ?? namespaceOfHost(destination.host);
  if (rule.workloadSelector) return `applies only to workloads labelled ${labelText(rule.workloadSelector)}`;
  if (rule.namespace === clientNamespace && clientNamespace === root && applied?.scope === "service" && isExportedTo(rule.exportTo, root)) {
    // A proxy of the root namespace puts its namespace's exported rules after the service namespace's.
    return `is exported, and proxies of the root namespace ${root} use its exported DestinationRules only after the service namespace's: ${describeRule(applied)} applies first`;
  }
  if (applied && rule.namespace === applied.namespace && rule.host === applied.host && isExportedTo(rule.exportTo, clientNamespace)) {
    return `is not merged with ${describeRule(applied)}: their exportTo differ, and istiod keeps such DestinationRules for one host apart and gives each proxy only one of them`;
  }
  if (rule.namespace === clientNamespace) {
    return applied ? `is less specific for the host than ${describeRule(applied)}` : undefined;
  }
  if (rule.namespace !== serviceNamespace && rule.namespace !== root) {
    return `is in namespace ${rule.namespace}, and clients in ${clientNamespace} use only DestinationRules of their own namespace, the service's namespace or the root namespace ${root}`;
  }
  if (!isExportedTo(rule.exportTo, clientNamespace)) {
    const to = rule.exportTo === "*" ? [] : [...rule.exportTo];
    return to.length === 0 ? "is exported to no namespace" : `is exported only to ${to.join(", ")}, not to ${clientNamespace}`;
  }
  if (applied) {
    const owner = applied.scope === "client" ? "the client's own" : applied.scope === "service" ? "the service namespace's" : "the root namespace's";
    return `is overridden by ${owner} ${describeRule(applied)}`;
  }
  return undefined;
}

function labelText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
}
