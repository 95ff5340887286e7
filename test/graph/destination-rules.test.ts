import { describe, expect, it } from "vitest";
import type { DestinationRuleInfo, EffectiveDestinationRule } from "../../src/graph/index.js";
import { isExportedTo } from "../../src/graph/services.js";
import { hostMatches } from "../../src/model/hosts.js";
import { randomMesh } from "../fixtures/random-mesh.js";
import { graphOf } from "./helpers.js";

/**
 * Istio's DestinationRule precedence computed straight from the list of rules (no index, no cache):
 * the client's namespace, else the service's (exported to the client), else the root namespace's
 * (exported to the client); in a namespace the most specific host (exact, else the longest wildcard,
 * the first of equals), rules for that host merged, those selecting the client first. A client in the
 * root namespace sees first only the root rules private to it (exported only there, or with a
 * workload selector); rules private to their namespace are never exported.
 */
function plainLookup(
  rules: readonly DestinationRuleInfo[],
  root: string,
  clientNamespace: string,
  host: string,
  serviceNamespace: string,
  labels: Readonly<Record<string, string>> | undefined,
) {
  const isPrivate = (rule: DestinationRuleInfo) =>
    rule.workloadSelector !== undefined || (rule.exportTo !== "*" && [...rule.exportTo].join() === rule.namespace);
  const inNamespace = (namespace: string, scope: EffectiveDestinationRule["scope"], pool: "local" | "private" | "exported") => {
    const matching = rules
      .filter((rule) => rule.namespace === namespace && hostMatches(rule.host, host))
      .sort((a, b) => Number(a.host.startsWith("*")) - Number(b.host.startsWith("*")));
    const applying = matching.filter(
      (rule) =>
        (pool === "local" ||
          (pool === "private" && isPrivate(rule)) ||
          (pool === "exported" && !isPrivate(rule) && isExportedTo(rule.exportTo, clientNamespace))) &&
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
      inNamespace(root, "client", "private") ??
      inNamespace(serviceNamespace, serviceNamespace === root ? "root" : "service", "exported") ??
      (serviceNamespace !== root ? inNamespace(root, "root", "exported") : undefined)
    );
  }
  return (
    inNamespace(clientNamespace, "client", "local") ??
    (serviceNamespace !== clientNamespace ? inNamespace(serviceNamespace, "service", "exported") : undefined) ??
    (root !== serviceNamespace ? inNamespace(root, "root", "exported") : undefined)
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
