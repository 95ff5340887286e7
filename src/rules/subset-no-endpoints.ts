import leven from "leven";
import { outboundClusterName } from "../graph/envoy.js";
import type { DestinationRuleInfo, MeshGraph, MeshService, RouteDestination, VirtualServiceInfo, Workload } from "../graph/index.js";
import { judgeSubsetDestinations } from "./missing-subset.js";
import { hasKeys } from "../model/resource.js";
import type { NodePath } from "../load/types.js";
import { ruleUrl, type Rule, type RuleContext } from "./types.js";

/**
 * `subset-no-endpoints`: a DestinationRule subset whose labels select none of its service's
 * workloads. Its cluster `outbound|port|subset|host` exists but has no endpoints, so Envoy answers
 * requests routed to it with 503 UH (no healthy upstream). Istio's `destinationrule.PodNotSelectedAnalyzer`
 * (IST0173) reports every such subset; this rule weighs them:
 *
 * - an error when a VirtualService routes (or mirrors) to the subset and the input holds the
 *   service's workloads: the 503 is certain;
 * - a warning when the service's workloads are not in the input (deployed from elsewhere), routed
 *   to or not: mesh-lint cannot see the pods;
 * - for a subset nothing routes to while the service's workloads are in the input: a warning only
 *   when it cannot be a version that is simply not deployed (a label key none of the workloads has,
 *   or no subset of the DestinationRule selecting any workload); otherwise silence.
 *
 * Topology labels (`topology.kubernetes.io/*`, `kubernetes.io/hostname`, ...) are added to
 * endpoints from the node, not written on pods, so they are left out of the comparison, unless
 * the subset asks for an empty value: istiod's `AugmentLabels` sets them only from non-empty
 * values, so only a pod's own label can give the key an empty value.
 */
export const subsetNoEndpoints: Rule = {
  meta: {
    id: "subset-no-endpoints",
    description: "DestinationRule subsets whose labels select none of the service's workloads (503 UH when routed to)",
    severity: "error",
    url: ruleUrl("subset-no-endpoints"),
    istioCodes: ["IST0173"],
    inputs: ["DestinationRule", "VirtualService", "Service", "ServiceEntry", "Deployment", "StatefulSet", "DaemonSet", "Pod", "WorkloadEntry"],
    messages: {
      routedNoEndpoints:
        'Subset "{{subset}}" selects none of the workloads of {{service}}: no pod of {{workloads}} has {{labels}}{{topology}}. {{routes}} traffic to it, so its cluster {{cluster}} has no endpoints and Envoy answers 503 UH{{hint}}',
      routedNotInInput:
        'Subset "{{subset}}" selects no workload of the input: {{service}} has none here (deployed from elsewhere?){{topology}}. {{routes}} traffic to it; unless its pods have {{labels}}, its cluster {{cluster}} has no endpoints and Envoy answers 503 UH',
      notInInput:
        'Subset "{{subset}}" selects no workload of the input: {{service}} has none here (deployed from elsewhere?){{topology}}. Nothing routes to the subset; a route to it would get 503 UH unless the pods have {{labels}}',
      unknownLabelKey:
        'Subset "{{subset}}" selects none of the workloads of {{service}}: none of them ({{workloads}}) has a label "{{key}}"{{hint}}. Nothing routes to the subset yet; a route to it would get 503 UH',
      noSubsetSelects:
        'Subset "{{subset}}" selects none of the workloads of {{service}} ({{workloads}}), and no other subset of this DestinationRule selects any either: the subset labels ({{labels}}) do not match the pods{{topology}}. Nothing routes to the subset yet; a route to it would get 503 UH',
    },
  },
  check(context) {
    const { graph } = context;
    // Which routes reach a subset matters only for a subset that selects nothing (rare): found then.
    let routed: Map<string, Map<unknown, RoutedBy[]>> | undefined;
    for (const rule of graph.destinationRules.rules) {
      if (rule.subsets.length === 0 || rule.host.startsWith("*")) continue;
      const service = graph.services.lookup(rule.host, rule.namespace) ?? graph.services.exact(rule.host)[0];
      // No selector: the endpoints are managed elsewhere (or are a ServiceEntry's addresses); no verdict.
      if (!service || !service.selector) continue;
      const workloads = graph.workloadsOf(service);
      const verdicts = rule.subsets.map((subset) => {
        const { compared, topology } = splitTopology(subset.labels);
        const selected = !hasKeys(compared) || workloads.some((w) => matches(compared, w.labels));
        return { subset, compared, topology, selected };
      });
      const anySelected = verdicts.some((v) => v.selected && hasKeys(v.compared));
      rule.subsets.forEach((subset, index) => {
        const { compared, topology, selected } = verdicts[index];
        if (selected) return;
        routed ??= routedSubsets(graph);
        const routes = routed.get(rule.resource.key)?.get(index) ?? [];
        const port = service.ports[0]?.port;
        const data = {
          subset: subset.name,
          service: describeService(service),
          labels: labelText(compared),
          topology: topologyText(topology),
          cluster: port === undefined ? `outbound|<port>|${subset.name}|${service.hostname}` : outboundClusterName(routes[0]?.destination.port ?? port, subset.name, service.hostname),
          workloads: workloadList(workloads, compared),
          routes: routesText(routes),
        };
        const path = subset.labels && Object.keys(subset.labels).length > 0 ? [...subset.provenance.path, "labels"] : subset.provenance.path;
        if (routes.length > 0 && workloads.length > 0) {
          reportRouted(context, rule, routes, path, { ...data, hint: valueHint(compared, workloads) });
        } else if (routes.length > 0) {
          context.report({ messageId: "routedNotInInput", data, resource: rule.resource, path, severity: 1, istioCode: "IST0173" });
        } else if (workloads.length === 0) {
          context.report({ messageId: "notInInput", data, resource: rule.resource, path, severity: 1, istioCode: "IST0173" });
        } else {
          const missingKey = Object.keys(compared).find((key) => !workloads.some((w) => key in w.labels));
          if (missingKey !== undefined) {
            context.report({
              messageId: "unknownLabelKey",
              data: { ...data, key: missingKey, hint: isTopologyLabel(missingKey) ? EMPTY_TOPOLOGY_HINT : keyHint(missingKey, workloads) },
              resource: rule.resource,
              path: [...subset.provenance.path, "labels", missingKey],
              severity: 1,
              istioCode: "IST0173",
            });
          } else if (!anySelected) {
            context.report({ messageId: "noSubsetSelects", data, resource: rule.resource, path, severity: 1, istioCode: "IST0173" });
          }
          // Else: a version that is not deployed and that nothing routes to; its empty cluster is harmless.
        }
      });
    }
  },
};

