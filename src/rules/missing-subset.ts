import leven from "leven";
import { virtualServiceClients, type VirtualServiceClient } from "../graph/clients.js";
import { outboundClusterName } from "../graph/envoy.js";
import { gatewaysAllow, type OutboundScope } from "../graph/outbound.js";
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
      if (judged.vs.resource.origin !== "lint" || judged.broken.length === 0) continue;
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
  /** The cluster name the route targets (port as `<port>` when the service is unknown). */
  cluster: string;
  service?: MeshService;
  broken: SubsetOutcome[];
  /** Built on first use: most destinations are fine for every client, and only reports name them. */
  readonly fine: SubsetOutcome[];
  /** The distinct subsets of the `fine` outcomes, in order of first appearance. */
  fineSubsets: (SubsetInfo & { rule: DestinationRuleInfo })[];
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
  const used = virtualServiceClients(graph);
  const proxyNamespaces = new Set(graph.proxies().filter((p) => p.kind === "sidecar").map((p) => p.namespace));
  const idleNamespaces = [...new Set(graph.workloads.filter((w) => !w.gateway && w.kind !== "WorkloadEntry").map((w) => w.namespace))].filter(
    (namespace) => !proxyNamespaces.has(namespace),
  );
  const judged: JudgedDestination[] = [];
  for (const vs of graph.virtualServices) {
    if (!vs.routes.some((route) => [...route.destinations, ...route.mirrors].some((d) => d.subset))) continue;
    const clients = clientsOf(graph, vs, used.get(vs), idleNamespaces, proxyNamespaces);
    if (clients.length === 0) continue;
    for (const route of vs.routes) {
      const restricted = route.matches.length > 0 && route.matches.every((match) => match.gateways !== undefined);
      const applying = restricted ? clients.filter((client) => route.matches.some((match) => gatewaysAllow(match, [client.gateway]))) : clients;
      const targets = [...route.destinations.map((d) => [d, false] as const), ...route.mirrors.map((d) => [d, true] as const)];
      for (const [destination, mirror] of targets) {
        if (!destination.subset || destination.host.startsWith("*")) continue;
        const result = judge(graph, vs, route, destination, mirror, applying);
        if (result) judged.push(result);
      }
    }
  }
  judgedCache.set(graph, judged);
  return judged;
}

function clientsOf(
  graph: MeshGraph,
  vs: VirtualServiceInfo,
  used: readonly VirtualServiceClient[] | undefined,
  idleNamespaces: readonly string[],
  proxyNamespaces: ReadonlySet<string>,
): SubsetClient[] {
  if (used && used.length > 0) return used.map(subsetClient);
  // Sidecars of the input could see this mesh VirtualService but none uses it: another VirtualService
  // won its hosts (or a Sidecar hides them) wherever they run. Its routes carry no traffic.
  const meshBound = !vs.delegate && vs.gateways.some((g) => g.gateway === "mesh");
  if (meshBound && [...proxyNamespaces].some((ns) => isExportedTo(vs.exportTo, ns))) return [];
  // No proxy of the input could use it: judge as if clients sat in its namespace (or the namespaces it
  // is exported to, when not its own) and where workloads without a proxy run.
  const own = isExportedTo(vs.exportTo, vs.namespace) ? [vs.namespace] : [...(vs.exportTo as ReadonlySet<string>)];
  const namespaces = [...new Set([...own, ...idleNamespaces.filter((ns) => isExportedTo(vs.exportTo, ns))])];
  const gateway = vs.gateways.find((g) => g.gateway === "mesh")?.gateway ?? vs.gateways[0]?.gateway ?? "mesh";
  return namespaces.map((namespace) => ({ namespace, gateway, scope: graph.outboundScope(namespace), real: false }));
}

const subsetClients = new WeakMap<VirtualServiceClient, SubsetClient>();

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

