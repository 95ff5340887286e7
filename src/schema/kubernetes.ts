/**
 * What the Kubernetes API server rejects in the fields of core/apps/batch objects that the mesh
 * reads (Service ports and selectors, workload selectors, template labels, container ports,
 * names). Input may be malformed anywhere: wrong types are skipped, never thrown on.
 */
import type { PathSegment } from "../load/types.js";
import type { SchemaProblem } from "./types.js";
import {
  dns1035LabelErrors,
  dns1123LabelErrors,
  dns1123SubdomainErrors,
  ianaSvcNameErrors,
  labelValueErrors,
  qualifiedNameErrors,
} from "./names.js";
import { goKind, objectMetaTypeProblems } from "./structural-meta.js";

export { dns1035LabelErrors, dns1123LabelErrors, dns1123SubdomainErrors, ianaSvcNameErrors };

type Obj = Record<string, unknown>;
type Path = readonly PathSegment[];

function obj(v: unknown): Obj | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** `spec.ports[0].port` from a path, the way the API server names fields. */
function fieldName(path: Path, keyAt = -1): string {
  let out = "";
  for (const [i, seg] of path.entries()) {
    if (typeof seg === "number" || i === keyAt) out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${seg}]`;
  }
  return out;
}

function show(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
}

class Report {
  readonly list: SchemaProblem[] = [];
  private add(path: Path, message: string): void {
    this.list.push({ path: [...path], message, severity: 2, source: "apiserver" });
  }
  /** `keyAt`: index of a path segment that is a map key (`labels[app]`). */
  invalid(path: Path, value: unknown, detail: string, keyAt = -1): void {
    this.add(path, `${fieldName(path, keyAt)}: Invalid value: ${show(value)}: ${detail}`);
  }
  required(path: Path, detail = ""): void {
    this.add(path, `${fieldName(path)}: Required value${detail ? `: ${detail}` : ""}`);
  }
  duplicate(path: Path, value: unknown): void {
    this.add(path, `${fieldName(path)}: Duplicate value: ${show(value)}`);
  }
  unsupported(path: Path, value: unknown, allowed: string[]): void {
    this.add(path, `${fieldName(path)}: Unsupported value: ${show(value)}: supported values: ${allowed.map((a) => `"${a}"`).join(", ")}`);
  }
}

/** A string→string label map (metadata.labels, Service selector, matchLabels). */
function labelMap(r: Report, value: unknown, path: Path): void {
  const m = obj(value);
  if (!m) return;
  for (const k of Object.keys(m)) {
    const v = m[k];
    for (const e of qualifiedNameErrors(k)) r.invalid([...path, k], k, e, path.length);
    if (typeof v !== "string") continue;
    for (const e of labelValueErrors(v)) r.invalid([...path, k], v, e, path.length);
  }
}

function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v);
}
const PORT_RANGE = "must be between 1 and 65535, inclusive";
const PROTOCOLS = ["SCTP", "TCP", "UDP"];

// ---------------------------------------------------------------------------------------------
// Kinds

function metadataChecks(r: Report, object: Obj, nameFormat: "label" | "subdomain" | "1035"): void {
  r.list.push(...objectMetaTypeProblems(object.metadata));
  const md = obj(object.metadata);
  if (!md) return;
  const name = md.name;
  if (typeof name === "string") {
    const errs = nameFormat === "1035" ? dns1035LabelErrors(name) : nameFormat === "label" ? dns1123LabelErrors(name) : dns1123SubdomainErrors(name);
    for (const e of errs) r.invalid(["metadata", "name"], name, e);
  } else if (name === undefined && md.generateName === undefined) {
    r.required(["metadata", "name"], "name or generateName is required");
  }
  if (typeof md.namespace === "string" && md.namespace !== "") {
    for (const e of dns1123LabelErrors(md.namespace)) r.invalid(["metadata", "namespace"], md.namespace, e);
  }
  labelMap(r, md.labels, ["metadata", "labels"]);
}

/** ConfigMap `data` values are strings: `enabled: yes` or `port: 80` there fails to decode (quote them). */
function configMapChecks(r: Report, object: Obj): void {
  for (const field of ["data", "binaryData"] as const) {
    const map = object[field];
    if (map === undefined || map === null) continue;
    if (!obj(map)) {
      r.list.push({ path: [field], severity: 2, source: "apiserver", message: `json: cannot unmarshal ${goKind(map)} into Go struct field ConfigMap.${field} of type map[string]${field === "data" ? "string" : "[]uint8"}` });
      continue;
    }
    for (const [key, value] of Object.entries(map as Obj)) {
      if (value === null || typeof value === "string") continue;
      r.list.push({ path: [field, key], severity: 2, source: "apiserver", message: `json: cannot unmarshal ${goKind(value)} into Go struct field ConfigMap.${field} of type ${field === "data" ? "string" : "[]uint8"}` });
    }
  }
}

const SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];

function serviceChecks(r: Report, spec: Obj): void {
  const type = spec.type ?? "ClusterIP";
  if (typeof type === "string" && !SERVICE_TYPES.includes(type)) r.unsupported(["spec", "type"], type, SERVICE_TYPES);
  if (type === "ExternalName") {
    const en = spec.externalName;
    if (typeof en !== "string" || en === "") r.required(["spec", "externalName"]);
    else {
      const name = en.endsWith(".") ? en.slice(0, -1) : en;
      for (const e of dns1123SubdomainErrors(name)) r.invalid(["spec", "externalName"], en, e);
    }
  }
  const ports = arr(spec.ports);
  if (ports.length === 0 && type !== "ExternalName" && spec.clusterIP !== "None") r.required(["spec", "ports"]);
  const names = new Set<string>();
  const keys = new Set<string>();
  ports.forEach((port, i) => {
    const po = obj(port);
    if (!po) return;
    const pp = ["spec", "ports", i];
    const name = po.name;
    if (ports.length > 1 && (name === undefined || name === "")) r.required([...pp, "name"]);
    else if (typeof name === "string" && name !== "") {
      for (const e of dns1123LabelErrors(name)) r.invalid([...pp, "name"], name, e);
      if (names.has(name)) r.duplicate([...pp, "name"], name);
      names.add(name);
    }
    if (po.port === undefined) r.required([...pp, "port"]);
    else if (isInt(po.port) && (po.port < 1 || po.port > 65535)) r.invalid([...pp, "port"], po.port, PORT_RANGE);
    const protocol = po.protocol ?? "TCP";
    if (typeof protocol === "string" && !PROTOCOLS.includes(protocol)) r.unsupported([...pp, "protocol"], protocol, PROTOCOLS);
    if (isInt(po.port) && typeof protocol === "string") {
      const key = `${po.port}/${protocol}`;
      if (keys.has(key)) r.duplicate(pp, { port: po.port, protocol });
      keys.add(key);
    }
    const tp = po.targetPort;
    if (isInt(tp)) {
      if (tp < 1 || tp > 65535) r.invalid([...pp, "targetPort"], tp, PORT_RANGE);
    } else if (typeof tp === "string") {
      for (const e of ianaSvcNameErrors(tp)) r.invalid([...pp, "targetPort"], tp, e);
    }
    if (isInt(po.nodePort) && po.nodePort !== 0 && (po.nodePort < 1 || po.nodePort > 65535)) {
      r.invalid([...pp, "nodePort"], po.nodePort, PORT_RANGE);
    }
    if (typeof po.appProtocol === "string") {
      for (const e of qualifiedNameErrors(po.appProtocol)) r.invalid([...pp, "appProtocol"], po.appProtocol, e);
    }
  });
  labelMap(r, spec.selector, ["spec", "selector"]);
}

const CONTAINER_FIELDS = ["initContainers", "containers"];

function containerChecks(r: Report, podSpec: Obj, path: Path): void {
  const containers = podSpec.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    if (containers === undefined || Array.isArray(containers)) r.required([...path, "containers"]);
  }
  const names = new Set<string>();
  for (const field of CONTAINER_FIELDS) {
    arr(podSpec[field]).forEach((c, i) => {
      const co = obj(c);
      if (!co) return;
      const cp = [...path, field, i];
      if (co.name === undefined || co.name === "") r.required([...cp, "name"]);
      else if (typeof co.name === "string") {
        for (const e of dns1123LabelErrors(co.name)) r.invalid([...cp, "name"], co.name, e);
        if (names.has(co.name)) r.duplicate([...cp, "name"], co.name);
        names.add(co.name);
      }
      if (field === "containers" && (co.image === undefined || co.image === "")) r.required([...cp, "image"]);
      const portNames = new Set<string>();
      arr(co.ports).forEach((port, pi) => {
        const po = obj(port);
        if (!po) return;
        const pp = [...cp, "ports", pi];
        if (po.containerPort === undefined) r.required([...pp, "containerPort"]);
        else if (isInt(po.containerPort) && (po.containerPort < 1 || po.containerPort > 65535)) {
          r.invalid([...pp, "containerPort"], po.containerPort, PORT_RANGE);
        }
        if (isInt(po.hostPort) && po.hostPort !== 0 && (po.hostPort < 1 || po.hostPort > 65535)) {
          r.invalid([...pp, "hostPort"], po.hostPort, PORT_RANGE);
        }
        if (typeof po.name === "string" && po.name !== "") {
          for (const e of ianaSvcNameErrors(po.name)) r.invalid([...pp, "name"], po.name, e);
          if (portNames.has(po.name)) r.duplicate([...pp, "name"], po.name);
          portNames.add(po.name);
        }
        const protocol = po.protocol ?? "TCP";
        if (typeof protocol === "string" && !PROTOCOLS.includes(protocol)) r.unsupported([...pp, "protocol"], protocol, PROTOCOLS);
      });
    });
  }
}

function podTemplateChecks(r: Report, template: unknown, path: Path): Obj | undefined {
  const t = obj(template);
  if (!t) {
    if (template === undefined) r.required(path);
    return undefined;
  }
  const md = obj(t.metadata);
  if (md) labelMap(r, md.labels, [...path, "metadata", "labels"]);
  const spec = obj(t.spec);
  if (spec) containerChecks(r, spec, [...path, "spec"]);
  else if (t.spec === undefined) r.required([...path, "spec", "containers"]);
  return md ? obj(md.labels) : undefined;
}

/** Whether a LabelSelector selects the given labels. */
function selectorMatches(selector: Obj, labels: Obj): boolean {
  const matchLabels = obj(selector.matchLabels);
  if (matchLabels) {
    for (const k of Object.keys(matchLabels)) if (labels[k] !== matchLabels[k]) return false;
  }
  for (const e of arr(selector.matchExpressions)) {
    const ex = obj(e);
    if (!ex) continue;
    const key = String(ex.key);
    const values = arr(ex.values).map(String);
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    switch (ex.operator) {
      case "In":
        if (!has || !values.includes(String(labels[key]))) return false;
        break;
      case "NotIn":
        if (has && values.includes(String(labels[key]))) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
    }
  }
  return true;
}

function labelSelectorChecks(r: Report, selector: Obj, path: Path): void {
  labelMap(r, selector.matchLabels, [...path, "matchLabels"]);
  const ops = ["In", "NotIn", "Exists", "DoesNotExist"];
  arr(selector.matchExpressions).forEach((e, i) => {
    const ex = obj(e);
    if (!ex) return;
    const ep = [...path, "matchExpressions", i];
    if (typeof ex.key === "string") for (const m of qualifiedNameErrors(ex.key)) r.invalid([...ep, "key"], ex.key, m);
    if (typeof ex.operator === "string") {
      if (!ops.includes(ex.operator)) r.invalid([...ep, "operator"], ex.operator, "not a valid selector operator");
      else if ((ex.operator === "In" || ex.operator === "NotIn") && arr(ex.values).length === 0) {
        r.required([...ep, "values"], "must be specified when `operator` is 'In' or 'NotIn'");
      } else if ((ex.operator === "Exists" || ex.operator === "DoesNotExist") && arr(ex.values).length > 0) {
        r.invalid([...ep, "values"], ex.values, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
      }
    }
  });
}

function workloadChecks(r: Report, spec: Obj, templatePath: Path, selectorRequired: boolean): void {
  const templateLabels = podTemplateChecks(r, spec.template, templatePath);
  const selector = obj(spec.selector);
  if (!selector) {
    if (spec.selector === undefined && selectorRequired) r.required(["spec", "selector"]);
    return;
  }
  labelSelectorChecks(r, selector, ["spec", "selector"]);
  const empty = Object.keys(obj(selector.matchLabels) ?? {}).length === 0 && arr(selector.matchExpressions).length === 0;
  if (empty && selectorRequired) {
    r.invalid(["spec", "selector"], selector, "empty selector is invalid for deployment");
    return;
  }
  if (obj(spec.template) && !selectorMatches(selector, templateLabels ?? {})) {
    r.invalid([...templatePath, "metadata", "labels"], templateLabels ?? {}, "`selector` does not match template `labels`");
  }
}

/**
 * What the Kubernetes API server would reject in the mesh-relevant fields of a core, apps or
 * batch object. `source` is "apiserver", severity 2.
 */
export function kubernetesProblems(object: Record<string, unknown>): SchemaProblem[] {
  const r = new Report();
  if (!obj(object)) return r.list;
  const apiVersion = typeof object.apiVersion === "string" ? object.apiVersion : "";
  const kind = typeof object.kind === "string" ? object.kind : "";
  const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
  const spec = obj(object.spec);
  try {
    if (group === "") {
      switch (kind) {
        case "Service":
          metadataChecks(r, object, "1035");
          if (spec) serviceChecks(r, spec);
          break;
        case "Namespace":
          metadataChecks(r, object, "label");
          break;
        case "Pod":
          metadataChecks(r, object, "subdomain");
          if (spec) containerChecks(r, spec, ["spec"]);
          else if (object.spec === undefined) r.required(["spec", "containers"]);
          break;
        case "Endpoints":
        case "ServiceAccount":
        case "ConfigMap":
          metadataChecks(r, object, "subdomain");
          if (kind === "Endpoints") endpointsChecks(r, object);
          if (kind === "ConfigMap") configMapChecks(r, object);
          break;
      }
    } else if (group === "apps" && ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"].includes(kind)) {
      metadataChecks(r, object, kind === "StatefulSet" ? "label" : "subdomain");
      if (spec) workloadChecks(r, spec, ["spec", "template"], apiVersion === "apps/v1");
    } else if (group === "batch" && kind === "Job") {
      metadataChecks(r, object, "subdomain");
      if (spec) workloadChecks(r, spec, ["spec", "template"], false);
    } else if (group === "batch" && kind === "CronJob") {
      metadataChecks(r, object, "subdomain");
      const jobSpec = obj(obj(spec?.jobTemplate)?.spec);
      if (spec && typeof spec.schedule !== "string") r.required(["spec", "schedule"]);
      if (jobSpec) workloadChecks(r, jobSpec, ["spec", "jobTemplate", "spec", "template"], false);
      else if (spec && spec.jobTemplate === undefined) r.required(["spec", "jobTemplate"]);
    } else if (group === "discovery.k8s.io" && kind === "EndpointSlice") {
      metadataChecks(r, object, "subdomain");
      endpointSliceChecks(r, object);
    }
  } catch {
    // never throw on malformed input
  }
  // Job/CronJob selector paths: the selector is generated, template path fixed above.
  return r.list;
}

function endpointPortChecks(r: Report, ports: unknown, path: Path, requireNames: boolean): void {
  const list = arr(ports);
  const names = new Set<string>();
  list.forEach((port, i) => {
    const po = obj(port);
    if (!po) return;
    const pp = [...path, i];
    if (typeof po.name === "string" && po.name !== "") {
      for (const e of dns1123LabelErrors(po.name)) r.invalid([...pp, "name"], po.name, e);
      if (names.has(po.name)) r.duplicate([...pp, "name"], po.name);
      names.add(po.name);
    } else if (requireNames && list.length > 1) r.required([...pp, "name"]);
    if (isInt(po.port) && (po.port < 1 || po.port > 65535)) r.invalid([...pp, "port"], po.port, PORT_RANGE);
    const protocol = po.protocol ?? "TCP";
    if (typeof protocol === "string" && !PROTOCOLS.includes(protocol)) r.unsupported([...pp, "protocol"], protocol, PROTOCOLS);
  });
}

function endpointsChecks(r: Report, object: Obj): void {
  arr(object.subsets).forEach((ss, i) => {
    const so = obj(ss);
    if (!so) return;
    endpointPortChecks(r, so.ports, ["subsets", i, "ports"], true);
    for (const field of ["addresses", "notReadyAddresses"]) {
      arr(so[field]).forEach((a, ai) => {
        const ip = obj(a)?.ip;
        if (typeof ip === "string" && !isIP(ip)) r.invalid(["subsets", i, field, ai, "ip"], ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
      });
    }
  });
}

function endpointSliceChecks(r: Report, object: Obj): void {
  const types = ["IPv4", "IPv6", "FQDN"];
  const at = object.addressType;
  if (at === undefined) r.required(["addressType"]);
  else if (typeof at === "string" && !types.includes(at)) r.unsupported(["addressType"], at, types);
  endpointPortChecks(r, object.ports, ["ports"], false);
  arr(object.endpoints).forEach((e, i) => {
    const eo = obj(e);
    if (!eo) return;
    const addrs = eo.addresses;
    if (!Array.isArray(addrs) || addrs.length === 0) {
      if (addrs === undefined || Array.isArray(addrs)) r.required(["endpoints", i, "addresses"]);
      return;
    }
    addrs.forEach((a, ai) => {
      if (typeof a !== "string") return;
      const ap = ["endpoints", i, "addresses", ai];
      if (at === "IPv4" && !/^(\d{1,3})(\.\d{1,3}){3}$/.test(a)) r.invalid(ap, a, "must be a valid IPv4 address");
      if (at === "IPv6" && !(a.includes(":") && isIP(a))) r.invalid(ap, a, "must be a valid IPv6 address");
      if (at === "FQDN") for (const m of dns1123SubdomainErrors(a)) r.invalid(ap, a, m);
    });
  });
}

function isIP(v: string): boolean {
  if (/^(\d{1,3})(\.\d{1,3}){3}$/.test(v)) return v.split(".").every((x) => Number(x) <= 255);
  return /^[0-9a-fA-F:]+$/.test(v) && v.includes(":") && (v.match(/::/g) ?? []).length <= 1;
}
