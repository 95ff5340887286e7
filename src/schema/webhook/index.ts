/**
 * The semantic checks of Istio's validating webhook (istiod, `pkg/config/validation`) that the
 * CRD schemas and their CEL rules cannot express. Input is the object as parsed from YAML and may
 * be malformed anywhere: wrong types are skipped here (the structural check reports them).
 */
import type { SchemaProblem } from "../types.js";
import { Problems, obj, s } from "./util.js";
import { virtualServiceProblems } from "./virtualservice.js";
import {
  destinationRuleProblems,
  gatewayProblems,
  serviceEntryProblems,
  sidecarProblems,
  workloadEntrySpecProblems,
  workloadGroupProblems,
} from "./networking.js";
import { authorizationPolicyProblems, peerAuthenticationProblems, requestAuthenticationProblems } from "./security.js";
import { envoyFilterProblems, telemetryProblems, wasmPluginProblems } from "./extensions.js";
import { workloadSelectorProblems } from "./shared.js";

type Meta = { name: string; namespace: string; labels: Record<string, unknown>; annotations: Record<string, unknown> };
type Check = (p: Problems, spec: Record<string, unknown>, meta: Meta) => void;

const CHECKS: Record<string, Record<string, Check>> = {
  "networking.istio.io": {
    VirtualService: (p, spec, m) => virtualServiceProblems(p, spec, m.namespace),
    DestinationRule: (p, spec, m) => destinationRuleProblems(p, spec, m.namespace),
    Gateway: (p, spec, m) => gatewayProblems(p, spec, m.name),
    ServiceEntry: (p, spec, m) => serviceEntryProblems(p, spec, m.namespace, m.labels),
    Sidecar: (p, spec, m) => sidecarProblems(p, spec, m.namespace),
    WorkloadEntry: (p, spec) => workloadEntrySpecProblems(p, spec),
    WorkloadGroup: (p, spec) => workloadGroupProblems(p, spec),
    EnvoyFilter: (p, spec) => envoyFilterProblems(p, spec),
    // concurrency >= 0 and the selector's keys and values are schema/CEL rules in the CRD.
    ProxyConfig: (p, spec) => workloadSelectorProblems(p, spec.selector, ["spec", "selector"]),
  },
  "security.istio.io": {
    AuthorizationPolicy: (p, spec) => authorizationPolicyProblems(p, spec),
    RequestAuthentication: (p, spec) => requestAuthenticationProblems(p, spec),
    PeerAuthentication: (p, spec) => peerAuthenticationProblems(p, spec),
  },
  "telemetry.istio.io": {
    Telemetry: (p, spec) => telemetryProblems(p, spec),
  },
  "extensions.istio.io": {
    WasmPlugin: (p, spec) => wasmPluginProblems(p, spec),
  },
};

const DRY_RUN = "istio.io/dry-run";
const PARSE_BOOL = new Set(["1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"]);
/** Internal annotations istiod refuses on objects users submit. */
const FORBIDDEN_ANNOTATIONS: [string, string][] = [
  ["internal.istio.io/webhook-always-reject", "rejecting"],
  ["internal.istio.io/parent-namespace", "this may not be set by users"],
  ["internal.istio.io/parents", "this may not be set by users"],
];

/**
 * The annotation checks istiod runs on every kind before its spec checks: istio.io/dry-run only on
 * an ALLOW or DENY AuthorizationPolicy and with a boolean value, and no internal annotations.
 */
function metadataProblems(p: Problems, group: string, kind: string, spec: Record<string, unknown> | undefined, meta: Meta): void {
  const annotations = obj(meta.annotations);
  if (!annotations) return;
  const at = (key: string) => ["metadata", "annotations", key];
  const ref = `${meta.namespace}/${meta.name}`;
  if (DRY_RUN in annotations) {
    const value = s(annotations[DRY_RUN]);
    if (group !== "security.istio.io" || kind !== "AuthorizationPolicy") {
      p.error(at(DRY_RUN), `${ref} has unsupported annotation ${DRY_RUN}, please remove the annotation`);
    } else {
      const action = s(spec?.action) || "ALLOW";
      if (action !== "ALLOW" && action !== "DENY") {
        p.error(at(DRY_RUN), `the annotation ${DRY_RUN} currently only supports action ALLOW/DENY, found action ${action} in ${ref}`);
      } else if (!PARSE_BOOL.has(value)) {
        p.error(at(DRY_RUN), `${ref} has annotation ${DRY_RUN} with invalid value (${value}): strconv.ParseBool: parsing "${value}": invalid syntax`);
      }
    }
  }
  for (const [key, why] of FORBIDDEN_ANNOTATIONS) {
    if (key in annotations) p.error(at(key), `"${key}" annotation found, ${why}`);
  }
}

/**
 * What istiod's validating webhook would reject (severity 2) or warn about (severity 1) in one
 * Istio object. Never throws.
 */
export function webhookProblems(object: Record<string, unknown>): SchemaProblem[] {
  if (!obj(object)) return [];
  const apiVersion = s(object.apiVersion);
  const slash = apiVersion.indexOf("/");
  if (slash < 0) return [];
  const group = apiVersion.slice(0, slash);
  const kind = s(object.kind);
  if (!CHECKS[group]) return [];
  const check = CHECKS[group][kind];
  const spec = obj(object.spec);
  const metadata = obj(object.metadata);
  const meta: Meta = {
    name: s(metadata?.name),
    namespace: s(metadata?.namespace),
    labels: obj(metadata?.labels) ?? {},
    annotations: obj(metadata?.annotations) ?? {},
  };
  const p = new Problems("webhook");
  try {
    metadataProblems(p, group, kind, spec, meta);
    if (check && spec) check(p, spec, meta);
  } catch {
    // A check tripping over an unexpected shape must not take the run down; report what was found.
  }
  return p.list;
}
