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

/** The modeled kinds by API group, then kind (looked up once per resource: no key to build). */
const BY_GROUP = new Map<string, Map<string, KindInfo>>();
for (const info of KINDS) {
  let kinds = BY_GROUP.get(info.group);
  if (!kinds) BY_GROUP.set(info.group, (kinds = new Map()));
  kinds.set(info.kind, info);
}

/** apiVersions already split: a run meets a handful of them, once per resource each (bounded for long-lived processes). */
const SPLIT_API_VERSIONS = new Map<string, Readonly<{ group: string; version: string }>>();
const MAX_API_VERSIONS = 10_000;

/** Splits an apiVersion into group and version (`v1` → core group). The result is shared: do not mutate. */
export function splitApiVersion(apiVersion: string): Readonly<{ group: string; version: string }> {
  let split = SPLIT_API_VERSIONS.get(apiVersion);
  if (!split) {
    const slash = apiVersion.lastIndexOf("/");
    split = Object.freeze(
      slash === -1
        ? { group: "", version: apiVersion }
        : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) },
    );
    if (SPLIT_API_VERSIONS.size >= MAX_API_VERSIONS) SPLIT_API_VERSIONS.clear();
    SPLIT_API_VERSIONS.set(apiVersion, split);
  }
  return split;
}

export function kindInfo(group: string, kind: string): KindInfo | undefined {
  return BY_GROUP.get(group)?.get(kind);
}

export const ISTIO_GROUPS = new Set(KINDS.filter((k) => k.istio).map((k) => k.group));

/** A CustomResourceDefinition: its schema replaces the bundled one for its kind. */
export function isCustomResourceDefinition(resource: { group: string; kind: string }): boolean {
  return resource.kind === "CustomResourceDefinition" && resource.group === "apiextensions.k8s.io";
}

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

/** Whether a kind is namespaced (`info`: its {@link kindInfo}, when the caller has it already). */
export function isNamespaced(group: string, kind: string, info: KindInfo | undefined = kindInfo(group, kind)): boolean {
  if (info) return info.namespaced;
  return !CLUSTER_SCOPED.has(kind);
}
