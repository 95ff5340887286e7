import type { MeshModel, Resource } from "../model/index.js";
import { resourcesOfKind } from "../model/index.js";
import { hostMatches, serviceHost } from "../model/hosts.js";
import { asArray, asRecord, asString, hasKeys, stringMap, selectorMap } from "../model/resource.js";
import { SharedByIndex, sharedPath, type MeshService, type PortKind, type Protocol, type ServicePort } from "./types.js";

const PROTOCOL_PREFIXES: Record<string, Protocol> = {
  http: "HTTP",
  http2: "HTTP2",
  h2c: "HTTP2",
  https: "HTTPS",
  grpc: "GRPC",
  "grpc-web": "GRPC-Web",
  tcp: "TCP",
  tls: "TLS",
  mongo: "MONGO",
  mysql: "MYSQL",
  redis: "REDIS",
  udp: "UDP",
};

/** Istio's protocol from a protocol string (ServiceEntry `protocol`, `appProtocol`), case-insensitive. */
export function parseProtocol(value: string | undefined): Protocol | undefined {
  if (!value) return undefined;
  const lower = value.toLowerCase();
  if (lower === "kubernetes.io/h2c") return "HTTP2";
  if (lower === "kubernetes.io/ws" || lower === "kubernetes.io/wss") return "HTTP";
  return PROTOCOL_PREFIXES[lower];
}

/** Ports Istio treats as TCP when neither the name nor `appProtocol` declares a protocol (SMTP, DNS, MySQL, MongoDB). */
export const WELL_KNOWN_TCP_PORTS: ReadonlySet<number> = new Set([25, 53, 3306, 27017]);

const GRPC_WEB_PREFIX = /^grpc-web/i;
const DIGITS = /^\d+$/;

/**
 * The protocol of a Kubernetes Service port, as Istio derives it (`kube.ConvertProtocol`): UDP from
 * `protocol`; else `appProtocol` when set (the name is then ignored), else the port name, by its
 * prefix before `-` (`http-web`, `grpc`, `tcp-db`; `grpc-web` as a whole); else TCP for the
 * well-known ports (25, 53, 3306, 27017, when `port` is given); else unknown (sniffed).
 */
export function servicePortProtocol(port: { name?: string; appProtocol?: string; protocol?: string; port?: number }): {
  protocol: Protocol;
  explicit: boolean;
} {
  if (port.protocol?.toUpperCase() === "UDP") return { protocol: "UDP", explicit: true };
  const declared = port.appProtocol ?? port.name ?? "";
  if (port.appProtocol !== undefined) {
    const standard = port.appProtocol.toLowerCase();
    if (standard === "kubernetes.io/h2c") return { protocol: "HTTP2", explicit: true };
    if (standard === "kubernetes.io/ws") return { protocol: "HTTP", explicit: true };
    if (standard === "kubernetes.io/wss") return { protocol: "HTTPS", explicit: true };
  }
  if (declared) {
    if (GRPC_WEB_PREFIX.test(declared)) return { protocol: "GRPC-Web", explicit: true };
    const dash = declared.indexOf("-");
    const prefix = (dash === -1 ? declared : declared.slice(0, dash)).toLowerCase();
    // Istio's protocol.Parse knows no `h2c` (only the appProtocol `kubernetes.io/h2c`).
    const fromName = prefix === "h2c" ? undefined : parseProtocol(prefix);
    if (fromName) return { protocol: fromName, explicit: true };
  }
  if (port.port !== undefined && WELL_KNOWN_TCP_PORTS.has(port.port)) return { protocol: "TCP", explicit: false };
  return { protocol: "UNSUPPORTED", explicit: false };
}

export function portKind(protocol: Protocol): PortKind {
  switch (protocol) {
    case "HTTP":
    case "HTTP2":
    case "GRPC":
    case "GRPC-Web":
      return "http";
    case "HTTPS":
    case "TLS":
      return "tls";
    case "UNSUPPORTED":
      return "auto";
    default:
      return "tcp";
  }
}

