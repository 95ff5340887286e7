import type { NodePath } from "../load/types.js";
import type { MeshModel, Resource } from "../model/index.js";
import { asArray, asRecord, asString, readRecord, stringMap } from "../model/resource.js";
import type { SidecarInjection, Workload } from "./types.js";

/** Where each workload kind keeps its pod template, and the path of the pod labels (shared by its workloads). */
const POD_TEMPLATE: Record<string, { template: NodePath; labels: NodePath }> = {};
for (const [kind, template] of Object.entries<NodePath>({
  Deployment: ["spec", "template"],
  StatefulSet: ["spec", "template"],
  DaemonSet: ["spec", "template"],
  ReplicaSet: ["spec", "template"],
  Job: ["spec", "template"],
  CronJob: ["spec", "jobTemplate", "spec", "template"],
  // Argo Rollouts (argoproj.io), the usual way to run canaries with Istio subsets; one that refers to
  // a Deployment's template (workloadRef) has none of its own and is left out.
  Rollout: ["spec", "template"],
  Pod: [],
})) {
  POD_TEMPLATE[kind] = { template, labels: Object.freeze([...template, "metadata", "labels"]) as NodePath };
}

const WORKLOAD_ENTRY_LABELS: NodePath = Object.freeze(["spec", "labels"]) as NodePath;

