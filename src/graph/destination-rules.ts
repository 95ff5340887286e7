import type { MeshModel, Resource } from "../model/index.js";
import { hostMatches, resolveHost } from "../model/hosts.js";
import { asArray, asRecord, asString, hasKeys, readRecord } from "../model/resource.js";
import { isExportedTo, resolveExportTo } from "./services.js";
import { SharedByIndex, sharedPath, type Provenance } from "./types.js";
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

const SUBSET_PATHS = new SharedByIndex((index) => sharedPath("spec", "subsets", index));

export function destinationRuleInfo(resource: Resource): DestinationRuleInfo | undefined {
  const spec = resource.spec;
  const host = asString(spec.host);
  if (!host) return undefined;
  const subsets: SubsetInfo[] = [];
  const written = asArray(spec.subsets);
  for (let index = 0; index < written.length; index++) {
    const subset = asRecord(written[index]);
    const name = asString(subset.name);
    if (!name) continue;
    subsets.push({
      name,
      labels: asRecord(subset.labels) as Record<string, string>,
      trafficPolicy: subset.trafficPolicy ? asRecord(subset.trafficPolicy) : undefined,
      provenance: { resource, path: SUBSET_PATHS.at(index) },
    });
  }
  const selector = readRecord(readRecord(spec.workloadSelector).matchLabels) as Record<string, string>;
  return {
    resource,
    namespace: resource.namespace,
    name: resource.name,
    host: resolveHost(host, resource.namespace),
    hostWritten: host,
    exportTo: resolveExportTo(spec.exportTo, resource.namespace),
    subsets,
    trafficPolicy: spec.trafficPolicy ? asRecord(spec.trafficPolicy) : undefined,
    workloadSelector: hasKeys(selector) ? selector : undefined,
  };
}

/** The exact-host rules of one host, and the answers shared by the clients looking it up. */
interface HostRules {
  /**
   * The rules for exactly this host, in Istio's order: of one namespace (`namespace`, the usual
   * case), or by namespace once the host has rules in several (`byNamespace`).
   */
  namespace: string | undefined;
  rules: DestinationRuleInfo[] | undefined;
  byNamespace: Map<string, DestinationRuleInfo[]> | undefined;
  /**
   * By service namespace: the answer for clients in namespaces with no rule for the host (other than
   * the service's and the root namespace), all the same when the rules that could apply are exported
   * everywhere (`found`: undefined until looked up, null for none).
   */
  generic: Map<string, { everywhere: boolean; found: EffectiveDestinationRule | null | undefined }> | undefined;
  /** Answers for clients without labels: by service namespace, then client namespace (null: none). */
  answers: Map<string, Map<string, EffectiveDestinationRule | null>> | undefined;
}

const NO_RULES: readonly DestinationRuleInfo[] = Object.freeze([]);

/**
 * Istio's DestinationRule lookup: for a client in namespace N and a service host, the rules of (1) N
 * itself (exported to N, privately or not; in the root namespace, only its private rules), else (2)
 * the service's namespace, if exported to N, else (3) the root namespace, if exported to N. Inside a
 * namespace the most specific host wins (exact, then the longest wildcard), and rules for the same
 * host merge when their `exportTo` is written alike (see `consolidate`).
 */
export class DestinationRuleIndex {
  readonly rules: DestinationRuleInfo[];
  /** Per host: the exact-host rules by namespace, and answers shared by clients (see {@link HostRules}). */
  private readonly byHost = new Map<string, HostRules>();
  /** Per namespace: the wildcard-host rules (in Istio's order). */
  private readonly wildcardByNamespace = new Map<string, DestinationRuleInfo[]>();
  /** Answers for clients with labels, by client namespace, host, service namespace and labels. */
  private readonly cache = new Map<string, EffectiveDestinationRule | null>();
  /** Merged results of several rules, by scope, namespace and rules. */
  private readonly mergedCache = new Map<string, EffectiveDestinationRule>();
  /** The result of one rule alone, by scope. */
  private readonly singleCache: Record<EffectiveDestinationRule["scope"], Map<DestinationRuleInfo, EffectiveDestinationRule>> = {
    client: new Map(),
    service: new Map(),
    root: new Map(),
  };
  private readonly ruleIds = new Map<DestinationRuleInfo, number>();

