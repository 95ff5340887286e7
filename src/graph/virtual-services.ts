import type { NodePath } from "../load/types.js";
import type { MeshModel, Resource } from "../model/index.js";
import { resolveHost } from "../model/hosts.js";
import { asArray, asRecord, asString } from "../model/resource.js";
import { resolveExportTo } from "./services.js";
import type { Provenance } from "./types.js";

/** A route destination (or mirror), its host resolved against the VirtualService's namespace. */
export interface RouteDestination {
  /** FQDN (or wildcard / external host) as Istio resolves it. */
  host: string;
  /** The host as written. */
  hostWritten: string;
  subset?: string;
  port?: number;
  weight?: number;
  /** Path of the `destination` (or `mirror`) node. */
  provenance: Provenance;
}

export type RouteProtocol = "http" | "tcp" | "tls";

/** One route (an element of `http`, `tcp` or `tls`) of a VirtualService. */
export interface VirtualServiceRoute {
  protocol: RouteProtocol;
  index: number;
  name?: string;
  /** The `match` entries as written (empty: matches everything). */
  matches: Record<string, unknown>[];
  destinations: RouteDestination[];
  mirrors: RouteDestination[];
  redirect?: Record<string, unknown>;
  directResponse?: Record<string, unknown>;
  /** `delegate: {name, namespace}` of a root VirtualService route. */
  delegate?: { name: string; namespace: string };
  provenance: Provenance;
}

export interface VirtualServiceInfo {
  resource: Resource;
  namespace: string;
  name: string;
  /** Hosts resolved against the VirtualService's namespace, in written order. */
  hosts: { host: string; written: string; provenance: Provenance }[];
  /** Gateways as `namespace/name`, or `mesh`; `["mesh"]` when the field is absent. */
  gateways: { gateway: string; written: string; provenance?: Provenance }[];
  exportTo: "*" | ReadonlySet<string>;
  /** Whether `exportTo` was written (Istio orders VirtualServices private to a namespace first). */
  exportToWritten: boolean;
  routes: VirtualServiceRoute[];
  /** A delegate VirtualService (no hosts): only effective when a root delegates to it. */
  delegate: boolean;
}

/**
 * Resolves a VirtualService `gateways` entry: `mesh`; `ns/name` (`./name`: the VirtualService's
 * namespace); the legacy `name.ns` form; else a Gateway in the VirtualService's own namespace.
 */
export function resolveGatewayName(written: string, namespace: string): string {
  if (written === "mesh") return "mesh";
  if (written.startsWith("./")) return `${namespace}/${written.slice(2)}`;
  if (written.includes("/")) return written;
  const dot = written.indexOf(".");
  if (dot !== -1) return `${written.slice(dot + 1).split(".")[0]}/${written.slice(0, dot)}`;
  return `${namespace}/${written}`;
}

function destination(value: unknown, namespace: string, path: NodePath, resource: Resource, weight?: unknown): RouteDestination | undefined {
  const dest = asRecord(value);
  const host = asString(dest.host);
  if (!host) return undefined;
  const port = asRecord(dest.port).number;
  return {
    host: resolveHost(host, namespace),
    hostWritten: host,
    subset: asString(dest.subset) || undefined,
    port: typeof port === "number" ? port : undefined,
    weight: typeof weight === "number" ? weight : undefined,
    provenance: { resource, path },
  };
}

function routesOf(resource: Resource, protocol: RouteProtocol, namespace: string): VirtualServiceRoute[] {
  return asArray(resource.spec[protocol]).map((entry, index) => {
    const route = asRecord(entry);
    const base: NodePath = ["spec", protocol, index];
    const destinations = asArray(route.route).flatMap((item, i) => {
      const found = destination(asRecord(item).destination, namespace, [...base, "route", i, "destination"], resource, asRecord(item).weight);
      return found ? [found] : [];
    });
    const mirrors: RouteDestination[] = [];
    const mirror = destination(route.mirror, namespace, [...base, "mirror"], resource);
    if (mirror) mirrors.push(mirror);
    asArray(route.mirrors).forEach((item, i) => {
      const found = destination(asRecord(item).destination, namespace, [...base, "mirrors", i, "destination"], resource);
      if (found) mirrors.push(found);
    });
    const delegate = asRecord(route.delegate);
    const delegateName = asString(delegate.name);
    return {
      protocol,
      index,
      name: asString(route.name),
      matches: asArray(route.match).map((match) => asRecord(match)),
      destinations,
      mirrors,
      redirect: route.redirect ? asRecord(route.redirect) : undefined,
      directResponse: route.directResponse ? asRecord(route.directResponse) : undefined,
      delegate: delegateName ? { name: delegateName, namespace: asString(delegate.namespace) ?? namespace } : undefined,
      provenance: { resource, path: base },
    };
  });
}

export function virtualServiceInfo(resource: Resource): VirtualServiceInfo {
  const namespace = resource.namespace;
  const spec = resource.spec;
  const hosts = asArray(spec.hosts).flatMap((host, index) =>
    typeof host === "string" && host
      ? [{ host: resolveHost(host, namespace), written: host, provenance: { resource, path: ["spec", "hosts", index] } }]
      : [],
  );
  const writtenGateways = asArray(spec.gateways).filter((value): value is string => typeof value === "string");
  const gateways = spec.gateways === undefined
    ? [{ gateway: "mesh", written: "mesh" }]
    : writtenGateways.map((written, index) => ({
        gateway: resolveGatewayName(written, namespace),
        written,
        provenance: { resource, path: ["spec", "gateways", index] },
      }));
  return {
    resource,
    namespace,
    name: resource.name,
    hosts,
    gateways,
    exportTo: resolveExportTo(spec.exportTo, namespace),
    exportToWritten: spec.exportTo !== undefined,
    routes: [...routesOf(resource, "http", namespace), ...routesOf(resource, "tls", namespace), ...routesOf(resource, "tcp", namespace)],
    delegate: spec.hosts === undefined || hosts.length === 0,
  };
}

/** Istio's order for VirtualServices (and DestinationRules): creation time, then name, then namespace. */
export function configOrder(a: Resource, b: Resource): number {
  const ta = a.creationTimestamp ?? "";
  const tb = b.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0;
}

/** Every VirtualService of the input, normalized, in Istio's order. */
export function collectVirtualServices(model: MeshModel): VirtualServiceInfo[] {
  return (model.byKind.get("VirtualService") ?? [])
    .filter((resource) => resource.group.endsWith("istio.io"))
    .sort(configOrder)
    .map(virtualServiceInfo);
}