interface RoutedBy {
  vs: VirtualServiceInfo;
  destination: RouteDestination;
  mirror: boolean;
}

/** Subsets some VirtualService routes or mirrors to, by DestinationRule key and subset index. */
function routedSubsets(graph: MeshGraph): Map<string, Map<unknown, RoutedBy[]>> {
  const routed = new Map<string, Map<unknown, RoutedBy[]>>();
  for (const judged of judgeSubsetDestinations(graph)) {
    for (const subset of judged.fineSubsets) {
      let byIndex = routed.get(subset.rule.resource.key);
      if (!byIndex) routed.set(subset.rule.resource.key, (byIndex = new Map()));
      const index = subset.provenance.path[2];
      const list = byIndex.get(index);
      // Once per destination (merged DestinationRules can give it one subset twice).
      if (list && list[list.length - 1].destination === judged.destination) continue;
      const entry = { vs: judged.vs, destination: judged.destination, mirror: judged.mirror };
      if (list) list.push(entry);
      else byIndex.set(index, [entry]);
    }
  }
  return routed;
}

function reportRouted(
  context: RuleContext,
  rule: DestinationRuleInfo,
  routes: readonly RoutedBy[],
  path: NodePath,
  data: Record<string, string>,
): void {
  if (rule.resource.origin === "lint") {
    context.report({ messageId: "routedNoEndpoints", data, resource: rule.resource, path, istioCode: "IST0173" });
    return;
  }
  // The DestinationRule is context: point at the routes instead.
  for (const route of routes) {
    context.report({
      messageId: "routedNoEndpoints",
      data,
      resource: route.vs.resource,
      path: [...route.destination.provenance.path, "subset"],
      istioCode: "IST0173",
    });
  }
}

