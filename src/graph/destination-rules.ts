import type { MeshModel, Resource } from "../model/index.js";
import { hostMatches, resolveHost } from "../model/hosts.js";
import { asArray, asRecord, asString } from "../model/resource.js";
import { isExportedTo, resolveExportTo } from "./services.js";
import type { Provenance } from "./types.js";
import { configOrder } from "./virtual-services.js";

export interface SubsetInfo {
  name: string;
  labels: Readonly<Record<string, string>>;
  trafficPolicy?: Record<string, unknown>;
  provenance: Provenance;
}

export interface DestinationRuleInfo {
  resource: Resource;
  namespace: string;
  name: string;
  /** `host` resolved against the DestinationRule's namespace. */
  host: string;
  hostWritten: string;
  exportTo: "*" | ReadonlySet<string>;
  subsets: SubsetInfo[];
  trafficPolicy?: Record<string, unknown>;
  /** Only client workloads with these labels use the rule. */
  workloadSelector?: Readonly<Record<string, string>>;
}

/** The DestinationRule a client uses for a host, after merging rules of one namespace. */
export interface EffectiveDestinationRule {
  host: string;
  namespace: string;
  /** Why this namespace's rules apply: the client's own, the service's, or the root namespace's. */
  scope: "client" | "service" | "root";
  /** The rules merged, first one first. */
  rules: DestinationRuleInfo[];
  /** Subsets by name; the first definition of a name wins. */
  subsets: Map<string, SubsetInfo & { rule: DestinationRuleInfo }>;
  /** The first rule's traffic policy (Istio keeps the first one when merging). */
  trafficPolicy?: { policy: Record<string, unknown>; rule: DestinationRuleInfo };
}

export function destinationRuleInfo(resource: Resource): DestinationRuleInfo | undefined {
  const spec = resource.spec;
  const written = asString(spec.host);
  if (!written) return undefined;
  const subsets = asArray(spec.subsets).flatMap((entry, index) => {
    const subset = asRecord(entry);
    const name = asString(subset.name);
    if (!name) return [];
    return [
      {
        name,
        labels: asRecord(subset.labels) as Record<string, string>,
        trafficPolicy: subset.trafficPolicy ? asRecord(subset.trafficPolicy) : undefined,
        provenance: { resource, path: ["spec", "subsets", index] },
      },
    ];
  });
  const selector = asRecord(asRecord(spec.workloadSelector).matchLabels) as Record<string, string>;
  return {
    resource,
    namespace: resource.namespace,
    name: resource.name,
    host: resolveHost(written, resource.namespace),
    hostWritten: written,
    exportTo: resolveExportTo(spec.exportTo, resource.namespace),
    subsets,
    trafficPolicy: spec.trafficPolicy ? asRecord(spec.trafficPolicy) : undefined,
    workloadSelector: Object.keys(selector).length > 0 ? selector : undefined,
  };
}

/**
 * Istio's DestinationRule lookup: for a client in namespace N and a service host, the rules of (1) N
 * itself (exported or not), else (2) the service's namespace, if exported to N, else (3) the root
 * namespace, if exported to N. Inside a namespace the most specific host wins (exact, then the
 * longest wildcard), and rules for the same host merge.
 */
export class DestinationRuleIndex {
  readonly rules: DestinationRuleInfo[];
  private readonly byNamespace = new Map<string, DestinationRuleInfo[]>();
  /** Per namespace: rules by exact host, and the wildcard-host rules (both in Istio's order). */
  private readonly exactByNamespace = new Map<string, Map<string, DestinationRuleInfo[]>>();
  private readonly wildcardByNamespace = new Map<string, DestinationRuleInfo[]>();
  private readonly cache = new Map<string, EffectiveDestinationRule | null>();
  /** The answer for clients in namespaces without a rule for the host, by host and service namespace. */
  private readonly genericCache = new Map<string, Map<string, { everywhere: boolean; found?: EffectiveDestinationRule | null }>>();
  private readonly mergedCache = new Map<string, EffectiveDestinationRule>();
  private readonly ruleIds = new Map<DestinationRuleInfo, number>();

  constructor(model: MeshModel, private readonly rootNamespace: string) {
    this.rules = (model.byKind.get("DestinationRule") ?? [])
      .filter((resource) => resource.group.endsWith("istio.io"))
      .sort(configOrder)
      .flatMap((resource) => destinationRuleInfo(resource) ?? []);
    for (const rule of this.rules) {
      this.ruleIds.set(rule, this.ruleIds.size);
      const list = this.byNamespace.get(rule.namespace);
      if (list) list.push(rule);
      else this.byNamespace.set(rule.namespace, [rule]);
      if (rule.host.startsWith("*")) {
        const wildcards = this.wildcardByNamespace.get(rule.namespace);
        if (wildcards) wildcards.push(rule);
        else this.wildcardByNamespace.set(rule.namespace, [rule]);
      } else {
        let exact = this.exactByNamespace.get(rule.namespace);
        if (!exact) this.exactByNamespace.set(rule.namespace, (exact = new Map()));
        const same = exact.get(rule.host);
        if (same) same.push(rule);
        else exact.set(rule.host, [rule]);
      }
    }
  }