function at(value: unknown, path: NodePath): unknown {
  let current = value;
  for (let i = 0; i < path.length; i++) current = readRecord(current)[path[i] as string];
  return current;
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

/** The container ports of a pod spec, in the order written. */
function containerPortsOf(podSpec: Readonly<Record<string, unknown>>): Workload["containerPorts"] {
  const ports: Workload["containerPorts"] = [];
  const containers = asArray(podSpec.containers);
  for (let c = 0; c < containers.length; c++) {
    const declared = asArray(readRecord(containers[c]).ports);
    for (let p = 0; p < declared.length; p++) {
      const port = readRecord(declared[p]);
      if (typeof port.containerPort === "number") {
        ports.push({ name: asString(port.name), port: port.containerPort, protocol: asString(port.protocol) ?? "TCP" });
      }
    }
  }
  return ports;
}

const GATEWAY_PROXY: SidecarInjection = Object.freeze({ injected: true, reason: "gateway proxy" });
// A WorkloadEntry stands for a VM or external workload that runs the Istio proxy itself.
const PROXY_ON_VM: SidecarInjection = Object.freeze({ injected: true, reason: "WorkloadEntry (proxy on the VM)" });
const INJECT = "sidecar.istio.io/inject";

/** Every workload of the input, with its pod labels, ports and sidecar. */
export function collectWorkloads(model: MeshModel, namespaces: Map<string, NamespaceInfo>): Workload[] {
  const workloads: Workload[] = [];
  // The injection of pods that say nothing about it depends on their namespace only: one answer each.
  const namespaceInjection = new Map<string, SidecarInjection>();
  const injectionOf = (labels: Record<string, string>, annotations: Record<string, string>, namespace: string) => {
    if (labels[INJECT] !== undefined || annotations[INJECT] !== undefined) return sidecarInjection(labels, annotations, namespaces.get(namespace));
    let injection = namespaceInjection.get(namespace);
    if (!injection) namespaceInjection.set(namespace, (injection = Object.freeze(sidecarInjection(labels, annotations, namespaces.get(namespace)))));
    return injection;
  };
  for (const kind in POD_TEMPLATE) {
    const paths = POD_TEMPLATE[kind];
    const resources = model.byKind.get(kind) ?? [];
    for (let i = 0; i < resources.length; i++) {
      const resource = resources[i];
      if (kind === "Pod" ? resource.group !== "" : kind === "Rollout" ? resource.group !== "argoproj.io" : resource.group !== "apps" && resource.group !== "batch") continue;
      const written = paths.template.length ? at(resource.object, paths.template) : resource.object;
      if (kind === "Rollout" && (written === null || typeof written !== "object")) continue;
      const template = readRecord(written);
      const metadata = readRecord(template.metadata);
      const podSpec = readRecord(template.spec);
      const labels = stringMap(metadata.labels);
      const annotations = stringMap(metadata.annotations);
      const gateway = gatewayRole(labels, annotations);
      workloads.push({
        kind,
        name: resource.name,
        namespace: resource.namespace,
        resource,
        labels,
        annotations,
        containerPorts: containerPortsOf(podSpec),
        serviceAccount: asString(podSpec.serviceAccountName) ?? asString(podSpec.serviceAccount) ?? "default",
        sidecar: gateway ? GATEWAY_PROXY : injectionOf(labels, annotations, resource.namespace),
        gateway,
        labelsPath: paths.labels,
      });
    }
  }
  for (const resource of model.byKind.get("WorkloadEntry") ?? []) {
    if (!resource.group.endsWith("istio.io")) continue;
    const spec = resource.spec;
    const labels = stringMap(spec.labels);
    const ports: Workload["containerPorts"] = [];
    const written = asRecord(spec.ports);
    for (const name in written) {
      const port = written[name];
      if (typeof port === "number") ports.push({ name, port, protocol: "TCP" });
    }
    workloads.push({
      kind: "WorkloadEntry",
      name: resource.name,
      namespace: resource.namespace,
      resource,
      labels,
      annotations: {},
      containerPorts: ports,
      serviceAccount: asString(spec.serviceAccount) ?? "default",
      sidecar: PROXY_ON_VM,
      address: asString(spec.address),
      labelsPath: WORKLOAD_ENTRY_LABELS,
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

/** The first key of a selector (in the order `selects` checks them), undefined when it has none. */
function firstKey(selector: Readonly<Record<string, unknown>> | undefined): string | undefined {
  for (const key in selector) return key;
  return undefined;
}

/**
 * Things with labels (workloads), indexed for label-selector queries: a selector's first key and its
 * value narrow the candidates (an index per key, built on first use), `selects` decides. Answers are
 * those of filtering the list with `selects`, in the list's order.
 */
export class LabelIndex<T extends { readonly labels: Readonly<Record<string, string>> }> {
  /** By label key: the items by their value of that label (undefined when they have none). */
  private readonly byKey = new Map<string, Map<unknown, T[]>>();

  constructor(readonly items: readonly T[]) {}

  /** The items a selector selects (all for an empty or absent selector). */
  selected(selector: Readonly<Record<string, string>> | undefined): T[] {
    const key = firstKey(selector);
    if (key === undefined) return this.items.slice();
    const candidates = this.valuesOf(key).get(selector![key]);
    if (!candidates) return [];
    const found: T[] = [];
    for (const item of candidates) if (selects(selector, item.labels)) found.push(item);
    return found;
  }

  private valuesOf(key: string): Map<unknown, T[]> {
    let values = this.byKey.get(key);
    if (!values) {
      values = new Map();
      for (const item of this.items) {
        const value = item.labels[key];
        const list = values.get(value);
        if (list) list.push(item);
        else values.set(value, [item]);
      }
      this.byKey.set(key, values);
    }
    return values;
  }
}

/**
 * Things with a label selector (services), indexed to find those whose selector picks a set of
 * labels: by the selector's first key and its value. Answers are those of filtering the list with
 * `selects`, in the list's order.
 */
export class SelectorIndex<T> {
  /** By a selector's first key, by the selector's value for it: positions of the items in the list. */
  private readonly byKey = new Map<string, Map<unknown, number[]>>();
  /** Items without a selector or with an empty one: they select everything. */
  private readonly unkeyed: number[] = [];
  /** The keys of `byKey`, in its order (made on first use). */
  private keys?: string[];

  constructor(
    readonly items: readonly T[],
    private readonly selectorOf: (item: T) => Readonly<Record<string, string>> | undefined,
  ) {
    for (let position = 0; position < items.length; position++) {
      const selector = selectorOf(items[position]);
      const key = firstKey(selector);
      if (key === undefined) {
        this.unkeyed.push(position);
        continue;
      }
      let values = this.byKey.get(key);
      if (!values) this.byKey.set(key, (values = new Map()));
      const value = selector![key];
      const list = values.get(value);
      if (list) list.push(position);
      else values.set(value, [position]);
    }
  }

  /** The items whose selector selects these labels. */
  selecting(labels: Readonly<Record<string, string>>): T[] {
    // Asked once per workload: the keys as a list, indexed loops (no iterator or entry per step).
    this.keys ??= [...this.byKey.keys()];
    let positions: number[] = this.unkeyed;
    let sorted = true;
    for (let k = 0; k < this.keys.length; k++) {
      const key = this.keys[k];
      const list = this.byKey.get(key)!.get(labels[key]);
      if (!list) continue;
      if (positions.length === 0) positions = list;
      else {
        positions = positions.concat(list);
        sorted = false;
      }
    }
    if (!sorted) positions.sort((a, b) => a - b);
    const found: T[] = [];
    for (let i = 0; i < positions.length; i++) {
      const item = this.items[positions[i]];
      if (selects(this.selectorOf(item), labels)) found.push(item);
    }
    return found;
  }
}

/** The namespaces of the input: Namespace objects, and every namespace a resource names. */
export function collectNamespaces(model: MeshModel): Map<string, NamespaceInfo> {
  const namespaces = new Map<string, NamespaceInfo>();
  for (const resource of model.byKind.get("Namespace") ?? []) {
    if (resource.group !== "") continue;
    namespaces.set(resource.name, { name: resource.name, labels: resource.labels, resource });
  }
  const resources = model.resources;
  for (let i = 0; i < resources.length; i++) {
    const resource = resources[i];
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
