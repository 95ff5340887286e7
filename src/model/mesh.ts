import { KUBERNETES_SCHEMA, load, loadAll } from "../load/js-yaml.js";
import { asRecord, asString } from "./resource.js";

/** Which Istio installation mesh-lint assumes when the input holds none. */
export type InstallProfile = "default" | "demo" | "none";

/** The MeshConfig fields the analysis uses, with Istio's defaults. */
export interface MeshSettings {
  rootNamespace: string;
  trustDomain: string;
  outboundTrafficPolicy: "ALLOW_ANY" | "REGISTRY_ONLY";
  enableAutoMtls: boolean;
  ingressService: string;
  ingressSelector: string;
  /** Assumed installation (ingress gateway, egress gateway) when the input has none. */
  install: InstallProfile;
  /**
   * Whether sidecars capture DNS and auto-allocate virtual IPs for ServiceEntries without addresses:
   * `defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE: "true"` together with
   * `ISTIO_META_DNS_AUTO_ALLOCATE: "true"` (or `PILOT_ENABLE_IP_AUTOALLOCATE: "true"`).
   */
  dnsAutoAllocate: boolean;
  /**
   * Whether traffic to mesh-external hosts must leave through an egress gateway (`.mesh-lint.yaml`
   * `mesh.requireEgressGateway`; not a MeshConfig field). Rules then judge egress routing even when
   * the input holds no egress gateway.
   */
  requireEgressGateway: boolean;
  /** Where the settings came from, for messages. */
  source?: string;
}

export const DEFAULT_MESH: MeshSettings = {
  rootNamespace: "istio-system",
  trustDomain: "cluster.local",
  outboundTrafficPolicy: "ALLOW_ANY",
  enableAutoMtls: true,
  ingressService: "istio-ingressgateway",
  ingressSelector: "ingressgateway",
  install: "default",
  dnsAutoAllocate: false,
  requireEgressGateway: false,
};

/**
 * Reads an Istio MeshConfig, as `istioctl analyze --meshConfigFile` does: either the MeshConfig
 * YAML itself, or the `istio` ConfigMap whose `data.mesh` holds it. Throws with a clear message
 * when the text is not one of those.
 */
export function parseMeshConfig(text: string, base: MeshSettings = DEFAULT_MESH, source?: string): MeshSettings {
  let value: unknown;
  try {
    value = loadAll(text, { schema: KUBERNETES_SCHEMA })[0];
  } catch (error) {
    throw new Error(`the mesh config is not valid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  let mesh = asRecord(value);
  if (mesh.kind === "ConfigMap") {
    const data = asRecord(mesh.data);
    const embedded = asString(data.mesh);
    if (embedded === undefined) throw new Error("the ConfigMap has no data.mesh key holding a MeshConfig");
    try {
      mesh = asRecord(load(embedded, { schema: KUBERNETES_SCHEMA }));
    } catch (error) {
      throw new Error(`data.mesh of the ConfigMap is not valid YAML: ${(error as Error).message.split("\n")[0]}`);
    }
  } else if (value !== null && value !== undefined && (typeof value !== "object" || Array.isArray(value))) {
    throw new Error("the mesh config must be a MeshConfig mapping or the istio ConfigMap");
  }
  const settings: MeshSettings = { ...base, source };
  const root = asString(mesh.rootNamespace);
  if (root) settings.rootNamespace = root;
  const trustDomain = asString(mesh.trustDomain);
  if (trustDomain) settings.trustDomain = trustDomain;
  const mode = asString(asRecord(mesh.outboundTrafficPolicy).mode);
  if (mode === "REGISTRY_ONLY" || mode === "ALLOW_ANY") settings.outboundTrafficPolicy = mode;
  else if (mode !== undefined) throw new Error(`outboundTrafficPolicy.mode must be ALLOW_ANY or REGISTRY_ONLY, not ${mode}`);
  if (typeof mesh.enableAutoMtls === "boolean") settings.enableAutoMtls = mesh.enableAutoMtls;
  const ingressService = asString(mesh.ingressService);
  if (ingressService) settings.ingressService = ingressService;
  const ingressSelector = asString(mesh.ingressSelector);
  if (ingressSelector) settings.ingressSelector = ingressSelector;
  const proxyMetadata = asRecord(asRecord(mesh.defaultConfig).proxyMetadata);
  if (proxyMetadata.ISTIO_META_DNS_CAPTURE === "true") {
    settings.dnsAutoAllocate =
      proxyMetadata.ISTIO_META_DNS_AUTO_ALLOCATE === "true" || proxyMetadata.PILOT_ENABLE_IP_AUTOALLOCATE === "true";
  }
  return settings;
}
