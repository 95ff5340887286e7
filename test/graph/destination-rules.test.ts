import { describe, expect, it } from "vitest";
import type { DestinationRuleInfo, EffectiveDestinationRule } from "../../src/graph/index.js";
import { hostMatches } from "../../src/model/hosts.js";
import { randomMesh } from "../fixtures/random-mesh.js";
import { graphOf } from "./helpers.js";

/**
 * Istio's DestinationRule precedence computed from the list of rules the way istiod indexes them (no
 * cache): per namespace, a pool of the rules exported to the namespace itself, one of the root
 * namespace's private rules, and one of exported rules, each holding per host the merged entries
 * (rules written with the same `exportTo` and selector merge). A client looks in its own namespace's
 * pool (in the root namespace: the private one), else the service namespace's exported pool, else the
 * root's, taking the most specific host (one with a rule selecting the client) and, of its entries
 * (exported to the client), the one selecting it, else the last without a selector.
 */
function plainLookup(
  rules: readonly DestinationRuleInfo[],
  root: string,
  clientNamespace: string,
  host: string,
  serviceNamespace: string,
  labels: Readonly<Record<string, string>> | undefined,
) {
  const written = (rule: DestinationRuleInfo): string[] => {
    if (rule.workloadSelector) return ["."];
    const value = rule.resource.spec.exportTo;
    return Array.isArray(value) ? [...new Set(value.filter((v): v is string => typeof v === "string"))] : [];
  };
  const isPrivate = (rule: DestinationRuleInfo) => {
    const set = written(rule);
    return set.length === 1 && (set[0] === "." || set[0] === rule.namespace);
  };
  const selectsClient = (selector: Readonly<Record<string, string>> | undefined) =>
    !selector || (labels !== undefined && Object.entries(selector).every(([k, v]) => labels[k] === v));
  type Entry = { exportTo: string[]; rules: DestinationRuleInfo[] };
  const addTo = (entries: Entry[], rule: DestinationRuleInfo) => {
    const exportTo = written(rule);
    let separate = true;
    for (const entry of entries) {
      const equal = exportTo.length === entry.exportTo.length && exportTo.every((v) => entry.exportTo.includes(v));
      if (equal) separate = false;
      else if (entry.exportTo.length > 0 && entry.exportTo.every((v) => exportTo.includes(v))) separate = true;
      else {
        separate = true;
        continue;
      }
      const a = entry.rules[0].workloadSelector;
      const b = rule.workloadSelector;
      if (a && b && JSON.stringify(Object.entries(a).sort()) !== JSON.stringify(Object.entries(b).sort())) {
        separate = true;
        continue;
      }
      if ((!a && !b) || (a && b)) separate = false;
      entry.rules.push(rule);
    }
    if (separate) entries.push({ exportTo, rules: [rule] });
  };
  const ordered = [...rules.filter((r) => r.workloadSelector), ...rules.filter((r) => !r.workloadSelector)];
  const pool = (namespace: string, kind: "local" | "private" | "exported") => {
    const byHost = new Map<string, Entry[]>();
    for (const rule of ordered) {
      if (rule.namespace !== namespace) continue;
      const set = written(rule);
      const member =
        kind === "local"
          ? set.length === 0 || set.includes("*") || set.includes(".") || set.includes(namespace)
          : kind === "private"
            ? isPrivate(rule)
            : !isPrivate(rule);
      if (!member) continue;
      if (!byHost.has(rule.host)) byHost.set(rule.host, []);
      addTo(byHost.get(rule.host)!, rule);
    }
    return byHost;
  };
  const inNamespace = (namespace: string, scope: EffectiveDestinationRule["scope"], kind: "local" | "private" | "exported") => {
    const byHost = pool(namespace, kind);
    const specificity = (h: string) => (h === host ? Infinity : h.length);
    let best: string | undefined;
    for (const [h, entries] of byHost) {
      if (!hostMatches(h, host) || entries.length === 0) continue;
      if (best === undefined || specificity(h) > specificity(best)) best = h;
    }
    if (best === undefined) return undefined;
    let chosen: DestinationRuleInfo[] | undefined;
    for (const entry of byHost.get(best)!) {
      if (kind === "exported" && !(entry.exportTo.length === 0 || entry.exportTo.includes("*") || entry.exportTo.includes(clientNamespace))) continue;
      const selector = entry.rules[0].workloadSelector;
      if (!selector) chosen = entry.rules;
      else if (entry.rules[0].namespace === clientNamespace && selectsClient(selector)) {
        chosen = entry.rules;
        break;
      }
    }
    // A namespace's own rules decide even when none applies to the client (null); exported ones do not.
    if (!chosen) return kind === "exported" ? undefined : null;
    const subsets: string[] = [];
    for (const rule of chosen) for (const subset of rule.subsets) if (!subsets.includes(subset.name)) subsets.push(subset.name);
    return {
      host: best,
      namespace,
      scope,
      rules: chosen.map((rule) => rule.resource.key),
      subsets,
      trafficPolicy: chosen.find((rule) => rule.trafficPolicy)?.resource.key,
    };
  };
  const steps =
    clientNamespace === root
      ? [
          () => inNamespace(root, "client", "private"),
          () => inNamespace(serviceNamespace, serviceNamespace === root ? "root" : "service", "exported"),
          () => (serviceNamespace !== root ? inNamespace(root, "root", "exported") : undefined),
        ]
      : [
          () => inNamespace(clientNamespace, "client", "local"),
          () => (serviceNamespace !== clientNamespace ? inNamespace(serviceNamespace, "service", "exported") : undefined),
          () => (root !== serviceNamespace ? inNamespace(root, "root", "exported") : undefined),
        ];
  for (const step of steps) {
    const found = step();
    if (found !== undefined) return found ?? undefined;
  }
  return undefined;
}