  constructor(model: MeshModel, private readonly rootNamespace: string) {
    this.rules = [];
    const resources = (model.byKind.get("DestinationRule") ?? []).filter((resource) => resource.group.endsWith("istio.io")).sort(configOrder);
    for (let i = 0; i < resources.length; i++) {
      const rule = destinationRuleInfo(resources[i]);
      if (rule) this.rules.push(rule);
    }
    for (const rule of this.rules) {
      this.ruleIds.set(rule, this.ruleIds.size);
      if (rule.host.startsWith("*")) {
        const wildcards = this.wildcardByNamespace.get(rule.namespace);
        if (wildcards) wildcards.push(rule);
        else this.wildcardByNamespace.set(rule.namespace, [rule]);
      } else {
        const rules = this.hostRules(rule.host);
        if (rules.byNamespace) {
          const same = rules.byNamespace.get(rule.namespace);
          if (same) same.push(rule);
          else rules.byNamespace.set(rule.namespace, [rule]);
        } else if (!rules.rules) {
          rules.namespace = rule.namespace;
          rules.rules = [rule];
        } else if (rules.namespace === rule.namespace) {
          rules.rules.push(rule);
        } else {
          rules.byNamespace = new Map([[rules.namespace!, rules.rules], [rule.namespace, [rule]]]);
          rules.namespace = rules.rules = undefined;
        }
      }
    }
  }

  private hostRules(host: string): HostRules {
    let rules = this.byHost.get(host);
    if (!rules) this.byHost.set(host, (rules = { namespace: undefined, rules: undefined, byNamespace: undefined, generic: undefined, answers: undefined }));
    return rules;
  }

  /** The rules of a namespace whose host matches `host` (exact-host rules first), in Istio's order. */
  private matchingIn(namespace: string, host: string): readonly DestinationRuleInfo[] {
    const exact = exactRulesIn(this.byHost.get(host), namespace) ?? NO_RULES;
    const wildcards = this.wildcardByNamespace.get(namespace);
    if (!wildcards) return exact;
    let matching: DestinationRuleInfo[] | undefined;
    for (const rule of wildcards) if (hostMatches(rule.host, host)) (matching ??= [...exact]).push(rule);
    return matching ?? exact;
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
    if (clientLabels) {
      const key = `${clientNamespace}|${host}|${serviceNamespace}|${JSON.stringify(clientLabels)}`;
      const cached = this.cache.get(key);
      if (cached !== undefined) return cached ?? undefined;
      const found = this.lookup(clientNamespace, host, serviceNamespace, clientLabels);
      this.cache.set(key, found ?? null);
      return found;
    }
    const rules = this.hostRules(host);
    // Clients in namespaces with no rule for the host (other than the service's and the root
    // namespace) all get the same answer when the rules that could apply are exported everywhere.
    if (clientNamespace !== serviceNamespace && clientNamespace !== this.rootNamespace) {
      if (!exactRulesIn(rules, clientNamespace) && !this.hasWildcardRuleFor(clientNamespace, host)) {
        rules.generic ??= new Map();
        let answer = rules.generic.get(serviceNamespace);
        if (!answer) {
          const everywhere =
            this.matchingIn(serviceNamespace, host).every((rule) => rule.exportTo === "*") &&
            this.matchingIn(this.rootNamespace, host).every((rule) => rule.exportTo === "*");
          rules.generic.set(serviceNamespace, (answer = { everywhere, found: undefined }));
        }
        if (answer.everywhere) {
          if (answer.found === undefined) answer.found = this.lookup(clientNamespace, host, serviceNamespace, undefined) ?? null;
          return answer.found ?? undefined;
        }
      }
    }
    rules.answers ??= new Map();
    let byClient = rules.answers.get(serviceNamespace);
    if (!byClient) rules.answers.set(serviceNamespace, (byClient = new Map()));
    const cached = byClient.get(clientNamespace);
    if (cached !== undefined) return cached ?? undefined;
    const found = this.lookup(clientNamespace, host, serviceNamespace, undefined);
    byClient.set(clientNamespace, found ?? null);
    return found;
  }

