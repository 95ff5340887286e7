import type { MeshGraph } from "../graph/index.js";
import { ruleUrl, type Rule } from "./types.js";

/**
 * `outbound-traffic-policy`: `ALLOW_ANY` where traffic should leave through an egress gateway.
 *
 * With `ALLOW_ANY` (Istio's default), a sidecar sends a request for a host that is not in its
 * registry to `PassthroughCluster`: straight to the original destination, around any egress
 * gateway. That only matters when the mesh routes egress through a gateway (a workload labelled
 * `istio: egressgateway`, or `mesh.requireEgressGateway`), so the rule is silent otherwise.
 *
 * Reported on a Sidecar that sets `ALLOW_ANY` itself, and, for the mesh-wide setting (MeshConfig,
 * which is not a resource of the input), on the egress Gateways of the input.
 */
export const outboundTrafficPolicy: Rule = {
  meta: {
    id: "outbound-traffic-policy",
    description: "outboundTrafficPolicy ALLOW_ANY letting sidecars reach unknown hosts directly in a mesh that routes egress through a gateway",
    severity: "warn",
    url: ruleUrl("outbound-traffic-policy"),
    istioCodes: [],
    inputs: ["Sidecar", "Gateway", "Deployment", "Pod"],
    messages: {
      sidecar:
        "outboundTrafficPolicy ALLOW_ANY: the sidecars this Sidecar configures ({{clients}}) send requests for hosts outside the registry straight out through PassthroughCluster, around the egress gateway{{gateway}}. Set mode REGISTRY_ONLY so that only ServiceEntry hosts (routed through the egress gateway) are reachable.",
      mesh:
        "The mesh's outboundTrafficPolicy is ALLOW_ANY: {{clients}} send requests for hosts outside the registry straight out through PassthroughCluster, around this egress gateway. Set outboundTrafficPolicy.mode: REGISTRY_ONLY in the MeshConfig (or in a Sidecar per namespace).",
    },
  },
  check(context) {
    const { graph } = context;
    const egressWorkloads = graph.workloads.filter((workload) => workload.gateway === "egress");
    if (egressWorkloads.length === 0 && !graph.mesh.requireEgressGateway) return;
    const gatewayName = egressWorkloads.length > 0 ? ` ${list([...new Set(egressWorkloads.map((w) => `${w.namespace}/${w.name}`))])}` : "";

    // Sidecar resources that set ALLOW_ANY themselves.
    const scopes = graph.sidecarScopes();
    for (const sidecar of graph.sidecars) {
      if (sidecar.outboundTrafficPolicy !== "ALLOW_ANY") continue;
      const namespaces = [...new Set(scopes.filter((scope) => scope.sidecar === sidecar).map((scope) => scope.namespace))].sort();
      if (namespaces.length === 0) namespaces.push(sidecar.namespace);
      context.report({
        messageId: "sidecar",
        data: { clients: `in ${namespaces.length === 1 ? "namespace" : "namespaces"} ${list(namespaces)}`, gateway: gatewayName },
        resource: sidecar.resource,
        path: ["spec", "outboundTrafficPolicy", "mode"],
      });
    }

    // The mesh-wide setting, for the scopes no Sidecar resource overrides.
    if (graph.mesh.outboundTrafficPolicy !== "ALLOW_ANY") return;
    const open = scopes.filter((scope) => scope.sidecar?.outboundTrafficPolicy === undefined);
    if (scopes.length > 0 && open.length === 0) return;
    const namespaces = [...new Set(open.map((scope) => scope.namespace))].sort();
    const clients = namespaces.length > 0 ? `the sidecars in ${namespaces.length === 1 ? "namespace" : "namespaces"} ${list(namespaces)}` : "sidecars";
    for (const gateway of egressGateways(graph)) {
      context.report({
        messageId: "mesh",
        data: { clients },
        resource: gateway.resource,
        path: ["spec", "selector"],
      });
    }
  },
};

/** Gateways of the input whose selector picks an egress gateway workload. */
function egressGateways(graph: MeshGraph) {
  return graph.gateways.filter(
    (gateway) => gateway.resource.origin === "lint" && graph.gatewayWorkloads(gateway).some((workload) => workload.gateway === "egress"),
  );
}

function list(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
