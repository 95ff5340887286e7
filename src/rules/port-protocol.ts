import leven from "leven";
import { servicePortProtocol } from "../graph/services.js";
import { resourcesOfKind } from "../model/index.js";
import { asArray, asRecord, asString } from "../model/resource.js";
import { ruleUrl, type Rule } from "./types.js";

/** Namespaces `istioctl analyze` leaves out (Kubernetes' own; Istio's `inject.IgnoredNamespaces`). */
export const SYSTEM_NAMESPACES: ReadonlySet<string> = new Set(["kube-system", "kube-public", "kube-node-lease", "local-path-storage"]);

/** Values of `gateway.istio.io/managed` on Services istiod creates itself (gateways, waypoints). */
const MANAGED_GATEWAY_CONTROLLERS = new Set(["istio.io-gateway-controller", "istio.io-mesh-controller", "istio.io-eastwest-controller"]);

/** The protocol prefixes a port name may start with (Istio's `protocol.Parse`). */
const KNOWN_PREFIXES = ["http", "http2", "https", "grpc", "grpc-web", "tcp", "tls", "udp", "mongo", "mysql", "redis"];

function suggestPrefix(name: string): string | undefined {
  const prefix = name.split("-")[0].toLowerCase();
  let best: { prefix: string; distance: number } | undefined;
  for (const known of KNOWN_PREFIXES) {
    const distance = leven(prefix, known);
    if (prefix.length < 3 || distance === 0 || distance > Math.max(1, Math.floor(known.length / 2))) continue;
    if (!best || distance < best.distance) best = { prefix: known, distance };
  }
  return best ? best.prefix + name.slice(prefix.length) : undefined;
}

/**
 * `port-protocol`: Service ports whose protocol Istio cannot tell (IST0118), and ExternalName
 * Service ports named so the proxy cannot forward them (IST0150). Istio's `service.PortNameAnalyzer`.
 */
export const portProtocol: Rule = {
  meta: {
    id: "port-protocol",
    description: "Service ports whose name does not declare a protocol Istio knows (`<protocol>[-<suffix>]` or appProtocol)",
    severity: "warn",
    url: ruleUrl("port-protocol"),
    istioCodes: ["IST0118", "IST0150"],
    inputs: ["Service"],
    messages: {
      unnamed:
        "Port {{port}} (targetPort {{targetPort}}) has no name and no appProtocol: Istio sniffs its protocol, which adds latency to the first bytes and breaks server-first protocols. Name it `<protocol>[-<suffix>]` (http, http2, https, grpc, tcp, tls, ...) or set appProtocol.",
      unknownName:
        "Port name {{name}} (port {{port}}, targetPort {{targetPort}}) does not start with a protocol Istio knows: Istio sniffs its protocol, which adds latency to the first bytes and breaks server-first protocols. Name it `<protocol>[-<suffix>]` (http, http2, https, grpc, tcp, tls, ...) or set appProtocol.",
      unknownNameSuggest:
        "Port name {{name}} (port {{port}}, targetPort {{targetPort}}) does not start with a protocol Istio knows: Istio sniffs its protocol, which adds latency to the first bytes and breaks server-first protocols. Did you mean {{suggestion}}?",
      unknownAppProtocol:
        "appProtocol {{appProtocol}} of port {{port}} is not a protocol Istio knows (it ignores the port name once appProtocol is set): Istio sniffs the protocol. Use http, http2, https, grpc, tcp, tls, ... or kubernetes.io/h2c.",
      externalName:
        "Port {{port}} of ExternalName Service {{name}} is {{named}}: an ExternalName Service has no cluster IP, so sidecars cannot tell its TCP traffic apart from other traffic on port {{port}} and may not forward it to {{externalName}}. Name the port after the protocol the external host speaks (https, tls, http, ...).",
    },
  },
  check(context) {
    for (const resource of resourcesOfKind(context.model, "Service")) {
      if (resource.group !== "") continue;
      if (SYSTEM_NAMESPACES.has(resource.namespace)) continue;
      // The Istio control plane's own Services, and Services istiod creates for gateways and waypoints.
      if ("istio" in resource.labels || resource.labels.release === "istio") continue;
      if (MANAGED_GATEWAY_CONTROLLERS.has(resource.labels["gateway.istio.io/managed"] ?? "")) continue;
      const externalName = asString(resource.spec.type) === "ExternalName";
      asArray(resource.spec.ports).forEach((entry, index) => {
        const port = asRecord(entry);
        const name = asString(port.name);
        const appProtocol = asString(port.appProtocol);
        const number = typeof port.port === "number" ? port.port : Number(port.port);
        const { protocol } = servicePortProtocol({ name, appProtocol, protocol: asString(port.protocol), port: number });
        const targetPort = port.targetPort === undefined ? String(port.port) : String(port.targetPort);
        const path = ["spec", "ports", index];
        if (externalName) {
          if (protocol !== "UNSUPPORTED" && name !== "tcp") return;
          context.report({
            messageId: "externalName",
            data: {
              port: String(port.port),
              name: resource.name,
              named: name ? `named ${name}` : "unnamed",
              externalName: asString(resource.spec.externalName) ?? "the external host",
            },
            resource,
            path: name ? [...path, "name"] : path,
            istioCode: "IST0150",
          });
          return;
        }
        if (protocol !== "UNSUPPORTED") return;
        const data = { name: name ?? "", port: String(port.port), targetPort, appProtocol: appProtocol ?? "" };
        if (appProtocol !== undefined) {
          context.report({ messageId: "unknownAppProtocol", data, resource, path: [...path, "appProtocol"], istioCode: "IST0118" });
          return;
        }
        if (!name) {
          context.report({ messageId: "unnamed", data, resource, path, istioCode: "IST0118" });
          return;
        }
        const suggestion = suggestPrefix(name);
        context.report({
          messageId: suggestion ? "unknownNameSuggest" : "unknownName",
          data: { ...data, ...(suggestion ? { suggestion } : {}) },
          resource,
          path: [...path, "name"],
          istioCode: "IST0118",
        });
      });
    }
  },
};