  /** Whether a wildcard-host rule of a namespace matches `host`. */
  private hasWildcardRuleFor(namespace: string, host: string): boolean {
    const wildcards = this.wildcardByNamespace.get(namespace);
    return wildcards !== undefined && wildcards.some((rule) => hostMatches(rule.host, host));
  }

  private lookup(
    clientNamespace: string,
    host: string,
    serviceNamespace: string,
    clientLabels: Readonly<Record<string, string>> | undefined,
  ): EffectiveDestinationRule | undefined {
    const root = this.rootNamespace;
    // The first namespace with a rule for the host decides, even when none of its rules applies to
    // this client (null: only rules with a workload selector that does not select it): istiod then
    // gives the client no DestinationRule, it does not look further.
    let found: EffectiveDestinationRule | null | undefined;
    if (clientNamespace === root) {
      // Proxies of the root namespace (the default ingress gateway's) look first at its rules exported
      // nowhere else only; its other rules come after the service namespace's (istiod's
      // rootNamespaceLocal), so a mesh-wide `*.local` rule there does not hide the service's rule.
      found = this.inNamespace(root, host, root, "client", clientLabels, "private");
      if (found === undefined) found = this.inNamespace(serviceNamespace, host, root, serviceNamespace === root ? "root" : "service", clientLabels, "exported");
      if (found === undefined && serviceNamespace !== root) found = this.inNamespace(root, host, root, "root", clientLabels, "exported");
      return found ?? undefined;
    }
    found = this.inNamespace(clientNamespace, host, clientNamespace, "client", clientLabels, "local");
    if (found === undefined && serviceNamespace !== clientNamespace) found = this.inNamespace(serviceNamespace, host, clientNamespace, "service", clientLabels, "exported");
    if (found === undefined && root !== serviceNamespace) found = this.inNamespace(root, host, clientNamespace, "root", clientLabels, "exported");
    return found ?? undefined;
  }

  private inNamespace(
    namespace: string,
    host: string,
    clientNamespace: string,
    scope: EffectiveDestinationRule["scope"],
    clientLabels: Readonly<Record<string, string>> | undefined,
    pool: RulePool,
  ): EffectiveDestinationRule | null | undefined {
    const matching = this.matchingIn(namespace, host);
    // Most specific host: an exact match, else the longest wildcard (the first of equals). istiod
    // picks it among the rules a namespace exports before looking at whom they are exported to, and
    // among all of a namespace's own rules before looking at their workload selectors.
    let best: DestinationRuleInfo | undefined;
    let sameHost = 0;
    // Indexed loops: they run before the code is optimized, where `for...of` allocates per step.
    for (let i = 0; i < matching.length; i++) {
      const rule = matching[i];
      if (!inPool(rule, pool)) continue;
      if (!best || specificity(rule.host, host) > specificity(best.host, host)) [best, sameHost] = [rule, 0];
      if (rule.host === best.host) sameHost++;
    }
    if (!best) return undefined;
    // Several rules for that host: istiod merges those exported alike and keeps the others apart (see
    // `consolidate`); a proxy uses the one selecting it, else the last without a selector.
    const rules: DestinationRuleInfo[] = [];
    for (let i = 0; i < matching.length; i++) if (matching[i].host === best.host && inPool(matching[i], pool)) rules.push(matching[i]);
    // One rule has that host (the usual case): its result alone, built once per scope.
    if (rules.length === 1) {
      if (pool === "exported") return exportedTo(writtenExportTo(best), clientNamespace) ? this.merge([best], scope, namespace) : undefined;
      return !best.workloadSelector || (best.namespace === clientNamespace && selects(best, clientLabels)) ? this.merge([best], scope, namespace) : null;
    }
    let chosen: DestinationRuleInfo[] | undefined;
    for (const entry of consolidate(rules)) {
      if (pool === "exported" && !exportedTo(entry.exportTo, clientNamespace)) continue;
      const first = entry.rules[0];
      if (!first.workloadSelector) chosen = entry.rules;
      else if (first.namespace === clientNamespace && selects(first, clientLabels)) {
        chosen = entry.rules;
        break;
      }
    }
    if (chosen) return this.merge(chosen, scope, namespace);
    // The exported rules of a namespace decide only when one is exported to the client.
    return pool === "exported" ? undefined : null;
  }

