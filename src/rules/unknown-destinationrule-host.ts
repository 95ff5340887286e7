import leven from "leven";
import type { DestinationRuleInfo, MeshGraph, MeshService } from "../graph/index.js";
import { isExportedTo } from "../graph/services.js";
import { hostMatches } from "../model/hosts.js";
import { ruleUrl, type Rule } from "./types.js";

/**
 * `unknown-destinationrule-host`: DestinationRules whose host matches no Service or ServiceEntry
 * that a client using the rule can reach (IST0174, reported by Istio's
 * `destinationrule.PodNotSelectedAnalyzer`). The rule's subsets and traffic policy then apply to
 * nothing.
 */
export const unknownDestinationRuleHost: Rule = {
  meta: {
    id: "unknown-destinationrule-host",
    description: "DestinationRules whose host matches no Service or ServiceEntry",
    severity: "warn",
    url: ruleUrl("unknown-destinationrule-host"),
    istioCodes: ["IST0174"],
    inputs: ["DestinationRule", "Service", "ServiceEntry"],
    messages: {
      notExported:
        'Host "{{host}}" is {{service}}, which is not exported to namespace {{namespace}} (exportTo: {{exportTo}}) nor reachable by the clients this DestinationRule applies to: it applies to no traffic',
      unknownHost:
        'Host "{{host}}" matches no Service or ServiceEntry {{where}}: this DestinationRule applies to no traffic{{hint}}',
    },
  },
  check(context) {
    const { graph } = context;
    const wildcardServices = graph.services.services.filter((service) => service.hostname.startsWith("*"));
    for (const rule of graph.destinationRules.rules) {
      if (rule.resource.origin !== "lint") continue;
      // Candidates: every service for a wildcard rule host; else the exact host and the wildcard ServiceEntries.
      const candidates = rule.host.startsWith("*")
        ? graph.services.services
        : [...graph.services.exact(rule.host), ...wildcardServices];
      if (candidates.some((service) => applies(graph, rule, service))) continue;
      const hidden = candidates.find((service) => hostNames(rule, service));
      if (hidden) {
        context.report({
          messageId: "notExported",
          data: {
            host: rule.hostWritten,
            service: `${hidden.origin} ${hidden.namespace}/${hidden.name}`,
            namespace: rule.namespace,
            exportTo: hidden.exportTo === "*" ? "*" : [...hidden.exportTo].join(", "),
          },
          resource: rule.resource,
          path: ["spec", "host"],
          severity: 1,
          istioCode: "IST0174",
        });
        continue;
      }
      const suggestion = closestHost(graph, rule);
      context.report({
        messageId: "unknownHost",
        data: {
          host: rule.hostWritten,
          where: rule.exportTo === "*" ? `visible from namespace ${rule.namespace}` : `visible where it is exported`,
          hint: suggestion ? `. Did you mean "${suggestion}"?` : "",
        },
        resource: rule.resource,
        path: ["spec", "host"],
        severity: 1,
        istioCode: "IST0174",
      });
    }
  },
};

/** Whether the rule's host names the service: equal hosts, a wildcard rule host covering it, or a wildcard ServiceEntry covering the rule host. */
function hostNames(rule: DestinationRuleInfo, service: MeshService): boolean {
  return hostMatches(rule.host, service.hostname) || (service.hostname.startsWith("*") && hostMatches(service.hostname, rule.host));
}

/**
 * Whether some client uses the rule for the service: a client of the rule's own namespace that sees
 * the service; or, for a rule in the service's namespace or the root namespace, a client of a
 * namespace the rule is exported to that sees the service (Istio's DestinationRule precedence).
 */
function applies(graph: MeshGraph, rule: DestinationRuleInfo, service: MeshService): boolean {
  if (!hostNames(rule, service)) return false;
  if (isExportedTo(service.exportTo, rule.namespace)) return true;
  if (rule.namespace !== service.namespace && rule.namespace !== graph.mesh.rootNamespace) return false;
  if (rule.exportTo === "*" || service.exportTo === "*") return true;
  const serviceExport = service.exportTo;
  return [...rule.exportTo].some((namespace) => serviceExport.has(namespace));
}

/** The closest service host, short when it is a Service of the rule's namespace and the host was written short. */
function closestHost(graph: MeshGraph, rule: DestinationRuleInfo): string | undefined {
  const written = rule.hostWritten;
  const short = !written.includes(".") && !written.startsWith("*");
  // Only a host this close is suggested: farther candidates (their length alone tells) are skipped.
  const limit = Math.max(2, Math.floor(written.length / 6));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const service of graph.services.services) {
    if (service.resource.origin === "assumed" || service.hostname.startsWith("*")) continue;
    // A short name is compared with Service names (one more for another namespace, then suggested as the FQDN).
    const byName = short && service.origin === "Service";
    const local = byName && service.namespace === rule.namespace;
    const candidate = local ? service.name : service.hostname;
    const extra = byName && !local ? 1 : 0;
    const compared = byName ? service.name : candidate;
    if (Math.abs(written.length - compared.length) + extra > limit) continue;
    const distance = leven(written, compared) + extra;
    if (distance > 0 && distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  if (best === undefined) return undefined;
  return bestDistance <= limit ? best : undefined;
}