/** Labels set on endpoints from the node (locality, hostname) or by istiod, never written on the pod. */
export function isTopologyLabel(key: string): boolean {
  return (
    key.startsWith("topology.kubernetes.io/") ||
    key.startsWith("failure-domain.beta.kubernetes.io/") ||
    key.startsWith("topology.istio.io/") ||
    key === "kubernetes.io/hostname"
  );
}

const NO_TOPOLOGY: readonly string[] = Object.freeze([]);

/**
 * The subset labels to compare with the pods' labels, and the topology labels left out. istiod
 * (`AugmentLabels`) adds a topology label to an endpoint only with a non-empty value (the node's
 * region, zone, subzone, its name, the cluster, the network), so a topology label asked for with
 * an empty value can come only from the pod's own labels: it is compared.
 */
function splitTopology(labels: Readonly<Record<string, string>>): { compared: Readonly<Record<string, string>>; topology: readonly string[] } {
  // Usually no topology label and only string values: the labels as they are.
  let plain = true;
  for (const key in labels) if (typeof labels[key] !== "string" || isTopologyLabel(key)) plain = false;
  if (plain) return { compared: labels, topology: NO_TOPOLOGY };
  const compared: Record<string, string> = {};
  const topology: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    if (isTopologyLabel(key) && value !== "") topology.push(key);
    else compared[key] = String(value);
  }
  return { compared, topology };
}

const EMPTY_TOPOLOGY_HINT =
  ' (istiod adds it to endpoints from the node only with a non-empty value, so "" matches only a pod that carries the label itself)';

function matches(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
  for (const key in selector) if (labels[key] !== selector[key]) return false;
  return true;
}

function topologyText(keys: readonly string[]): string {
  if (keys.length === 0) return "";
  return ` (${keys.join(", ")} ${keys.length === 1 ? "comes" : "come"} from the node, not the pod, and ${keys.length === 1 ? "was" : "were"} not compared)`;
}

function labelText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}: ${value === "" ? '""' : value}`)
    .join(", ");
}

function describeService(service: MeshService): string {
  return service.origin === "Service" ? `Service ${service.namespace}/${service.name}` : `ServiceEntry ${service.namespace}/${service.name}`;
}

/** `Deployment ratings-v1 (version: v1)`: the workloads with their values for the subset's keys. */
function workloadList(workloads: readonly Workload[], compared: Readonly<Record<string, string>>): string {
  const keys = Object.keys(compared);
  const shown = workloads.slice(0, 5).map((w) => {
    const values = keys.filter((key) => key in w.labels).map((key) => `${key}: ${w.labels[key]}`);
    return `${w.kind} ${w.name}${values.length > 0 ? ` (${values.join(", ")})` : ""}`;
  });
  if (workloads.length > 5) shown.push(`${workloads.length - 5} more`);
  return shown.join(", ");
}

function routesText(routes: readonly RoutedBy[]): string {
  const names = [...new Set(routes.map((r) => `${r.vs.namespace}/${r.vs.name}`))];
  const mirrorOnly = routes.every((r) => r.mirror);
  const verb = mirrorOnly ? (names.length === 1 ? "mirrors" : "mirror") : names.length === 1 ? "sends" : "send";
  return `${names.length === 1 ? "VirtualService" : "VirtualServices"} ${names.join(", ")} ${verb}`;
}

/** A label value on the workloads close to the subset's (a typo such as `V1` for `v1`). */
function valueHint(compared: Readonly<Record<string, string>>, workloads: readonly Workload[]): string {
  for (const [key, value] of Object.entries(compared)) {
    const values = [...new Set(workloads.flatMap((w) => (key in w.labels ? [w.labels[key]] : [])))];
    const close = values.filter(
      (v) => v !== value && v.replace(/\d+/g, "#") !== value.replace(/\d+/g, "#") && leven(v.toLowerCase(), value.toLowerCase()) <= Math.max(1, Math.floor(value.length / 3)),
    );
    if (close.length === 1) return `. Did you mean ${key}: ${close[0]}?`;
    const caseOnly = values.filter((v) => v !== value && v.toLowerCase() === value.toLowerCase());
    if (caseOnly.length === 1) return `. Did you mean ${key}: ${caseOnly[0]}?`;
  }
  return "";
}

function keyHint(key: string, workloads: readonly Workload[]): string {
  const keys = [...new Set(workloads.flatMap((w) => Object.keys(w.labels)))];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of keys) {
    const distance = leven(key, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? ` (did you mean "${best}"?)` : "";
}