  /** The rules of a namespace whose host matches `host` (exact-host rules first), in Istio's order. */
  private matchingIn(namespace: string, host: string): DestinationRuleInfo[] {
    const exact = this.exactByNamespace.get(namespace)?.get(host) ?? [];
    const wildcards = this.wildcardByNamespace.get(namespace);
    if (!wildcards) return exact;
    return [...exact, ...wildcards.filter((rule) => hostMatches(rule.host, host))];
  }

  /**
   * The DestinationRule that applies to traffic from a client in `clientNamespace` (with pod labels
   * `clientLabels`, for rules with a workload selector) to `host` of a service in `serviceNamespace`.
   */
  forClient(
    clientNamespace: string,
    host: string,
    serviceNamespace: string,
    clientLabels?: Readonly<Record<string, string>>,
  ): EffectiveDestinationRule | undefined {
    // Clients in namespaces with no rule for the host (other than the service's and the root
    // namespace) all get the same answer when the rules that could apply are exported everywhere.
    if (!clientLabels && clientNamespace !== serviceNamespace && clientNamespace !== this.rootNamespace && !this.hasRuleFor(clientNamespace, host)) {
      let byService = this.genericCache.get(host);
      if (!byService) this.genericCache.set(host, (byService = new Map()));
      let entry = byService.get(serviceNamespace);
      if (!entry) {
        const everywhere =
          this.matchingIn(serviceNamespace, host).every((rule) => rule.exportTo === "*") &&
          this.matchingIn(this.rootNamespace, host).every((rule) => rule.exportTo === "*");
        byService.set(serviceNamespace, (entry = { everywhere }));
      }
      if (entry.everywhere) {
        if (entry.found === undefined) entry.found = this.lookup(clientNamespace, host, serviceNamespace, undefined) ?? null;
        return entry.found ?? undefined;
      }
    }
    const key = `${clientNamespace}|${host}|${serviceNamespace}|${clientLabels ? JSON.stringify(clientLabels) : ""}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const found = this.lookup(clientNamespace, host, serviceNamespace, clientLabels);
    this.cache.set(key, found ?? null);
    return found;
  }

  /** Whether a rule of a namespace has a host matching `host` (`matchingIn` is not empty). */
  private hasRuleFor(namespace: string, host: string): boolean {
    if (this.exactByNamespace.get(namespace)?.has(host)) return true;
    const wildcards = this.wildcardByNamespace.get(namespace);
    return wildcards !== undefined && wildcards.some((rule) => hostMatches(rule.host, host));
  }

  private lookup(
    clientNamespace: string,
    host: string,
    serviceNamespace: string,
    clientLabels: Readonly<Record<string, string>> | undefined,
  ): EffectiveDestinationRule | undefined {
    return (
      this.inNamespace(clientNamespace, host, clientNamespace, "client", clientLabels, false) ??
      (serviceNamespace !== clientNamespace
        ? this.inNamespace(serviceNamespace, host, clientNamespace, "service", clientLabels, true)
        : undefined) ??
      (this.rootNamespace !== clientNamespace && this.rootNamespace !== serviceNamespace
        ? this.inNamespace(this.rootNamespace, host, clientNamespace, "root", clientLabels, true)
        : undefined)
    );
  }

  private inNamespace(
    namespace: string,
    host: string,
    clientNamespace: string,
    scope: EffectiveDestinationRule["scope"],
    clientLabels: Readonly<Record<string, string>> | undefined,
    mustBeExported: boolean,
  ): EffectiveDestinationRule | undefined {
    const candidates = this.matchingIn(namespace, host).filter(
      (rule) =>
        (!mustBeExported || isExportedTo(rule.exportTo, clientNamespace)) &&
        (!rule.workloadSelector || (clientLabels !== undefined && selectsAll(rule.workloadSelector, clientLabels))),
    );
    if (candidates.length === 0) return undefined;
    // Most specific host: an exact match, else the longest wildcard.
    const best = candidates.reduce((a, b) => (specificity(b.host, host) > specificity(a.host, host) ? b : a));
    const sameHost = candidates.filter((rule) => rule.host === best.host);
    // Rules with a workload selector only merge among themselves; a selected rule takes precedence.
    const selected = sameHost.filter((rule) => rule.workloadSelector);
    const merged = selected.length > 0 ? selected : sameHost.filter((rule) => !rule.workloadSelector);
    // Clients of many namespaces usually end up with the same merged rules: build the result once.
    const mergedKey = `${scope}|${namespace}|${merged.map((rule) => this.ruleIds.get(rule)).join(",")}`;
    const known = this.mergedCache.get(mergedKey);
    if (known) return known;
    const subsets = new Map<string, SubsetInfo & { rule: DestinationRuleInfo }>();
    let trafficPolicy: EffectiveDestinationRule["trafficPolicy"];
    for (const rule of merged) {
      for (const subset of rule.subsets) if (!subsets.has(subset.name)) subsets.set(subset.name, { ...subset, rule });
      if (!trafficPolicy && rule.trafficPolicy) trafficPolicy = { policy: rule.trafficPolicy, rule };
    }
    const effective = { host: best.host, namespace, scope, rules: merged, subsets, trafficPolicy };
    this.mergedCache.set(mergedKey, effective);
    return effective;
  }
}

function selectsAll(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
  for (const key in selector) if (labels[key] !== selector[key]) return false;
  return true;
}

function specificity(pattern: string, host: string): number {
  if (pattern === host) return Number.MAX_SAFE_INTEGER;
  return pattern.length;
}
