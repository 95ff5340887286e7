import { resourcesOfKind } from "../model/index.js";
import { asArray, asRecord, asString } from "../model/resource.js";
import { ruleUrl, type Rule } from "./types.js";

/**
 * `serviceentry-addresses`: a ServiceEntry without `addresses` whose port is TCP or has no protocol.
 * Without a virtual IP, sidecars cannot match its TCP traffic by destination address, so they build
 * a wildcard listener `0.0.0.0_<port>` shared with every other address-less service on that port.
 * Istio's `serviceentry.ProtocolAddressesAnalyzer` (IST0134); quiet when the mesh captures DNS and
 * auto-allocates addresses, or when the ServiceEntry's status already carries allocated addresses.
 */
export const serviceentryAddresses: Rule = {
  meta: {
    id: "serviceentry-addresses",
    description: "ServiceEntries without addresses whose ports are TCP or have no protocol",
    severity: "warn",
    url: ruleUrl("serviceentry-addresses"),
    istioCodes: ["IST0134"],
    inputs: ["ServiceEntry", "MeshConfig"],
    messages: {
      tcp:
        "Port {{port}} is TCP but the ServiceEntry has no addresses: sidecars match its traffic only by port, on a wildcard listener 0.0.0.0_{{port}} that every address-less TCP service on port {{port}} competes for. Add addresses, use a protocol routed by Host or SNI (HTTP, HTTPS, TLS), or enable DNS capture with address auto-allocation.",
      unset:
        "Port {{port}} has no protocol and the ServiceEntry has no addresses: sidecars sniff it on a wildcard listener 0.0.0.0_{{port}}, and non-HTTP traffic cannot be told apart from other address-less services on port {{port}}. Set the protocol (HTTP, HTTPS, TLS, ...), add addresses, or enable DNS capture with address auto-allocation.",
    },
  },
  check(context) {
    if (context.model.mesh.dnsAutoAllocate) return;
    for (const resource of resourcesOfKind(context.model, "ServiceEntry")) {
      if (!resource.group.endsWith("istio.io")) continue;
      if (asArray(resource.spec.addresses).length > 0) continue;
      // Addresses istiod allocated (PILOT_ENABLE_IP_AUTOALLOCATE) appear in the status.
      if (asArray(asRecord(resource.object.status).addresses).length > 0) continue;
      asArray(resource.spec.ports).forEach((entry, index) => {
        const port = asRecord(entry);
        const protocol = asString(port.protocol) ?? "";
        if (protocol !== "" && protocol.toUpperCase() !== "TCP") return;
        context.report({
          messageId: protocol ? "tcp" : "unset",
          data: { port: typeof port.number === "number" ? port.number : String(port.number ?? "") },
          resource,
          path: ["spec", "ports", index, protocol ? "protocol" : "number"],
          istioCode: "IST0134",
        });
      });
    }
  },
};