/** Parses an exportTo list (`*`, `.`, `~`, namespaces) into the namespaces it reaches. */
export function resolveExportTo(values: unknown, namespace: string): "*" | ReadonlySet<string> {
  if (!Array.isArray(values)) return "*";
  const list = asArray(values).filter((value): value is string => typeof value === "string");
  if (list.length === 0 || list.includes("*")) return "*";
  const set = new Set<string>();
  for (const value of list) {
    if (value === ".") set.add(namespace);
    else if (value !== "~") set.add(value);
  }
  return set;
}

export function isExportedTo(exportTo: "*" | ReadonlySet<string>, namespace: string): boolean {
  return exportTo === "*" || exportTo.has(namespace);
}

const PORT_PATHS = new SharedByIndex((index) => sharedPath("spec", "ports", index));

function kubernetesService(resource: Resource, domainSuffix: string): MeshService {
  const spec = resource.spec;
  const type = asString(spec.type) ?? "ClusterIP";
  const ports: ServicePort[] = [];
  const written = asArray(spec.ports);
  for (let index = 0; index < written.length; index++) {
    const port = asRecord(written[index]);
    const number = typeof port.port === "number" ? port.port : Number(port.port);
    if (!Number.isInteger(number)) continue;
    const name = asString(port.name) ?? "";
    const { protocol, explicit } = servicePortProtocol({
      name,
      appProtocol: asString(port.appProtocol),
      protocol: asString(port.protocol),
      port: number,
    });
    const targetPort = typeof port.targetPort === "number" || typeof port.targetPort === "string" ? port.targetPort : undefined;
    ports.push({
      name,
      port: number,
      targetPort: typeof targetPort === "string" && DIGITS.test(targetPort) ? Number(targetPort) : targetPort,
      protocol,
      explicitProtocol: explicit,
      kind: portKind(protocol),
      provenance: { resource, path: PORT_PATHS.at(index) },
    });
  }
  const selector = spec.selector && typeof spec.selector === "object" ? selectorMap(spec.selector) : undefined;
  const clusterIP = asString(spec.clusterIP);
  const exportAnnotation = resource.annotations["networking.istio.io/exportTo"];
  return {
    hostname: serviceHost(resource.name, resource.namespace, domainSuffix),
    namespace: resource.namespace,
    name: resource.name,
    origin: "Service",
    resource,
    ports,
    exportTo: exportAnnotation ? resolveExportTo(exportAnnotation.split(",").map((v) => v.trim()), resource.namespace) : "*",
    location: "MESH_INTERNAL",
    resolution: clusterIP === "None" ? "Headless" : type,
    addresses: clusterIP && clusterIP !== "None" ? [clusterIP] : [],
    selector: selector && hasKeys(selector) ? selector : undefined,
    staticEndpoints: [],
    externalName: type === "ExternalName" ? asString(spec.externalName) : undefined,
  };
}

function serviceEntryServices(resource: Resource): MeshService[] {
  const spec = resource.spec;
  const ports: ServicePort[] = asArray(spec.ports).flatMap((entry, index) => {
    const port = asRecord(entry);
    if (typeof port.number !== "number") return [];
    const parsed = parseProtocol(asString(port.protocol));
    const protocol = parsed ?? "UNSUPPORTED";
    return [
      {
        name: asString(port.name) ?? "",
        port: port.number,
        targetPort: typeof port.targetPort === "number" ? port.targetPort : undefined,
        protocol,
        explicitProtocol: parsed !== undefined,
        kind: portKind(protocol),
        provenance: { resource, path: ["spec", "ports", index] },
      },
    ];
  });
  const workloadSelector = selectorMap(asRecord(spec.workloadSelector).labels);
  const staticEndpoints = asArray(spec.endpoints).map((entry, index) => {
    const endpoint = asRecord(entry);
    const endpointPorts: Record<string, number> = {};
    for (const [name, value] of Object.entries(asRecord(endpoint.ports))) if (typeof value === "number") endpointPorts[name] = value;
    return {
      address: asString(endpoint.address) ?? "",
      ports: endpointPorts,
      labels: stringMap(endpoint.labels),
      provenance: { resource, path: ["spec", "endpoints", index] },
    };
  });
  const exportTo = resolveExportTo(spec.exportTo, resource.namespace);
  const location = spec.location === "MESH_INTERNAL" ? "MESH_INTERNAL" : "MESH_EXTERNAL";
  const addresses = asArray(spec.addresses).filter((value): value is string => typeof value === "string");
  return asArray(spec.hosts)
    .filter((host): host is string => typeof host === "string" && host.length > 0)
    .map((hostname) => ({
      hostname,
      namespace: resource.namespace,
      name: resource.name,
      origin: "ServiceEntry" as const,
      resource,
      ports,
      exportTo,
      location,
      resolution: asString(spec.resolution) ?? "NONE",
      addresses,
      selector: Object.keys(workloadSelector).length > 0 ? workloadSelector : undefined,
      staticEndpoints,
    }));
}