function judge(
  graph: MeshGraph,
  vs: VirtualServiceInfo,
  route: VirtualServiceRoute,
  destination: RouteDestination,
  mirror: boolean,
  clients: readonly SubsetClient[],
): JudgedDestination | undefined {
  const subset = destination.subset!;
  const broken: SubsetOutcome[] = [];
  // Fine outcomes, kept as parallel lists until someone asks for them (see `JudgedDestination.fine`).
  const fineClients: SubsetClient[] = [];
  const fineRules: EffectiveDestinationRule[] = [];
  const fineServices: (MeshService | undefined)[] = [];
  const fineSubsets: (SubsetInfo & { rule: DestinationRuleInfo })[] = [];
  let cluster: string | undefined;
  let anyService: MeshService | undefined;
  const known = graph.services.exact(destination.host).length > 0 || graph.services.lookup(destination.host, vs.namespace) !== undefined;
  const fine = (client: SubsetClient, rule: EffectiveDestinationRule, service: MeshService | undefined, defined: SubsetInfo & { rule: DestinationRuleInfo }) => {
    fineClients.push(client);
    fineRules.push(rule);
    fineServices.push(service);
    if (fineSubsets[fineSubsets.length - 1] !== defined && !fineSubsets.includes(defined)) fineSubsets.push(defined);
  };
  const resolutions = resolveAll(clients, destination.host);
  for (let i = 0; i < clients.length; i++) {
    const client = clients[i];
    const { service, rule: serviceRule } = resolutions[i];
    let rule: EffectiveDestinationRule | undefined;
    if (service) {
      if (service.ports.length === 0) continue;
      const port = destination.port ?? service.ports[0].port;
      // A port the service does not have is `unknown-destination-host`'s finding.
      if (!service.ports.some((p) => p.port === port)) continue;
      cluster ??= outboundClusterName(port, subset, service.hostname);
      anyService ??= service;
      // The proxy has the cluster exactly when the applying DestinationRule defines the subset (the
      // service is visible and has the port): what `scope.cluster(name)` decides, without building it.
      rule = serviceRule;
      const defined = rule?.subsets.get(subset);
      if (defined) fine(client, rule!, service, defined);
      else broken.push({ client, rule, service, subset: defined });
      continue;
    }
    // Not visible from here although it exists (exportTo, Sidecar): not a subset problem.
    if (known) continue;
    // The host is unknown to the input (its Service may be deployed from elsewhere): judge by the
    // DestinationRules alone, and only where one applies.
    rule = graph.destinationRules.forClient(client.namespace, destination.host, namespaceOfHost(destination.host) ?? vs.namespace);
    if (!rule) continue;
    cluster ??= outboundClusterName(destination.port ?? ("<port>" as unknown as number), subset, destination.host);
    const defined = rule.subsets.get(subset);
    if (defined) fine(client, rule, undefined, defined);
    else broken.push({ client, rule, subset: defined });
  }
  if (!cluster) return undefined;
  let fineOutcomes: SubsetOutcome[] | undefined;
  return {
    vs,
    route,
    destination,
    mirror,
    cluster,
    service: anyService,
    broken,
    get fine() {
      fineOutcomes ??= fineClients.map((client, i) => {
        const service = fineServices[i];
        const defined = fineRules[i].subsets.get(subset)!;
        return service ? { client, rule: fineRules[i], service, subset: defined } : { client, rule: fineRules[i], subset: defined };
      });
      return fineOutcomes;
    },
    fineSubsets,
  };
}

const resolvedLists = new WeakMap<readonly SubsetClient[], Map<string, { service?: MeshService; rule?: EffectiveDestinationRule }[]>>();

/** {@link resolveOnce} for every client of a list (memoized per list: the routes of a VirtualService share theirs). */
function resolveAll(clients: readonly SubsetClient[], host: string): { service?: MeshService; rule?: EffectiveDestinationRule }[] {
  let byHost = resolvedLists.get(clients);
  if (!byHost) resolvedLists.set(clients, (byHost = new Map()));
  let found = byHost.get(host);
  if (!found) byHost.set(host, (found = clients.map((client) => resolveOnce(client.scope, host))));
  return found;
}

/** The service a host resolves to from a scope, and the DestinationRule applying to it there. */
function resolveOnce(scope: OutboundScope, host: string): { service?: MeshService; rule?: EffectiveDestinationRule } {
  const service = scope.service(host);
  return { service, rule: service ? scope.destinationRule(service) : undefined };
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
  const groups = new Map<string, { rule?: EffectiveDestinationRule; clients: SubsetClient[] }>();
  for (const outcome of broken) {
    const key = ruleKey(outcome.rule);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { rule: outcome.rule, clients: [] }));
    if (!group.clients.some((c) => c.namespace === outcome.client.namespace && c.gateway === outcome.client.gateway)) group.clients.push(outcome.client);
  }
  return [...groups.values()];
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
  for (const other of graph.destinationRules.rules) {
    if (applied.rules.includes(other) || !hostMatches(other.host, destination.host)) continue;
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
  const short = !destination.hostWritten.includes(".") ? destination.hostWritten : undefined;
  for (const other of graph.destinationRules.rules) {
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
