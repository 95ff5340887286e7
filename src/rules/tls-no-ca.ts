import { resourcesOfKind, type Resource } from "../model/index.js";
import type { NodePath } from "../load/types.js";
import { asArray, asString, readRecord } from "../model/resource.js";
import { ruleUrl, type Rule, type RuleContext } from "./types.js";

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
    const resources = resourcesOfKind(context.model, "DestinationRule");
    for (let i = 0; i < resources.length; i++) {
      const resource = resources[i];
      if (!resource.group.endsWith("istio.io")) continue;
      const spec = resource.spec;
      const rule: Checked = {
        context,
        resource,
        host: asString(spec.host) ?? "",
        hasSelector: spec.workloadSelector !== undefined && spec.workloadSelector !== null,
      };
      checkPolicy(rule, spec.trafficPolicy, undefined, undefined);
      const subsets = asArray(spec.subsets);
      for (let index = 0; index < subsets.length; index++) {
        const subset = readRecord(subsets[index]);
        checkPolicy(rule, subset.trafficPolicy, index, asString(subset.name) ?? String(index));
      }
    }
  },
};

/** The DestinationRule being checked. */
interface Checked {
  context: RuleContext;
  resource: Resource;
  host: string;
  hasSelector: boolean;
}

/** A traffic policy (top-level, or of the subset at `subsetIndex`) and its port-level settings. */
function checkPolicy(rule: Checked, policy: unknown, subsetIndex: number | undefined, subset: string | undefined): void {
  checkTls(rule, policy, subsetIndex, subset, undefined, undefined);
  const settings = asArray(readRecord(policy).portLevelSettings);
  for (let index = 0; index < settings.length; index++) {
    const port = readRecord(readRecord(settings[index]).port).number;
    checkTls(rule, settings[index], subsetIndex, subset, index, port === undefined ? "" : String(port));
  }
}

function checkTls(rule: Checked, policy: unknown, subsetIndex: number | undefined, subset: string | undefined, portIndex: number | undefined, port: string | undefined): void {
  const tls = readRecord(readRecord(policy).tls);
  const mode = asString(tls.mode);
  if (mode !== "SIMPLE" && mode !== "MUTUAL") return;
  if (asString(tls.caCertificates)) return;
  const credentialName = asString(tls.credentialName);
  if (credentialName && rule.hasSelector) return;
  const istioCode = subset !== undefined ? undefined : port !== undefined ? "IST0129" : "IST0128";
  const portText = port !== undefined ? ` port ${port}` : "";
  let messageId = subset !== undefined ? "subset" : port !== undefined ? "port" : "destination";
  if (tls.insecureSkipVerify === true) messageId = "skipVerify";
  else if (credentialName) messageId = "credentialNameIgnored";
  const base: NodePath = subsetIndex === undefined ? ["spec", "trafficPolicy"] : ["spec", "subsets", subsetIndex, "trafficPolicy"];
  rule.context.report({
    messageId,
    data: {
      mode,
      host: rule.host,
      port: messageId === "port" ? (port ?? "") : portText,
      subset: subset ?? "",
      credentialName: credentialName ?? "",
    },
    resource: rule.resource,
    path: portIndex === undefined ? [...base, "tls", "mode"] : [...base, "portLevelSettings", portIndex, "tls", "mode"],
    istioCode,
  });
}
