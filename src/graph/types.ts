import type { NodePath } from "../load/types.js";
import type { Resource } from "../model/index.js";

/** The YAML node something in the graph came from: a resource and a path inside it. */
export interface Provenance {
  resource: Resource;
  path: NodePath;
}

/** Protocols as Istio classifies a port (`protocol.Instance`). */
export type Protocol =
  | "HTTP"
  | "HTTP2"
  | "HTTPS"
  | "GRPC"
  | "GRPC-Web"
  | "TCP"
  | "TLS"
  | "MONGO"
  | "MYSQL"
  | "REDIS"
  | "UDP"
  | "UNSUPPORTED";

/** How Envoy treats traffic on a port: routed by HTTP route tables, by SNI, or as opaque TCP. */
export type PortKind = "http" | "tls" | "tcp" | "auto";

export interface ServicePort {
  /** Port name (may be empty for single-port Services). */
  name: string;
  /** The port clients connect to (`spec.ports[].port` / ServiceEntry `ports[].number`). */
  port: number;
  /** Container port behind it: a number, a named container port, or undefined (= port). */
  targetPort?: number | string;
  protocol: Protocol;
  /** Whether the protocol came from a name prefix/appProtocol (false: sniffed because unnamed/unknown). */
  explicitProtocol: boolean;
  kind: PortKind;
  provenance: Provenance;
}

/** One host of the service registry: a Kubernetes Service or one host of a ServiceEntry. */
export interface MeshService {
  /** The FQDN (`reviews.default.svc.cluster.local`) or the ServiceEntry host (may be a wildcard). */
  hostname: string;
  namespace: string;
  name: string;
  origin: "Service" | "ServiceEntry";
  resource: Resource;
  ports: ServicePort[];
  /** Namespaces the service is visible from: `"*"` for all, else a set (own namespace included when exported to `.`). */
  exportTo: "*" | ReadonlySet<string>;
  /** MESH_INTERNAL for Kubernetes services. */
  location: "MESH_INTERNAL" | "MESH_EXTERNAL";
  /** Kubernetes: ClusterIP/Headless/ExternalName...; ServiceEntry: NONE/STATIC/DNS/DNS_ROUND_ROBIN/DYNAMIC_DNS. */
  resolution: string;
  /** Cluster IP or ServiceEntry addresses. */
  addresses: string[];
  /** Pod selector (Service) or workloadSelector (ServiceEntry); undefined when the service has none. */
  selector?: Readonly<Record<string, string>>;
  /** Static endpoints of a ServiceEntry (`endpoints`), with their positions. */
  staticEndpoints: { address: string; ports: Record<string, number>; labels: Record<string, string>; provenance: Provenance }[];
  /** The ExternalName target of an ExternalName Service. */
  externalName?: string;
}

/** Whether and why a workload runs an Envoy sidecar. */
export interface SidecarInjection {
  injected: boolean;
  /** `namespace label`, `pod label`, `pod annotation`, `assumed` (nothing said otherwise), `gateway`. */
  reason: string;
}

/** A workload: one Deployment/StatefulSet/DaemonSet/ReplicaSet/Job/CronJob/Pod/WorkloadEntry, not one replica. */
export interface Workload {
  kind: string;
  name: string;
  namespace: string;
  resource: Resource;
  /** Pod labels (pod template labels, or WorkloadEntry labels). */
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  containerPorts: { name?: string; port: number; protocol: string }[];
  serviceAccount: string;
  sidecar: SidecarInjection;
  /** A gateway proxy (ingress or egress) rather than an application with a sidecar. */
  gateway?: "ingress" | "egress" | "gateway";
  /** WorkloadEntry address. */
  address?: string;
  /** Path to the pod template labels in the resource (for positions). */
  labelsPath: NodePath;
}

/**
 * A node path shared by every resource that has that node: provenance paths are read-only (frozen
 * here), and the graph keeps one for each element it holds. See {@link SharedByIndex}.
 */
export function sharedPath(...segments: (string | number)[]): NodePath {
  return Object.freeze(segments);
}

/**
 * Values by a small index (the position of a node in a list), made on first use and then shared:
 * `spec.hosts[0]` is one path for every VirtualService.
 */
export class SharedByIndex<T> {
  private readonly values: T[] = [];

  constructor(private readonly make: (index: number) => T) {}

  at(index: number): T {
    return (this.values[index] ??= this.make(index));
  }
}

/** The `Kind namespace/name` of a resource a graph element points back to. */
export function provenanceKey(provenance: Provenance): string {
  return `${provenance.resource.key}:${provenance.path.join(".")}`;
}
