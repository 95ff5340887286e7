/** The kinds mesh-lint models, with the API groups and versions the API server serves them in. */
export interface KindInfo {
  group: string;
  kind: string;
  versions: readonly string[];
  namespaced: boolean;
  /** Whether the kind is an Istio custom resource (validated against Istio's CRDs). */
  istio: boolean;
}

const ISTIO_NETWORKING = ["v1alpha3", "v1beta1", "v1"] as const;

const KINDS: KindInfo[] = [
  ...["VirtualService", "DestinationRule", "Gateway", "ServiceEntry", "Sidecar", "WorkloadEntry", "WorkloadGroup"].map(
    (kind) => ({
      group: "networking.istio.io",
      kind,
      versions: kind === "WorkloadGroup" ? (["v1alpha3", "v1beta1", "v1"] as const) : ISTIO_NETWORKING,
      namespaced: true,
      istio: true,
    }),
  ),
  { group: "networking.istio.io", kind: "EnvoyFilter", versions: ["v1alpha3"], namespaced: true, istio: true },
  { group: "networking.istio.io", kind: "ProxyConfig", versions: ["v1beta1"], namespaced: true, istio: true },
  ...["PeerAuthentication", "AuthorizationPolicy", "RequestAuthentication"].map((kind) => ({
    group: "security.istio.io",
    kind,
    versions: ["v1beta1", "v1"],
    namespaced: true,
    istio: true,
  })),
  { group: "telemetry.istio.io", kind: "Telemetry", versions: ["v1alpha1", "v1"], namespaced: true, istio: true },
  { group: "extensions.istio.io", kind: "WasmPlugin", versions: ["v1alpha1"], namespaced: true, istio: true },
  { group: "", kind: "Namespace", versions: ["v1"], namespaced: false, istio: false },
  ...["Service", "Endpoints", "Pod", "ServiceAccount", "ConfigMap"].map((kind) => ({
    group: "",
    kind,
    versions: ["v1"],
    namespaced: true,
    istio: false,
  })),
  { group: "discovery.k8s.io", kind: "EndpointSlice", versions: ["v1"], namespaced: true, istio: false },
  ...["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"].map((kind) => ({
    group: "apps",
    kind,
    versions: ["v1"],
    namespaced: true,
    istio: false,
  })),
  { group: "batch", kind: "Job", versions: ["v1"], namespaced: true, istio: false },
  { group: "batch", kind: "CronJob", versions: ["v1"], namespaced: true, istio: false },
];

const BY_GROUP_KIND = new Map(KINDS.map((info) => [`${info.group}/${info.kind}`, info]));

/** Splits an apiVersion into group and version (`v1` → core group). */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf("/");
  return slash === -1
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export function kindInfo(group: string, kind: string): KindInfo | undefined {
  return BY_GROUP_KIND.get(`${group}/${kind}`);
}

export const ISTIO_GROUPS = new Set(KINDS.filter((k) => k.istio).map((k) => k.group));

export function isIstioGroup(group: string): boolean {
  return ISTIO_GROUPS.has(group) || group.endsWith(".istio.io");
}

/** Cluster-scoped kinds met in manifests that do not get a namespace. */
const CLUSTER_SCOPED = new Set([
  "Namespace",
  "CustomResourceDefinition",
  "ClusterRole",
  "ClusterRoleBinding",
  "PersistentVolume",
  "StorageClass",
  "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration",
  "PriorityClass",
  "IngressClass",
  "GatewayClass",
  "APIService",
  "Node",
]);

export function isNamespaced(group: string, kind: string): boolean {
  const info = kindInfo(group, kind);
  if (info) return info.namespaced;
  return !CLUSTER_SCOPED.has(kind);
}