  /**
   * The rules istiod merges into one (same namespace and host, `exportTo` written alike, the same
   * workload selector or none), first one first; only groups of two or more. A rule whose `exportTo`
   * extends another's joins that group and also stands on its own, as in istiod.
   */
  mergedGroups(): DestinationRuleInfo[][] {
    const byHost = new Map<string, DestinationRuleInfo[]>();
    for (const rule of this.rules) {
      const key = `${rule.namespace}\u0000${rule.host}`;
      const list = byHost.get(key);
      if (list) list.push(rule);
      else byHost.set(key, [rule]);
    }
    const groups: DestinationRuleInfo[][] = [];
    byHost.forEach((rules) => {
      if (rules.length < 2) return;
      for (const entry of consolidate(rules)) if (entry.rules.length > 1) groups.push(entry.rules);
    });
    return groups;
  }

  /** The result of merged rules (of one namespace, for one host) in a scope: one object for the same rules. */
  private merge(merged: DestinationRuleInfo[], scope: EffectiveDestinationRule["scope"], namespace: string): EffectiveDestinationRule {
    // Clients of many namespaces usually end up with the same merged rules: build the result once.
    const single = merged.length === 1 ? this.singleCache[scope] : undefined;
    let mergedKey = "";
    if (single) {
      const known = single.get(merged[0]);
      if (known) return known;
    } else {
      mergedKey = `${scope}|${namespace}|`;
      for (let i = 0; i < merged.length; i++) mergedKey += i === 0 ? `${this.ruleIds.get(merged[i])}` : `,${this.ruleIds.get(merged[i])}`;
      const known = this.mergedCache.get(mergedKey);
      if (known) return known;
    }
    const subsets = new Map<string, SubsetInfo & { rule: DestinationRuleInfo }>();
    let trafficPolicy: EffectiveDestinationRule["trafficPolicy"];
    for (let r = 0; r < merged.length; r++) {
      const rule = merged[r];
      for (let i = 0; i < rule.subsets.length; i++) {
        const subset = rule.subsets[i];
        if (subsets.has(subset.name)) continue;
        subsets.set(subset.name, { name: subset.name, labels: subset.labels, trafficPolicy: subset.trafficPolicy, provenance: subset.provenance, rule });
      }
      if (!trafficPolicy && rule.trafficPolicy) trafficPolicy = { policy: rule.trafficPolicy, rule };
    }
    const effective = { host: merged[0].host, namespace, scope, rules: merged, subsets, trafficPolicy };
    if (single) single.set(merged[0], effective);
    else this.mergedCache.set(mergedKey, effective);
    return effective;
  }
}

/** The exact-host rules of a host in a namespace (undefined: none). */
function exactRulesIn(rules: HostRules | undefined, namespace: string): DestinationRuleInfo[] | undefined {
  if (!rules) return undefined;
  return rules.namespace === namespace ? rules.rules : rules.byNamespace?.get(namespace);
}

/**
 * Which rules of a namespace a lookup step sees: those of the client's own namespace exported to it
 * (`local`), those of the root namespace exported nowhere else, for a client in it (`private`), or
 * those a namespace exports (`exported`; whether to the client is asked after picking the host).
 */