function summary(rule: EffectiveDestinationRule | undefined) {
  if (!rule) return undefined;
  return {
    host: rule.host,
    namespace: rule.namespace,
    scope: rule.scope,
    rules: rule.rules.map((r) => r.resource.key),
    subsets: [...rule.subsets.keys()],
    trafficPolicy: rule.trafficPolicy?.rule.resource.key,
  };
}

const NAMESPACES = ["a", "b", "c", "d", "e", "istio-system", "elsewhere"];
const LABELS = [undefined, { app: "sleep" }, { app: "other" }];

describe("DestinationRuleIndex.forClient: the same answers as Istio's precedence computed from the list", () => {
  it("40 random meshes, every client namespace, host, service namespace and client labels, asked twice", () => {
    for (let seed = 0; seed < 40; seed++) {
      const graph = graphOf(randomMesh(seed));
      const index = graph.destinationRules;
      const hosts = new Set<string>(["ghost.a.svc.cluster.local", "api.example.com", "x.example.com", "*.example.com"]);
      for (const rule of index.rules) hosts.add(rule.host);
      for (const service of graph.services.services) hosts.add(service.hostname);
      // Each merged set of rules has one result object per scope.
      const byRules = new Map<string, EffectiveDestinationRule>();
      for (let round = 0; round < 2; round++) {
        for (const host of hosts) {
          for (const serviceNamespace of NAMESPACES) {
            for (const client of NAMESPACES) {
              for (const labels of LABELS) {
                const found = index.forClient(client, host, serviceNamespace, labels);
                const expected = plainLookup(index.rules, graph.mesh.rootNamespace, client, host, serviceNamespace, labels);
                expect(summary(found), `seed ${seed}: ${client} → ${host} of ${serviceNamespace} ${JSON.stringify(labels)}`).toEqual(expected);
                if (!found) continue;
                const key = `${found.scope}|${found.rules.map((r) => r.resource.key).join(",")}`;
                const shared = byRules.get(key);
                if (shared) expect(found).toBe(shared);
                else byRules.set(key, found);
              }
            }
          }
        }
      }
    }
  });
});
