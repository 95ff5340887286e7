import { resourcesOfKind } from "../model/index.js";
import type { NodePath } from "../load/types.js";
import { asArray, asRecord, asString } from "../model/resource.js";
import { ruleUrl, type Rule } from "./types.js";

/**
 * `tls-no-ca`: a DestinationRule that originates TLS (`SIMPLE` or `MUTUAL`) without saying which CA
 * signs the server's certificate. Istio's `destinationrule.CaCertificateAnalyzer` (IST0128 for the
 * destination-wide policy, IST0129 per port). Subsets are checked too (mesh-lint only; no Istio code).
 */
export const tlsNoCa: Rule = {
  meta: {
    id: "tls-no-ca",
    description: "DestinationRules originating TLS (SIMPLE/MUTUAL) without caCertificates to verify the server",
    severity: "warn",
    url: ruleUrl("tls-no-ca"),
    istioCodes: ["IST0128", "IST0129"],
    inputs: ["DestinationRule"],
    messages: {
      destination:
        "tls mode {{mode}} for {{host}} without caCertificates: the proxy checks the server certificate only against its system trust store (public CAs; before Istio 1.20 not at all). Set caCertificates to the CA that issued the server's certificate.",
      port:
        "tls mode {{mode}} for {{host}} port {{port}} without caCertificates: the proxy checks the server certificate only against its system trust store (public CAs; before Istio 1.20 not at all). Set caCertificates to the CA that issued the server's certificate.",
      subset:
        "tls mode {{mode}} for subset {{subset}} of {{host}}{{port}} without caCertificates: the proxy checks the server certificate only against its system trust store (public CAs; before Istio 1.20 not at all). Set caCertificates to the CA that issued the server's certificate.",
      skipVerify:
        "tls mode {{mode}} for {{host}}{{port}} turns server certificate verification off (insecureSkipVerify: true): any server, or anyone in the path, can impersonate {{host}}. Set caCertificates instead.",
      credentialNameIgnored:
        "tls mode {{mode}} for {{host}}{{port}} takes its certificates from credentialName {{credentialName}}, which sidecars only use when the DestinationRule has a workloadSelector: sidecars have no CA for the server certificate. Set caCertificates, or add a workloadSelector for the gateway that uses the credential.",
    },
  },
  check(context) {
    for (const resource of resourcesOfKind(context.model, "DestinationRule")) {
      if (!resource.group.endsWith("istio.io")) continue;
      const spec = resource.spec;
      const host = asString(spec.host) ?? "";
      const hasSelector = spec.workloadSelector !== undefined && spec.workloadSelector !== null;
      const check = (policy: unknown, base: NodePath, where: { port?: string; subset?: string }) => {
        const tls = asRecord(asRecord(policy).tls);
        const mode = asString(tls.mode);
        if (mode !== "SIMPLE" && mode !== "MUTUAL") return;
        if (asString(tls.caCertificates)) return;
        const credentialName = asString(tls.credentialName);
        if (credentialName && hasSelector) return;
        const istioCode = where.subset !== undefined ? undefined : where.port !== undefined ? "IST0129" : "IST0128";
        const portText = where.port !== undefined ? ` port ${where.port}` : "";
        let messageId = where.subset !== undefined ? "subset" : where.port !== undefined ? "port" : "destination";
        if (tls.insecureSkipVerify === true) messageId = "skipVerify";
        else if (credentialName) messageId = "credentialNameIgnored";
        context.report({
          messageId,
          data: {
            mode,
            host,
            port: messageId === "port" ? (where.port ?? "") : portText,
            subset: where.subset ?? "",
            credentialName: credentialName ?? "",
          },
          resource,
          path: [...base, "tls", "mode"],
          istioCode,
        });
      };
      const checkPolicy = (policy: unknown, base: NodePath, subset?: string) => {
        check(policy, base, { subset });
        asArray(asRecord(policy).portLevelSettings).forEach((setting, index) => {
          const port = asRecord(asRecord(setting).port).number;
          check(setting, [...base, "portLevelSettings", index], { subset, port: port === undefined ? "" : String(port) });
        });
      };
      checkPolicy(spec.trafficPolicy, ["spec", "trafficPolicy"]);
      asArray(spec.subsets).forEach((entry, index) => {
        const subset = asRecord(entry);
        checkPolicy(subset.trafficPolicy, ["spec", "subsets", index, "trafficPolicy"], asString(subset.name) ?? String(index));
      });
    }
  },
};