type RulePool = "local" | "private" | "exported";

/** The `exportTo` of a rule as written (istiod compares these sets when merging); `.` for a rule with a workload selector. */
function writtenExportTo(rule: DestinationRuleInfo): ReadonlySet<string> {
  if (rule.workloadSelector) return PRIVATE;
  const written = rule.resource.spec.exportTo;
  return new Set(Array.isArray(written) ? written.filter((value): value is string => typeof value === "string") : []);
}

const PRIVATE: ReadonlySet<string> = new Set(["."]);

/** Whether a rule is private to its namespace for istiod: exported only there, or with a workload selector. */
function isPrivate(rule: DestinationRuleInfo): boolean {
  if (rule.workloadSelector) return true;
  const written = writtenExportTo(rule);
  return written.size === 1 && (written.has(".") || written.has(rule.namespace));
}

/** Whether a written `exportTo` (of an exported rule) reaches a namespace, as istiod reads it. */
function exportedTo(written: ReadonlySet<string>, namespace: string): boolean {
  return written.size === 0 || written.has("*") || written.has(namespace);
}

/** Whether a rule is in the pool a lookup step searches (see {@link RulePool}). */
function inPool(rule: DestinationRuleInfo, pool: RulePool): boolean {
  if (pool === "private") return isPrivate(rule);
  if (pool === "exported") return !isPrivate(rule);
  // istiod's own-namespace pool: the rules exported to their own namespace (a selector makes a rule private).
  return rule.workloadSelector !== undefined || isExportedTo(rule.exportTo, rule.namespace);
}

/** Whether a rule's workload selector (if any) selects a client. */
function selects(rule: DestinationRuleInfo, clientLabels: Readonly<Record<string, string>> | undefined): boolean {
  return !rule.workloadSelector || (clientLabels !== undefined && selectsAll(rule.workloadSelector, clientLabels));
}

/**
 * istiod's merging of the rules of one namespace and host (in its order: selectors first, then
 * creation time and name): a rule joins an entry whose written `exportTo` is the same as its own (or
 * a non-empty subset of it) and whose selector is the same (or both have none); else it stands
 * apart. So rules without `exportTo` and with `exportTo: ["."]` (or `["*"]`) are not merged.
 */
function consolidate(rules: readonly DestinationRuleInfo[]): { exportTo: ReadonlySet<string>; rules: DestinationRuleInfo[] }[] {
  const ordered = [...rules.filter((rule) => rule.workloadSelector), ...rules.filter((rule) => !rule.workloadSelector)];
  const entries: { exportTo: ReadonlySet<string>; rules: DestinationRuleInfo[] }[] = [];
  for (const rule of ordered) {
    const exportTo = writtenExportTo(rule);
    let apart = true;
    for (const entry of entries) {
      if (sameSet(exportTo, entry.exportTo)) apart = false;
      else if (entry.exportTo.size > 0 && [...entry.exportTo].every((value) => exportTo.has(value))) apart = true;
      else {
        apart = true;
        continue;
      }
      const first = entry.rules[0];
      if (rule.workloadSelector && first.workloadSelector) {
        if (!sameLabels(rule.workloadSelector, first.workloadSelector)) {
          apart = true;
          continue;
        }
        apart = false;
      } else if (!rule.workloadSelector && !first.workloadSelector) apart = false;
      entry.rules.push(rule);
    }
    if (apart) entries.push({ exportTo, rules: [rule] });
  }
  return entries;
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((value) => b.has(value));
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  return Object.keys(a).length === Object.keys(b).length && selectsAll(a, b);
}

function selectsAll(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
  for (const key in selector) if (labels[key] !== selector[key]) return false;
  return true;
}

function specificity(pattern: string, host: string): number {
  if (pattern === host) return Number.MAX_SAFE_INTEGER;
  return pattern.length;
}
