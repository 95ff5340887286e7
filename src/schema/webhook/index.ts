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

type Meta = { name: string; namespace: string; labels: Record<string, unknown> };
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
  const check = CHECKS[group]?.[kind];
  const spec = obj(object.spec);
  if (!check || !spec) return [];
  const metadata = obj(object.metadata);
  const p = new Problems("webhook");
  try {
    check(p, spec, { name: s(metadata?.name), namespace: s(metadata?.namespace), labels: obj(metadata?.labels) ?? {} });
  } catch {
    // A check tripping over an unexpected shape must not take the run down; report what was found.
  }
  return p.list;
}
