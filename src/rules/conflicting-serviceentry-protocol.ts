import type { Resource } from "../model/index.js";
import { resourcesOfKind } from "../model/index.js";
import { asArray, asRecord, asString } from "../model/resource.js";
import { isExportedTo, resolveExportTo } from "../graph/services.js";
import { configOrder } from "../graph/virtual-services.js";
import { ruleUrl, type Rule } from "./types.js";

interface PortDefinition {
  resource: Resource;
  host: string;
  port: number;
  /** The protocol as written, upper-cased; empty when unset. */
  protocol: string;
  portIndex: number;
  exportTo: "*" | ReadonlySet<string>;
}

/** Whether two exportTo scopes share a namespace (a proxy there would see both entries). */
function scopesMeet(a: "*" | ReadonlySet<string>, b: "*" | ReadonlySet<string>): boolean {
  if (a === "*") return b === "*" || b.size > 0;
  if (b === "*") return a.size > 0;
  for (const namespace of a) if (isExportedTo(b, namespace)) return true;
  return false;
}

/**
 * `conflicting-serviceentry-protocol`: ServiceEntries, visible from a common namespace, that declare
 * the same host and port with different protocols. istiod keeps one service per host and namespace
 * (the oldest), so the other entry's protocol silently does not apply. Istio's
 * `serviceentry.ConflictingServiceEntryProtocolAnalyzer` (IST0177).
 */
export const conflictingServiceentryProtocol: Rule = {
  meta: {
    id: "conflicting-serviceentry-protocol",
    description: "ServiceEntries that define the same host and port with different protocols",
    severity: "warn",
    url: ruleUrl("conflicting-serviceentry-protocol"),
    istioCodes: ["IST0177"],
    inputs: ["ServiceEntry"],
    messages: {
      conflict:
        "Host {{host}} port {{port}} is {{protocol}} here but {{otherProtocols}} in ServiceEntry {{others}}: istiod keeps one service per host (the oldest, ServiceEntry {{kept}}), so port {{port}} is handled as {{keptProtocol}} and the other definition is ignored. Use one protocol for the port.",
      conflictAcrossNamespaces:
        "Host {{host}} port {{port}} is {{protocol}} here but {{otherProtocols}} in ServiceEntry {{others}}: a proxy uses only one entry per host (the one in its own namespace, else the oldest), so clients in different namespaces treat port {{port}} differently. Use one protocol for the port.",
    },
  },
  check(context) {
    const entries = resourcesOfKind(context.model, "ServiceEntry")
      .filter((resource) => resource.group.endsWith("istio.io"))
      .sort(configOrder);
    const byHostPort = new Map<string, PortDefinition[]>();
    for (const resource of entries) {
      const exportTo = resolveExportTo(resource.spec.exportTo, resource.namespace);
      const ports = asArray(resource.spec.ports);
      for (const host of asArray(resource.spec.hosts)) {
        if (typeof host !== "string" || !host) continue;
        ports.forEach((entry, portIndex) => {
          const port = asRecord(entry);
          if (typeof port.number !== "number") return;
          const key = `${host.toLowerCase()}:${port.number}`;
          const definition: PortDefinition = {
            resource,
            host,
            port: port.number,
            protocol: (asString(port.protocol) ?? "").toUpperCase(),
            portIndex,
            exportTo,
          };
          const list = byHostPort.get(key);
          if (list) list.push(definition);
          else byHostPort.set(key, [definition]);
        });
      }
    }
    const describe = (protocol: string) => protocol || "unset (sniffed)";
    for (const definitions of byHostPort.values()) {
      if (new Set(definitions.map((definition) => definition.protocol)).size < 2) continue;
      const reported = new Set<Resource>();
      for (const definition of definitions) {
        if (reported.has(definition.resource)) continue;
        const rivals = definitions.filter(
          (other) =>
            other.resource !== definition.resource &&
            other.protocol !== definition.protocol &&
            scopesMeet(definition.exportTo, other.exportTo),
        );
        if (rivals.length === 0) continue;
        reported.add(definition.resource);
        // Definitions are in Istio's order (creation time, then name): the first one seen together with this one wins.
        const kept = definitions.find((other) => other === definition || scopesMeet(definition.exportTo, other.exportTo)) ?? definition;
        context.report({
          messageId: rivals.every((rival) => rival.resource.namespace === definition.resource.namespace) ? "conflict" : "conflictAcrossNamespaces",
          data: {
            host: definition.host,
            port: definition.port,
            protocol: describe(definition.protocol),
            otherProtocols: [...new Set(rivals.map((rival) => describe(rival.protocol)))].sort().join(", "),
            others: [...new Set(rivals.map((rival) => `${rival.resource.namespace}/${rival.resource.name}`))].sort().join(", "),
            kept: `${kept.resource.namespace}/${kept.resource.name}`,
            keptProtocol: describe(kept.protocol),
          },
          resource: definition.resource,
          path: ["spec", "ports", definition.portIndex, definition.protocol ? "protocol" : "number"],
          istioCode: "IST0177",
        });
      }
    }
  },
};
