import leven from "leven";
import type { GatewayInfo, Workload } from "../graph/index.js";
import { selects } from "../graph/workloads.js";
import { asArray, asRecord, asString } from "../model/resource.js";
import { ruleUrl, type Rule } from "./types.js";

/** `k1=v1,k2=v2`, sorted by key, as Kubernetes prints a label selector. */
export function selectorString(selector: Readonly<Record<string, string>>): string {
  return Object.keys(selector)
    .sort()
    .map((key) => `${key}=${selector[key]}`)
    .join(",");
}

function workloadName(workload: Workload): string {
  const origin = workload.resource.origin === "assumed" ? ", assumed installation" : "";
  return `${workload.kind} ${workload.namespace}/${workload.name}${origin}`;
}

/**
 * The workload whose labels come closest to a selector that matches nothing: it carries every key
 * of the selector and differs in the fewest characters of the values. Gateway proxies first.
 */
function nearestWorkload(selector: Readonly<Record<string, string>>, workloads: readonly Workload[]): Workload | undefined {
  let best: { workload: Workload; distance: number } | undefined;
  const keys = Object.keys(selector);
  for (const workload of workloads) {
    if (!keys.every((key) => key in workload.labels)) continue;
    let distance = 0;
    for (const key of keys) distance += leven(selector[key], workload.labels[key]);
    if (workload.gateway === undefined) distance += 0.5;
    if (!best || distance < best.distance) best = { workload, distance };
  }
  if (!best) return undefined;
  const written = keys.reduce((sum, key) => sum + selector[key].length, 0);
  return best.distance <= Math.max(3, written * 0.6) ? best.workload : undefined;
}

/**
 * The ports a gateway proxy can be reached on through the Services that select it: for each TCP
 * Service port, the port itself and the container port it forwards to (a numeric targetPort, or a
 * named one resolved against the pod's container ports). Istio accepts a Gateway server port that is
 * either (it translates a Service port to its target port).
 */
function gatewayServicePorts(workload: Workload, services: { resource: { spec: Record<string, unknown> } }[]): Set<number> {
  const ports = new Set<number>();
  for (const service of services) {
    for (const entry of asArray(service.resource.spec.ports)) {
      const port = asRecord(entry);
      const protocol = (asString(port.protocol) ?? "TCP").toUpperCase();
      if (protocol !== "TCP" || typeof port.port !== "number") continue;
      ports.add(port.port);
      const target = port.targetPort;
      if (typeof target === "number") ports.add(target);
      else if (typeof target === "string" && /^\d+$/.test(target)) ports.add(Number(target));
      else if (typeof target === "string") {
        const named = workload.containerPorts.find((container) => container.name === target);
        if (named) ports.add(named.port);
      }
    }
  }
  return ports;
}

/**
 * `gateway-workload`: a Gateway is only configuration until a gateway proxy picks it up. Istio's
 * `gateway.IngressGatewayPortAnalyzer`: a selector that matches no workload (IST0101), and a server
 * port the Services in front of the selected proxies do not expose (IST0162).
 */
export const gatewayWorkload: Rule = {
  meta: {
    id: "gateway-workload",
    description: "Gateways whose selector matches no gateway workload, or whose server ports the gateway's Service does not expose",
    severity: "error",
    url: ruleUrl("gateway-workload"),
    istioCodes: ["IST0101", "IST0162"],
    inputs: ["Gateway", "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "WorkloadEntry", "Service"],
    messages: {
      noWorkload:
        "Gateway selector {{selector}} matches no workload in any namespace: no gateway proxy serves this Gateway, so its servers never become listeners.",
      noWorkloadSuggest:
        "Gateway selector {{selector}} matches no workload in any namespace: no gateway proxy serves this Gateway, so its servers never become listeners. Did you mean {{suggestion}} ({{workload}})?",
      portNotOnService:
        "Port {{port}} is not a port of the Service(s) in front of the gateway workloads selected by {{selector}} ({{services}}; ports {{ports}}): the proxy listens on {{port}} but no traffic reaches it through the Service.",
      noService:
        "No Service selects the gateway workloads picked by {{selector}} ({{workloads}}), so server port {{port}} is not reachable through a Service.",
    },
  },
  check(context) {
    const { graph } = context;
    const gatewayProxies = graph.workloads.filter((workload) => workload.gateway !== undefined);
    for (const gateway of graph.gateways) {
      const selector = gateway.selector;
      // A Gateway without a selector applies to every gateway proxy.
      const empty = Object.keys(selector).length === 0;
      const selected = empty ? gatewayProxies : graph.gatewayWorkloads(gateway);
      if (selected.length === 0) {
        if (empty) continue;
        reportNoWorkload(context, gateway, gatewayProxies.length ? gatewayProxies : graph.workloads, graph.workloads);
        continue;
      }
      const services = new Map<string, { name: string; resource: { spec: Record<string, unknown> } }>();
      const reachable = new Set<number>();
      for (const workload of selected) {
        const fronting = graph.servicesOf(workload).filter((service) => service.origin === "Service");
        for (const service of fronting) services.set(service.resource.key, { name: `${service.namespace}/${service.name}`, resource: service.resource });
        for (const port of gatewayServicePorts(workload, fronting)) reachable.add(port);
      }
      const selectorText = empty ? "(none: every gateway proxy)" : selectorString(selector);
      for (const server of gateway.servers) {
        if (reachable.has(server.port.number)) continue;
        const path = ["spec", "servers", server.index, "port", "number"];
        if (services.size === 0) {
          context.report({
            messageId: "noService",
            data: { selector: selectorText, port: server.port.number, workloads: listOf(selected.map(workloadName)) },
            resource: gateway.resource,
            path,
            severity: 1,
            istioCode: "IST0162",
          });
          continue;
        }
        context.report({
          messageId: "portNotOnService",
          data: {
            port: server.port.number,
            selector: selectorText,
            services: listOf([...services.values()].map((service) => `Service ${service.name}`)),
            ports: [...reachable].sort((a, b) => a - b).join(", ") || "none over TCP",
          },
          resource: gateway.resource,
          path,
          severity: 1,
          istioCode: "IST0162",
        });
      }
    }
  },
};

function listOf(items: string[], max = 3): string {
  return items.length > max ? `${items.slice(0, max).join(", ")}, and ${items.length - max} more` : items.join(", ");
}

function reportNoWorkload(
  context: Parameters<Rule["check"]>[0],
  gateway: GatewayInfo,
  candidates: readonly Workload[],
  all: readonly Workload[],
): void {
  const selector = gateway.selector;
  // Point at the first selector label no workload carries with that value.
  const keys = Object.keys(selector);
  const culprit = keys.find((key) => !all.some((workload) => selects({ [key]: selector[key] }, workload.labels))) ?? keys[0];
  const nearest = nearestWorkload(selector, candidates);
  const data: Record<string, string> = { selector: selectorString(selector) };
  if (nearest) {
    data.suggestion = selectorString(Object.fromEntries(keys.map((key) => [key, nearest.labels[key]])));
    data.workload = workloadName(nearest);
  }
  context.report({
    messageId: nearest ? "noWorkloadSuggest" : "noWorkload",
    data,
    resource: gateway.resource,
    path: ["spec", "selector", culprit],
    istioCode: "IST0101",
  });
}
