import type { NodePath } from "../load/types.js";
import type { MeshModel, Resource } from "../model/index.js";
import { asArray, asRecord, asString } from "../model/resource.js";
import type { SidecarInjection, Workload } from "./types.js";

/** Where each workload kind keeps its pod template. */
const POD_TEMPLATE: Record<string, NodePath> = {
  Deployment: ["spec", "template"],
  StatefulSet: ["spec", "template"],
  DaemonSet: ["spec", "template"],
  ReplicaSet: ["spec", "template"],
  Job: ["spec", "template"],
  CronJob: ["spec", "jobTemplate", "spec", "template"],
  Pod: [],
};

function at(value: unknown, path: NodePath): unknown {
  let current = value;
  for (const segment of path) current = asRecord(current)[segment as string];
  return current;
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(asRecord(value))) {
    if (typeof entry === "string") out[key] = entry;
    else if (typeof entry === "number" || typeof entry === "boolean") out[key] = String(entry);
  }
  return out;
}

/** Namespace facts that decide sidecar injection. */
export interface NamespaceInfo {
  name: string;
  labels: Readonly<Record<string, string>>;
  resource?: Resource;
}

function gatewayRole(labels: Record<string, string>, annotations: Record<string, string>): Workload["gateway"] {
  if (labels.istio === "ingressgateway") return "ingress";
  if (labels.istio === "egressgateway") return "egress";
  if (annotations["inject.istio.io/templates"] === "gateway" || labels["gateway.istio.io/managed"]) return "gateway";
  return undefined;
}

/**
 * Whether a pod gets a sidecar: the pod's `sidecar.istio.io/inject` label (or annotation) decides;
 * else the namespace's `istio-injection` / `istio.io/rev` label; a Namespace object without them
 * means injection is off there. When the input has no Namespace object, a sidecar is assumed.
 */
export function sidecarInjection(
  labels: Record<string, string>,
  annotations: Record<string, string>,
  namespace: NamespaceInfo | undefined,
): SidecarInjection {
  const podLabel = labels["sidecar.istio.io/inject"];
  if (podLabel === "false") return { injected: false, reason: "pod label sidecar.istio.io/inject=false" };
  const podAnnotation = annotations["sidecar.istio.io/inject"];
  if (podLabel === undefined && podAnnotation === "false") return { injected: false, reason: "pod annotation sidecar.istio.io/inject=false" };
  if (!namespace?.resource) {
    return { injected: true, reason: podLabel === "true" ? "pod label sidecar.istio.io/inject=true" : "assumed (no Namespace object in the input)" };
  }
  const nsLabel = namespace.labels["istio-injection"];
  if (nsLabel === "disabled") return { injected: false, reason: `namespace ${namespace.name} has istio-injection=disabled` };
  if (namespace.labels["istio.io/dataplane-mode"] === "ambient" && podLabel !== "true") {
    return { injected: false, reason: `namespace ${namespace.name} is in ambient mode` };
  }
  if (podLabel === "true" || podAnnotation === "true") return { injected: true, reason: "pod label sidecar.istio.io/inject=true" };
  if (nsLabel === "enabled") return { injected: true, reason: `namespace ${namespace.name} has istio-injection=enabled` };
  if (namespace.labels["istio.io/rev"]) return { injected: true, reason: `namespace ${namespace.name} has istio.io/rev=${namespace.labels["istio.io/rev"]}` };
  return { injected: false, reason: `namespace ${namespace.name} has no istio-injection label` };
}

