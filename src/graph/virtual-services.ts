import type { NodePath } from "../load/types.js";
import type { MeshModel, Resource } from "../model/index.js";
import { resolveHost } from "../model/hosts.js";
import { asArray, asRecord, asString, readRecord } from "../model/resource.js";
import { resolveExportTo } from "./services.js";
import { SharedByIndex, sharedPath, type Provenance } from "./types.js";

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
  const dest = readRecord(value);
  const host = asString(dest.host);
  if (!host) return undefined;
  const port = readRecord(dest.port).number;
  return {
    host: resolveHost(host, namespace),
    hostWritten: host,
    subset: asString(dest.subset) || undefined,
    port: typeof port === "number" ? port : undefined,
    weight: typeof weight === "number" ? weight : undefined,
    provenance: { resource, path },
  };
}

/** The paths of the nodes of a route (`spec.http[0]`) that the graph points to. */
interface RoutePaths {
  route: NodePath;
  destinations: SharedByIndex<NodePath>;
  mirror: NodePath;
  mirrors: SharedByIndex<NodePath>;
}

function routePaths(protocol: RouteProtocol): SharedByIndex<RoutePaths> {
  return new SharedByIndex((index) => ({
    route: sharedPath("spec", protocol, index),
    destinations: new SharedByIndex((i) => sharedPath("spec", protocol, index, "route", i, "destination")),
    mirror: sharedPath("spec", protocol, index, "mirror"),
    mirrors: new SharedByIndex((i) => sharedPath("spec", protocol, index, "mirrors", i, "destination")),
  }));
}

const ROUTE_PATHS: Record<RouteProtocol, SharedByIndex<RoutePaths>> = { http: routePaths("http"), tls: routePaths("tls"), tcp: routePaths("tcp") };
const HOST_PATHS = new SharedByIndex((index) => sharedPath("spec", "hosts", index));
const GATEWAY_PATHS = new SharedByIndex((index) => sharedPath("spec", "gateways", index));

/** The routes of one protocol section (`http`, `tls`, `tcp`) of a VirtualService, appended to `routes`. */
function addRoutes(routes: VirtualServiceRoute[], resource: Resource, protocol: RouteProtocol, namespace: string): void {
  const section = resource.spec[protocol];
  if (!Array.isArray(section)) return;
  for (let index = 0; index < section.length; index++) {
    const route = asRecord(section[index]);
    const paths = ROUTE_PATHS[protocol].at(index);
    const destinations: RouteDestination[] = [];
    const targets = asArray(route.route);
    for (let i = 0; i < targets.length; i++) {
      const target = readRecord(targets[i]);
      const found = destination(target.destination, namespace, paths.destinations.at(i), resource, target.weight);
      if (found) destinations.push(found);
    }
    const mirrors: RouteDestination[] = [];
    const mirror = destination(route.mirror, namespace, paths.mirror, resource);
    if (mirror) mirrors.push(mirror);
    const mirrorList = route.mirrors;
    if (Array.isArray(mirrorList)) {
      for (let i = 0; i < mirrorList.length; i++) {
        const found = destination(readRecord(mirrorList[i]).destination, namespace, paths.mirrors.at(i), resource);
        if (found) mirrors.push(found);
      }
    }
    const delegate = readRecord(route.delegate);
    const delegateName = asString(delegate.name);
    routes.push({
      protocol,
      index,
      name: asString(route.name),
      matches: Array.isArray(route.match) ? route.match.map(asRecord) : [],
      destinations,
      mirrors,
      redirect: route.redirect ? asRecord(route.redirect) : undefined,
      directResponse: route.directResponse ? asRecord(route.directResponse) : undefined,
      delegate: delegateName ? { name: delegateName, namespace: asString(delegate.namespace) ?? namespace } : undefined,
      provenance: { resource, path: paths.route },
    });
  }
}

/** `gateways` when the field is absent: the sidecars of the mesh (shared, read-only). */
const MESH_ONLY: VirtualServiceInfo["gateways"] = Object.freeze([Object.freeze({ gateway: "mesh", written: "mesh" })]) as VirtualServiceInfo["gateways"];

export function virtualServiceInfo(resource: Resource): VirtualServiceInfo {
  const namespace = resource.namespace;
  const spec = resource.spec;
  const hosts: VirtualServiceInfo["hosts"] = [];
  const writtenHosts = asArray(spec.hosts);
  for (let index = 0; index < writtenHosts.length; index++) {
    const host = writtenHosts[index];
    if (typeof host === "string" && host) {
      hosts.push({ host: resolveHost(host, namespace), written: host, provenance: { resource, path: HOST_PATHS.at(index) } });
    }
  }
  const gateways =
    spec.gateways === undefined
      ? MESH_ONLY
      : asArray(spec.gateways)
          .filter((value): value is string => typeof value === "string")
          .map((written, index) => ({
            gateway: resolveGatewayName(written, namespace),
            written,
            provenance: { resource, path: GATEWAY_PATHS.at(index) },
          }));
  const routes: VirtualServiceRoute[] = [];
  addRoutes(routes, resource, "http", namespace);
  addRoutes(routes, resource, "tls", namespace);
  addRoutes(routes, resource, "tcp", namespace);
  return {
    resource,
    namespace,
    name: resource.name,
    hosts,
    gateways,
    exportTo: resolveExportTo(spec.exportTo, namespace),
    exportToWritten: spec.exportTo !== undefined,
    routes,
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
