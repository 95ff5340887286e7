/**
 * The Envoy configuration a proxy receives, named as `istioctl proxy-config` names it. Every object
 * keeps the resources (and YAML nodes) that produced it.
 */
import type { EffectiveDestinationRule, SubsetInfo } from "./destination-rules.js";
import type { GatewayInfo, GatewayServer } from "./gateways.js";
import type { EffectiveMtls } from "./peer-authentication.js";
import type { MeshService, Provenance, ServicePort, Workload } from "./types.js";
import type { VirtualServiceInfo, VirtualServiceRoute } from "./virtual-services.js";

export type ClientTlsMode = "DISABLE" | "SIMPLE" | "MUTUAL" | "ISTIO_MUTUAL";

/** The TLS a client proxy's cluster uses, and why. */
export interface ClusterTls {
  /**
   * The mode: explicit from a DestinationRule, or from auto mTLS (`ISTIO_MUTUAL` to endpoints with a
   * sidecar and plaintext to the others, unless the service's mode is inferred as DISABLE).
   */
  mode: ClientTlsMode;
  /** `destination-rule` (explicit `tls`), `auto` (auto mTLS), `none` (auto mTLS off and no DestinationRule TLS). */
  source: "destination-rule" | "auto" | "none";
  /** Where the explicit setting is written. */
  provenance?: Provenance;
  /** For auto mTLS: the namespace- or mesh-level PeerAuthentication the inference used. */
  inferredFrom?: EffectiveMtls;
  /**
   * Set when the cluster has no `tls` of its own (a `portLevelSettings` entry without `tls` replaced
   * the policy that had one) yet the DestinationRule's mode for the port marks its endpoints, as
   * istiod's EDS does for auto mTLS: Istio mTLS to every endpoint when that mode is ISTIO_MUTUAL,
   * plaintext to every endpoint otherwise (`mode` is then DISABLE; this keeps the mode written).
   */
  endpointsMarkedBy?: ClientTlsMode;
}

export interface Endpoint {
  /** The workload behind the endpoint, or undefined for a ServiceEntry address. */
  workload?: Workload;
  address?: string;
  /** The port the endpoint listens on (target port). */
  port: number;
  labels: Readonly<Record<string, string>>;
  /** Whether the endpoint runs an Istio proxy (sidecar or gateway) that terminates Istio mTLS. */
  sidecar: boolean;
  provenance: Provenance;
}

export interface Cluster {
  /** `outbound|9080|v1|reviews.default.svc.cluster.local`, `inbound|9080||`, `BlackHoleCluster`, ... */
  name: string;
  direction: "outbound" | "inbound" | "special";
  type: "EDS" | "STRICT_DNS" | "LOGICAL_DNS" | "ORIGINAL_DST" | "STATIC";
  service?: MeshService;
  port?: ServicePort;
  subset?: SubsetInfo;
  destinationRule?: EffectiveDestinationRule;
  /** The traffic policy in force after precedence (subset port-level > subset > port-level > top-level). */
  trafficPolicy?: Record<string, unknown>;
  tls?: ClusterTls;
  /** Endpoints (computed on first access). */
  endpoints(): Endpoint[];
  provenance: Provenance[];
}

export interface WeightedCluster {
  name: string;
  weight: number;
  /** Whether the proxy has this cluster; a route to a missing cluster gets 503 NC. */
  exists: boolean;
  /** The route destination it came from. */
  provenance?: Provenance;
}

export type RouteAction =
  | { kind: "route"; clusters: WeightedCluster[]; mirrors: WeightedCluster[] }
  | { kind: "redirect"; redirect: Record<string, unknown> }
  | { kind: "directResponse"; status: number }
  | { kind: "delegate"; delegate: { name: string; namespace: string } };

export interface Route {
  /** The route's name (VirtualService route name, or `default` for the generated default route). */
  name: string;
  /** Match conditions of one VirtualService match entry (or `{}`: everything). */
  match: Record<string, unknown>;
  /** Index of the match entry in the VirtualService route (a route with several entries becomes several Envoy routes). */
  matchIndex?: number;
  action: RouteAction;
  virtualService?: VirtualServiceInfo;
  vsRoute?: VirtualServiceRoute;
  provenance?: Provenance;
}

export interface VirtualHost {
  /** `reviews.default.svc.cluster.local:9080`, or `bookinfo.example.com:80` on a gateway. */
  name: string;
  domains: string[];
  routes: Route[];
  service?: MeshService;
  /** The VirtualServices whose routes this virtual host holds (several on a gateway, merged). */
  virtualServices: VirtualServiceInfo[];
}

export interface RouteConfiguration {
  /** `9080` for sidecars; `http.8080` or `https.443.https.gw.ns` on gateways. */
  name: string;
  virtualHosts: VirtualHost[];
}

export interface FilterChain {
  /** What selects the chain: SNI server names, destination port, transport protocol. */
  match: { serverNames?: string[]; destinationPort?: number; transportProtocol?: "tls" | "raw_buffer" };
  /** Inbound: the TLS mode the effective PeerAuthentication gives the port. */
  mtls?: EffectiveMtls;
  /** TCP proxy target (TCP/TLS routes) or the HTTP route configuration. */
  routeConfigName?: string;
  clusters?: WeightedCluster[];
  /** Gateway server TLS mode (SIMPLE, MUTUAL, PASSTHROUGH, ISTIO_MUTUAL, AUTO_PASSTHROUGH). */
  tlsMode?: string;
  provenance: Provenance[];
}

export interface Listener {
  /** `0.0.0.0_9080`, `10.0.0.1_3306`, `virtualInbound`, `0.0.0.0_8080` on a gateway. */
  name: string;
  address: string;
  port: number;
  direction: "outbound" | "inbound" | "gateway";
  /** `http` listeners route with a route configuration; `tcp`/`tls` forward; `auto` sniffs. */
  protocol: "http" | "tcp" | "tls" | "auto";
  routeConfigName?: string;
  filterChains: FilterChain[];
  /** For gateway listeners: the Gateway servers bound to it. */
  servers?: { gateway: GatewayInfo; server: GatewayServer }[];
  provenance: Provenance[];
}

export function outboundClusterName(port: number, subset: string | undefined, host: string): string {
  return `outbound|${port}|${subset ?? ""}|${host}`;
}

export function inboundClusterName(port: number): string {
  return `inbound|${port}||`;
}