/**
 * Istio's service registry: every Kubernetes Service and every ServiceEntry host, indexed by host.
 * Several entries may share a host (a Service and a ServiceEntry, or ServiceEntries in several
 * namespaces); which one a proxy sees depends on its namespace (`exportTo`).
 */
export class ServiceRegistry {
  readonly services: MeshService[] = [];
  private readonly byHost = new Map<string, MeshService[]>();
  /** The entries with a wildcard host (`*.example.com`), in order. */
  readonly wildcards: MeshService[] = [];

  constructor(model: MeshModel, domainSuffix = "cluster.local") {
    for (const resource of resourcesOfKind(model, "Service")) {
      if (resource.group !== "") continue;
      this.add(kubernetesService(resource, domainSuffix));
    }
    for (const resource of resourcesOfKind(model, "ServiceEntry")) {
      if (!resource.group.endsWith("istio.io")) continue;
      for (const service of serviceEntryServices(resource)) this.add(service);
    }
  }

  private add(service: MeshService): void {
    this.services.push(service);
    if (service.hostname.startsWith("*")) this.wildcards.push(service);
    const list = this.byHost.get(service.hostname);
    if (list) list.push(service);
    else this.byHost.set(service.hostname, [service]);
  }

  /** Entries with exactly this host name. */
  exact(hostname: string): readonly MeshService[] {
    return this.byHost.get(hostname) ?? [];
  }

  /**
   * The service a proxy in `namespace` reaches for `hostname`: an exact host first, else the most
   * specific wildcard ServiceEntry host that matches; only services exported to that namespace.
   * A wildcard `hostname` (a VirtualService host like `*.example.com`) matches services it covers.
   */
  lookup(hostname: string, namespace: string): MeshService | undefined {
    const candidates = this.exact(hostname);
    // The common case: one entry for the host, exported everywhere.
    if (candidates.length === 1 && candidates[0].exportTo === "*") return candidates[0];
    const visible = (service: MeshService) => isExportedTo(service.exportTo, namespace);
    const exact = candidates.filter(visible);
    if (exact.length > 0) return preferred(exact, namespace);
    let best: MeshService | undefined;
    for (const service of this.wildcards) {
      if (!visible(service) || !hostMatches(service.hostname, hostname)) continue;
      if (!best || service.hostname.length > best.hostname.length) best = service;
    }
    return best;
  }

  /** Every service, visible from `namespace`, whose host a (possibly wildcard) host pattern covers. */
  matching(pattern: string, namespace: string): MeshService[] {
    const visible = (service: MeshService) => isExportedTo(service.exportTo, namespace);
    if (!pattern.startsWith("*")) {
      const found = this.lookup(pattern, namespace);
      return found ? [found] : [];
    }
    return this.services.filter((service) => visible(service) && hostMatches(pattern, service.hostname));
  }
}

/** Among entries for one host, Istio prefers the one in the client's own namespace, then the oldest. */
function preferred(entries: MeshService[], namespace: string): MeshService {
  return entries.find((service) => service.namespace === namespace) ?? entries[0];
}