/** Every workload of the input, with its pod labels, ports and sidecar. */
export function collectWorkloads(model: MeshModel, namespaces: Map<string, NamespaceInfo>): Workload[] {
  const workloads: Workload[] = [];
  for (const [kind, templatePath] of Object.entries(POD_TEMPLATE)) {
    for (const resource of model.byKind.get(kind) ?? []) {
      if (kind === "Pod" ? resource.group !== "" : !["apps", "batch"].includes(resource.group)) continue;
      const template = templatePath.length ? asRecord(at(resource.object, templatePath)) : resource.object;
      const metadata = asRecord(template.metadata);
      const podSpec = asRecord(template.spec);
      const labels = stringMap(metadata.labels);
      const annotations = stringMap(metadata.annotations);
      const containerPorts = asArray(podSpec.containers).flatMap((container) =>
        asArray(asRecord(container).ports).flatMap((entry) => {
          const port = asRecord(entry);
          return typeof port.containerPort === "number"
            ? [{ name: asString(port.name), port: port.containerPort, protocol: asString(port.protocol) ?? "TCP" }]
            : [];
        }),
      );
      const gateway = gatewayRole(labels, annotations);
      workloads.push({
        kind,
        name: resource.name,
        namespace: resource.namespace,
        resource,
        labels,
        annotations,
        containerPorts,
        serviceAccount: asString(podSpec.serviceAccountName) ?? asString(podSpec.serviceAccount) ?? "default",
        sidecar: gateway
          ? { injected: true, reason: "gateway proxy" }
          : sidecarInjection(labels, annotations, namespaces.get(resource.namespace)),
        gateway,
        labelsPath: [...templatePath, "metadata", "labels"],
      });
    }
  }
  for (const resource of model.byKind.get("WorkloadEntry") ?? []) {
    if (!resource.group.endsWith("istio.io")) continue;
    const spec = resource.spec;
    const labels = stringMap(spec.labels);
    const ports = Object.entries(asRecord(spec.ports)).flatMap(([name, port]) =>
      typeof port === "number" ? [{ name, port, protocol: "TCP" }] : [],
    );
    workloads.push({
      kind: "WorkloadEntry",
      name: resource.name,
      namespace: resource.namespace,
      resource,
      labels,
      annotations: {},
      containerPorts: ports,
      serviceAccount: asString(spec.serviceAccount) ?? "default",
      // A WorkloadEntry stands for a VM or external workload that runs the Istio proxy itself.
      sidecar: { injected: true, reason: "WorkloadEntry (proxy on the VM)" },
      address: asString(spec.address),
      labelsPath: ["spec", "labels"],
    });
  }
  return workloads;
}

/** Whether a label selector (`matchLabels`-style map) selects a set of labels. Empty selects all. */
export function selects(selector: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return true;
  for (const key in selector) if (labels[key] !== selector[key]) return false;
  return true;
}

/** The namespaces of the input: Namespace objects, and every namespace a resource names. */
export function collectNamespaces(model: MeshModel): Map<string, NamespaceInfo> {
  const namespaces = new Map<string, NamespaceInfo>();
  for (const resource of model.byKind.get("Namespace") ?? []) {
    if (resource.group !== "") continue;
    namespaces.set(resource.name, { name: resource.name, labels: resource.labels, resource });
  }
  for (const resource of model.resources) {
    if (resource.namespace && !namespaces.has(resource.namespace)) {
      namespaces.set(resource.namespace, { name: resource.namespace, labels: {} });
    }
  }
  return namespaces;
}

/**
 * Whether a namespace is enrolled in ambient mode: label `istio.io/dataplane-mode=ambient`, and no
 * sidecar injection label (`istio-injection=enabled` or `istio.io/rev`), which takes precedence.
 */
export function namespaceInAmbientMode(namespace: NamespaceInfo | undefined): boolean {
  if (!namespace) return false;
  if (namespace.labels["istio-injection"] === "enabled" || namespace.labels["istio.io/rev"]) return false;
  return namespace.labels["istio.io/dataplane-mode"] === "ambient";
}

/**
 * Whether a workload's pods are captured by ztunnel (ambient mode) rather than running a sidecar:
 * the CNI's `ambient.istio.io/redirection: enabled` annotation, else the pod label
 * `istio.io/dataplane-mode` (`none` opts out, `ambient` opts in), else the namespace's enrollment.
 * A pod that asks for a sidecar (`sidecar.istio.io/inject: "true"`) and gateways are not ambient.
 */
export function workloadInAmbientMode(workload: Workload, namespace: NamespaceInfo | undefined): boolean {
  if (workload.gateway || workload.kind === "WorkloadEntry") return false;
  if (workload.annotations["ambient.istio.io/redirection"] === "enabled") return true;
  const mode = workload.labels["istio.io/dataplane-mode"];
  if (mode === "none" || workload.labels["sidecar.istio.io/inject"] === "true") return false;
  return mode === "ambient" || namespaceInAmbientMode(namespace);
}
