import type { MeshModel, Resource } from "../model/index.js";
import { splitNamespacedHost } from "../model/hosts.js";
import { asArray, asRecord, asString, selectorMap } from "../model/resource.js";
import type { Provenance, Workload } from "./types.js";
import { configOrder } from "./virtual-services.js";
import { selects } from "./workloads.js";

export interface SidecarEgress {
  port?: number;
  /**
   * `namespace/host` entries: namespace `*`, `~`, `.` or a name. `.` is the namespace of the proxy
   * the Sidecar scopes: not the Sidecar's own for the root namespace's default Sidecar.
   */
  hosts: { namespace: string; host: string; written: string; provenance: Provenance }[];
  provenance: Provenance;
}

export interface SidecarInfo {
  resource: Resource;
  namespace: string;
  name: string;
  workloadSelector?: Readonly<Record<string, string>>;
  egress: SidecarEgress[];
  outboundTrafficPolicy?: "ALLOW_ANY" | "REGISTRY_ONLY";
}

export function sidecarInfo(resource: Resource): SidecarInfo {
  const spec = resource.spec;
  const labels = selectorMap(asRecord(spec.workloadSelector).labels);
  const egress = asArray(spec.egress).map((entry, index) => {
    const listener = asRecord(entry);
    const port = asRecord(listener.port).number;
    return {
      port: typeof port === "number" ? port : undefined,
      hosts: asArray(listener.hosts).flatMap((host, i) => {
        if (typeof host !== "string") return [];
        const split = splitNamespacedHost(host);
        return [
          {
            namespace: split.namespace,
            host: split.host,
            written: host,
            provenance: { resource, path: ["spec", "egress", index, "hosts", i] },
          },
        ];
      }),
      provenance: { resource, path: ["spec", "egress", index] },
    };
  });
  const mode = asString(asRecord(spec.outboundTrafficPolicy).mode);
  return {
    resource,
    namespace: resource.namespace,
    name: resource.name,
    workloadSelector: Object.keys(labels).length > 0 ? labels : undefined,
    egress,
    outboundTrafficPolicy: mode === "ALLOW_ANY" || mode === "REGISTRY_ONLY" ? mode : undefined,
  };
}

export function collectSidecars(model: MeshModel): SidecarInfo[] {
  return (model.byKind.get("Sidecar") ?? [])
    .filter((resource) => resource.group === "networking.istio.io")
    .sort(configOrder)
    .map(sidecarInfo);
}

/** Sidecar resources by namespace, each list in Istio's order (for look-ups of many workloads). */
export type SidecarsByNamespace = ReadonlyMap<string, readonly SidecarInfo[]>;

export function sidecarsByNamespace(sidecars: readonly SidecarInfo[]): SidecarsByNamespace {
  const byNamespace = new Map<string, SidecarInfo[]>();
  for (const sidecar of sidecars) {
    const list = byNamespace.get(sidecar.namespace);
    if (list) list.push(sidecar);
    else byNamespace.set(sidecar.namespace, [sidecar]);
  }
  return byNamespace;
}

/**
 * The Sidecar resource that scopes a workload's proxy: the oldest one in its namespace whose
 * selector picks it, else the namespace's Sidecar without selector, else the root namespace's.
 * `sidecars`: {@link sidecarsByNamespace} of them (once per proxy of the input: plain loops, no lists made).
 */
export function sidecarFor(sidecars: SidecarsByNamespace, workload: Pick<Workload, "namespace" | "labels">, rootNamespace: string): SidecarInfo | undefined {
  const local = sidecars.get(workload.namespace);
  if (local) {
    for (const sidecar of local) if (sidecar.workloadSelector && selects(sidecar.workloadSelector, workload.labels)) return sidecar;
    for (const sidecar of local) if (!sidecar.workloadSelector) return sidecar;
  }
  const root = sidecars.get(rootNamespace);
  if (root) for (const sidecar of root) if (!sidecar.workloadSelector) return sidecar;
  return undefined;
}
