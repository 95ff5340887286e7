import { describe, expect, it } from "vitest";
import type { DestinationRuleInfo, EffectiveDestinationRule } from "../../src/graph/index.js";
import { isExportedTo } from "../../src/graph/services.js";
import { hostMatches } from "../../src/model/hosts.js";
import { randomMesh } from "../fixtures/random-mesh.js";
import { graphOf } from "./helpers.js";

/**
 * Istio's DestinationRule precedence computed straight from the list of rules (no index, no cache):
 * the client's namespace, else the service's (exported to the client), else the root namespace's
 * (exported to the client); a client in the root namespace first sees only the root namespace's rules
 * exported to no other namespace, and a rule with a workload selector is never exported. In a
 * namespace the most specific host (exact, else the longest wildcard, the first of equals), rules for
 * that host merged, those selecting the client first.
 */
function plainLookup(
  rules: readonly DestinationRuleInfo[],
  root: string,
  clientNamespace: string,
  host: string,
  serviceNamespace: string,
  labels: Readonly<Record<string, string>> | undefined,
) {
  const inNamespace = (namespace: string, scope: EffectiveDestinationRule["scope"], mustBeExported: boolean, rootPrivate = false) => {
    const matching = rules
      .filter((rule) => rule.namespace === namespace && hostMatches(rule.host, host))
      .sort((a, b) => Number(a.host.startsWith("*")) - Number(b.host.startsWith("*")));
    const applying = matching.filter(
      (rule) =>
        (rootPrivate
          ? rule.workloadSelector || (rule.exportTo !== "*" && [...rule.exportTo].join() === root)
          : !mustBeExported || (!rule.workloadSelector && isExportedTo(rule.exportTo, clientNamespace))) &&
        (!rule.workloadSelector || (labels !== undefined && Object.entries(rule.workloadSelector).every(([k, v]) => labels[k] === v))),
    );
    if (applying.length === 0) return undefined;
    const specificity = (rule: DestinationRuleInfo) => (rule.host === host ? Infinity : rule.host.length);
    const best = applying.reduce((a, b) => (specificity(b) > specificity(a) ? b : a));
    const sameHost = applying.filter((rule) => rule.host === best.host);
    const selected = sameHost.filter((rule) => rule.workloadSelector);
    const merged = selected.length > 0 ? selected : sameHost;
    const subsets: string[] = [];
    for (const rule of merged) for (const subset of rule.subsets) if (!subsets.includes(subset.name)) subsets.push(subset.name);
    return {
      host: best.host,
      namespace,
      scope,
      rules: merged.map((rule) => rule.resource.key),
      subsets,
      trafficPolicy: merged.find((rule) => rule.trafficPolicy)?.resource.key,
    };
  };
  if (clientNamespace === root) {
    return (
      inNamespace(root, "client", false, true) ??
      (serviceNamespace !== root ? inNamespace(serviceNamespace, "service", true) : undefined) ??
      inNamespace(root, "root", true)
    );
  }
  return (
    inNamespace(clientNamespace, "client", false) ??
    (serviceNamespace !== clientNamespace ? inNamespace(serviceNamespace, "service", true) : undefined) ??
    (root !== clientNamespace && root !== serviceNamespace ? inNamespace(root, "root", true) : undefined)
  );
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
