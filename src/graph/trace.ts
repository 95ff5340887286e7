/**
 * Follows one request through the translated graph, hop by hop, the way Envoy would: the source
 * proxy's listener, route configuration, virtual host (Envoy's domain matching), the first route
 * whose Istio match conditions accept the request, the weighted clusters, their endpoints and the
 * TLS both ends use — and on through the next proxy when the endpoints are a gateway (mesh → egress
 * gateway → external host).
 */
import { RE2JS } from "re2js";
import { hostMatches } from "../model/hosts.js";
import { asArray, asRecord, asString, type Resource } from "../model/resource.js";
import type { Cluster, ClientTlsMode, Endpoint, Listener, Route, VirtualHost, WeightedCluster } from "./envoy.js";
import type { MeshGraph } from "./index.js";
import { OutboundScope, graphDelegateResolver, translateHttpRoutes } from "./outbound.js";
import { serverHostsFor, type Proxy } from "./proxies.js";
import { Positions, resourceRef, type Position, type ResourceRef } from "./render/provenance.js";
import type { MeshService, Provenance, Workload } from "./types.js";

export interface TraceInput {
  /** `namespace/workload` of the client proxy (a sidecar workload or a gateway). */
  from: string;
  /** `http://host[:port]/path?query` or `https://…`. */
  url: string;
  method?: string;
  /** Request headers (names are case-insensitive; `host` sets the authority). */
  headers?: Record<string, string>;
}

export type TraceOutcome =
  | "delivered"
  | "404 NR"
  | "503 NC"
  | "503 UH"
  | "TLS mismatch (connection reset)"
  | "passthrough"
  | "blackhole"
  | "no listener"
  | "redirect"
  | "direct response";

/** Outcomes that are not failures (exit 0). */
export const SUCCESS_OUTCOMES: ReadonlySet<TraceOutcome> = new Set(["delivered", "passthrough", "redirect"]);

export interface TraceRequest {
  method: string;
  url: string;
  scheme: "http" | "https";
  host: string;
  port: number;
  authority: string;
  path: string;
  headers: Record<string, string>;
}

export interface TraceEndpoint {
  /** `namespace/name` of the workload behind the endpoint. */
  workload?: string;
  kind?: string;
  address?: string;
  port: number;
  sidecar: boolean;
}

export interface TraceTls {
  /** What the client proxy sends: `ISTIO_MUTUAL`, `DISABLE` (plaintext), `SIMPLE`, `MUTUAL`. */
  client: ClientTlsMode;
  /** `destination-rule` (explicit), `auto` (auto mTLS), `none`. */
  clientSource: string;
  clientFrom?: Position;
  /** What the server accepts: `STRICT`, `PERMISSIVE`, `DISABLE`, `no sidecar: plaintext only`, a gateway server's mode, `external`. */
  server: string;
  serverFrom?: Position;
  ok: boolean;
}

export interface TraceCluster {
  name: string;
  weight: number;
  exists: boolean;
  outcome: TraceOutcome | "forwarded";
  reason?: string;
  endpoints?: TraceEndpoint[];
  tls?: TraceTls;
  /** The route destination it came from. */
  destination?: Position;
}

export interface TraceHop {
  proxy: string;
  proxyKind: "sidecar" | "gateway";
  listener: string | null;
  /** The filter chain (gateway SNI / TCP target) when that decided the way. */
  filterChain?: string;
  routeConfig: string | null;
  virtualHost: string | null;
  route: {
    name: string;
    resource: ResourceRef | null;
    file?: string;
    line?: number;
    match: Record<string, unknown>;
    action: string;
  } | null;
  clusters: TraceCluster[];
  /** The cluster the trace follows (the heaviest existing one). */
  cluster: string | null;
  endpoints: TraceEndpoint[];
  tls: TraceTls | null;
  outcome: TraceOutcome | "forwarded";
  reason: string;
}

export interface TraceResult {
  request: TraceRequest;
  hops: TraceHop[];
  outcome: TraceOutcome;
  reason: string;
}

export class TraceError extends Error {
  constructor(
    message: string,
    readonly proxies: string[] = [],
  ) {
    super(message);
  }
}

/** Parses the request; throws TraceError for a URL Envoy would never see. */
export function parseRequest(input: Pick<TraceInput, "url" | "method" | "headers">): TraceRequest {
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    throw new TraceError(`"${input.url}" is not a URL (write it as http://host[:port]/path)`);
  }
  const scheme = url.protocol.replace(/:$/, "").toLowerCase();
  if (scheme !== "http" && scheme !== "https") throw new TraceError(`the URL's scheme must be http or https, not ${scheme}`);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers ?? {})) headers[name.toLowerCase()] = value;
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = url.port ? Number(url.port) : scheme === "https" ? 443 : 80;
  const authority = (headers.host ?? headers[":authority"] ?? (url.port ? `${host}:${port}` : host)).toLowerCase();
  delete headers.host;
  delete headers[":authority"];
  return {
    method: (input.method ?? "GET").toUpperCase(),
    url: input.url,
    scheme,
    host,
    port,
    authority,
    path: `${url.pathname || "/"}${url.search}`,
    headers,
  };
}

// ---------------------------------------------------------------------------------------------
// Envoy matching

/** Envoy's virtual host selection: exact domain, then the longest `*.suffix`, the longest `prefix*`, then `*`. */
export function matchVirtualHost(virtualHosts: readonly VirtualHost[], authority: string): VirtualHost | undefined {
  const host = authority.toLowerCase();
  let suffix: { vh: VirtualHost; length: number } | undefined;
  let prefix: { vh: VirtualHost; length: number } | undefined;
  let any: VirtualHost | undefined;
  for (const vh of virtualHosts) {
    for (const raw of vh.domains) {
      const domain = raw.toLowerCase();
      if (domain === host) return vh;
      if (domain === "*") any ??= vh;
      else if (domain.startsWith("*")) {
        const rest = domain.slice(1);
        if (host.length > rest.length && host.endsWith(rest) && (!suffix || rest.length > suffix.length)) suffix = { vh, length: rest.length };
      } else if (domain.endsWith("*")) {
        const rest = domain.slice(0, -1);
        if (host.length > rest.length && host.startsWith(rest) && (!prefix || rest.length > prefix.length)) prefix = { vh, length: rest.length };
      }
    }
  }
  return suffix?.vh ?? prefix?.vh ?? any;
}

/**
 * The host Envoy matches against virtual host domains: istiod sets `ignore_port_in_host_matching` on
 * sidecar outbound (httproute.go buildSidecarOutboundHTTPRouteConfig) and gateway
 * (gateway.go buildGatewayRoutes) route configurations, so a `:port` suffix of the Host is dropped.
 * The `:authority` header itself keeps it (route `authority` / header matches see the port).
 */
export function hostForVirtualHostMatching(authority: string): string {
  const match = /^(\[[^\]]*\]|[^:]*):\d+$/.exec(authority);
  return match ? match[1] : authority;
}

const regexCache = new Map<string, RE2JS | null>();

function fullMatch(pattern: string, value: string): boolean {
  let compiled = regexCache.get(pattern);
  if (compiled === undefined) {
    try {
      compiled = RE2JS.compile(pattern);
    } catch {
      compiled = null;
    }
    regexCache.set(pattern, compiled);
  }
  return compiled ? compiled.matches(value) : false;
}

/** An Istio StringMatch (`exact`, `prefix`, `regex`) against a value; an empty match means "present". */
export function stringMatches(match: unknown, value: string | undefined, ignoreCase = false): boolean {
  if (value === undefined) return false;
  const m = asRecord(match);
  const fold = (s: string) => (ignoreCase ? s.toLowerCase() : s);
  const exact = asString(m.exact);
  if (exact !== undefined) return fold(value) === fold(exact);
  const prefix = asString(m.prefix);
  if (prefix !== undefined) return fold(value).startsWith(fold(prefix));
  const regex = asString(m.regex);
  if (regex !== undefined) return regex === "*" ? true : fullMatch(regex, value);
  return true;
}

/** Whether istiod turns a StringMatch into an Envoy present_match (`{}` or regex `*`). */
function isPresenceMatch(match: unknown): boolean {
  const m = asRecord(match);
  const regex = asString(m.regex);
  if (regex !== undefined) return regex === "*";
  return asString(m.exact) === undefined && asString(m.prefix) === undefined;
}

export interface RouteContext {
  request: TraceRequest;
  /** The workload whose proxy evaluates the route (for `sourceLabels` / `sourceNamespace`). */
  source: Workload;
}

function headerValue(request: TraceRequest, name: string): string | undefined {
  const key = name.toLowerCase();
  if (key === ":authority" || key === "host") return request.authority;
  if (key === ":method") return request.method;
  if (key === ":path") return request.path;
  if (key === ":scheme") return request.scheme;
  return request.headers[key];
}

/** Whether one Istio HTTPMatchRequest accepts the request (all its conditions hold). */
export function routeMatches(match: Record<string, unknown>, context: RouteContext): boolean {
  const { request, source } = context;
  const pathOnly = request.path.split("?")[0];
  if (match.uri !== undefined) {
    const uri = asRecord(match.uri);
    const ignoreCase = match.ignoreUriCase === true;
    if (uri.exact !== undefined && !stringMatches({ exact: uri.exact }, pathOnly, ignoreCase)) return false;
    if (uri.prefix !== undefined && !stringMatches({ prefix: uri.prefix }, request.path, ignoreCase)) return false;
    if (uri.regex !== undefined && !stringMatches({ regex: uri.regex }, pathOnly)) return false;
  }
  if (match.scheme !== undefined && !stringMatches(match.scheme, request.scheme)) return false;
  if (match.method !== undefined && !stringMatches(match.method, request.method)) return false;
  if (match.authority !== undefined && !stringMatches(match.authority, request.authority)) return false;
  for (const [name, condition] of Object.entries(asRecord(match.headers))) {
    if (!stringMatches(condition, headerValue(request, name))) return false;
  }
  // istiod inverts the matcher and, unless it is a presence match, sets treat_missing_header_as_empty:
  // a missing header is matched as "" (route.go TranslateRouteMatch).
  for (const [name, condition] of Object.entries(asRecord(match.withoutHeaders))) {
    const value = headerValue(request, name);
    if (value === undefined ? !isPresenceMatch(condition) && stringMatches(condition, "") : stringMatches(condition, value)) return false;
  }
  if (match.queryParams !== undefined) {
    const query = new URLSearchParams(request.path.includes("?") ? request.path.slice(request.path.indexOf("?") + 1) : "");
    // Envoy matches the first value of the parameter; `{}` and regex `*` are present_match
    // (translateQueryParamMatch); exact/prefix/regex are value matches.
    for (const [name, condition] of Object.entries(asRecord(match.queryParams))) {
      const value = query.get(name);
      if (value === null) return false;
      if (!stringMatches(condition, value)) return false;
    }
  }
  // sourceMatchHTTP: a match naming gateways is decided by them alone; sourceLabels / sourceNamespace
  // are not consulted then.
  if (asArray(match.gateways).length === 0) {
    const sourceLabels = asRecord(match.sourceLabels);
    for (const [key, value] of Object.entries(sourceLabels)) if (source.labels[key] !== value) return false;
    const sourceNamespace = asString(match.sourceNamespace);
    if (sourceNamespace && sourceNamespace !== source.namespace) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// The trace

interface Followed {
  outcome: TraceOutcome | "forwarded";
  reason: string;
  next?: { proxy: Proxy; port: number };
}

class Tracer {
  private readonly positions: Positions;

  constructor(
    private readonly graph: MeshGraph,
    private readonly request: TraceRequest,
    cwd?: string,
  ) {
    this.positions = new Positions(cwd);
  }

  private position(provenance: Provenance | undefined): Position | undefined {
    return provenance ? this.positions.of(provenance) : undefined;
  }

  run(start: Proxy): TraceResult {
    const hops: TraceHop[] = [];
    let proxy = start;
    let gatewayPort: number | undefined;
    const seen = new Set<string>();
    for (;;) {
      const hop = this.emptyHop(proxy);
      hops.push(hop);
      const followed = proxy.kind === "gateway" ? this.gatewayHop(hop, proxy, gatewayPort) : this.sidecarHop(hop, proxy);
      hop.outcome = followed.outcome;
      hop.reason = followed.reason;
      if (followed.outcome !== "forwarded" || !followed.next) {
        const outcome = followed.outcome === "forwarded" ? "delivered" : followed.outcome;
        return { request: this.request, hops, outcome, reason: followed.reason };
      }
      const key = `${followed.next.proxy.id}:${followed.next.port}`;
      if (seen.has(key) || hops.length >= 8) {
        return { request: this.request, hops, outcome: "delivered", reason: `loop through ${followed.next.proxy.id} stopped` };
      }
      seen.add(key);
      proxy = followed.next.proxy;
      gatewayPort = followed.next.port;
    }
  }

  private emptyHop(proxy: Proxy): TraceHop {
    return {
      proxy: proxy.id,
      proxyKind: proxy.kind,
      listener: null,
      routeConfig: null,
      virtualHost: null,
      route: null,
      clusters: [],
      cluster: null,
      endpoints: [],
      tls: null,
      outcome: "delivered",
      reason: "",
    };
  }

  private unknownHost(hop: TraceHop, scope: OutboundScope, listener: string): Followed {
    hop.listener ??= listener;
    if (scope.outboundTrafficPolicy === "REGISTRY_ONLY") {
      hop.clusters = [{ name: "BlackHoleCluster", weight: 100, exists: true, outcome: "blackhole" }];
      hop.cluster = "BlackHoleCluster";
      return {
        outcome: "blackhole",
        reason: `${this.request.authority} is not in the registry this proxy sees and the outbound traffic policy is REGISTRY_ONLY: BlackHoleCluster (502)`,
      };
    }
    hop.clusters = [{ name: "PassthroughCluster", weight: 100, exists: true, outcome: "passthrough" }];
    hop.cluster = "PassthroughCluster";
    return {
      outcome: "passthrough",
      reason: `${this.request.authority} is not in the registry this proxy sees; ALLOW_ANY sends it to its original destination through PassthroughCluster`,
    };
  }

  private sidecarHop(hop: TraceHop, proxy: Proxy): Followed {
    const scope = this.graph.outboundScope(proxy.namespace, proxy.sidecar);
    const { port, host, scheme } = this.request;
    const service = scope.service(host) ?? this.serviceByAddress(scope, host);
    const servicePort = service?.ports.find((p) => p.port === port);
    const listeners = scope.listeners();
    const stream = scheme === "https" || (servicePort !== undefined && (servicePort.kind === "tcp" || servicePort.kind === "tls"));
    if (stream) {
      if (!service || !servicePort) {
        const listener = listeners.find((l) => l.port === port && l.address === "0.0.0.0");
        return this.unknownHost(hop, scope, listener?.name ?? "virtualOutbound");
      }
      const address = servicePort.kind === "tls" || service.addresses.length === 0 || service.addresses[0].includes("/") ? "0.0.0.0" : service.addresses[0];
      hop.listener = listeners.find((l) => l.name === `${address}_${port}`)?.name ?? `${address}_${port}`;
      hop.filterChain = servicePort.kind === "tls" || scheme === "https" ? `SNI ${host}` : `TCP ${service.hostname}:${port}`;
      const vs = scope.virtualServiceFor(service.hostname);
      const clusters = (vs && scope.tcpClusters(vs, port)) ?? [
        { name: `outbound|${port}||${service.hostname}`, weight: 100, exists: scope.cluster(`outbound|${port}||${service.hostname}`) !== undefined },
      ];
      if (vs) {
        const route = vs.routes.find((r) => r.protocol !== "http");
        hop.route = {
          name: route?.name ?? `${vs.name}.${route?.protocol ?? "tcp"}`,
          ...this.routeWhere(vs.resource, route?.provenance),
          match: {},
          action: "route",
        };
      }
      return this.followClusters(hop, scope, clusters, proxy.workload);
    }
    const listener = listeners.find((l) => l.name === `0.0.0.0_${port}` && (l.protocol === "http" || l.protocol === "auto"));
    if (!listener) return this.unknownHost(hop, scope, "virtualOutbound");
    hop.listener = listener.name;
    const config = scope.routeConfig(port);
    hop.routeConfig = config.name;
    const vh = matchVirtualHost(config.virtualHosts, hostForVirtualHostMatching(this.request.authority));
    if (!vh) {
      hop.virtualHost = scope.outboundTrafficPolicy === "REGISTRY_ONLY" ? "block_all" : "allow_any";
      return this.unknownHost(hop, scope, listener.name);
    }
    hop.virtualHost = vh.name;
    return this.routeAndFollow(hop, vh, scope, port, ["mesh"], proxy.workload);
  }

  private serviceByAddress(scope: OutboundScope, host: string): MeshService | undefined {
    if (!/^[\d.]+$|:/.test(host)) return undefined;
    return scope.visibleServices().find((service) => service.addresses.includes(host));
  }

  private routeWhere(resource: Resource, provenance?: Provenance) {
    const position = provenance ? this.positions.of(provenance) : this.positions.at(resource);
    return { resource: resourceRef(resource), file: position.file, line: position.line };
  }

  /** The first route of a virtual host that matches (delegates expanded), then its clusters. */
  private routeAndFollow(hop: TraceHop, vh: VirtualHost, scope: OutboundScope, port: number, gateways: string[], source: Workload): Followed {
    const context: RouteContext = { request: this.request, source };
    const chosen = this.firstRoute(vh.routes, context, scope, port, gateways);
    if (!chosen) {
      return { outcome: "404 NR", reason: `no route of virtual host ${vh.name} matches ${this.request.method} ${this.request.path}` };
    }
    const { route, match } = chosen;
    const action = route.action;
    hop.route = {
      name: route.name,
      resource: route.virtualService ? resourceRef(route.virtualService.resource) : null,
      ...(route.provenance ? (({ file, line }) => ({ file, line }))(this.positions.of(route.provenance)) : {}),
      match,
      action: action.kind,
    };
    if (action.kind === "redirect") {
      const r = action.redirect;
      const location = `${asString(r.scheme) ?? this.request.scheme}://${asString(r.authority) ?? this.request.authority}${asString(r.uri) ?? this.request.path}`;
      return { outcome: "redirect", reason: `redirect ${typeof r.redirectCode === "number" ? r.redirectCode : 301} to ${location}` };
    }
    if (action.kind === "directResponse") {
      return { outcome: "direct response", reason: `the route answers ${action.status} itself` };
    }
    if (action.kind === "delegate") return { outcome: "404 NR", reason: `delegate ${action.delegate.namespace}/${action.delegate.name} not found` };
    return this.followClusters(hop, scope, action.clusters, source);
  }

  private firstRoute(
    routes: readonly Route[],
    context: RouteContext,
    scope: OutboundScope,
    port: number,
    gateways: string[],
  ): { route: Route; match: Record<string, unknown> } | undefined {
    for (const route of routes) {
      if (!routeMatches(route.match, context)) continue;
      if (route.action.kind !== "delegate") return { route, match: route.match };
      // A delegating route: the delegate's routes, each ANDed with this match; none matching falls through.
      const target = route.action.delegate;
      const delegate = this.graph.virtualServices.find((vs) => vs.namespace === target.namespace && vs.name === target.name);
      if (!delegate) return { route, match: route.match };
      const children = translateHttpRoutes(delegate, port, gateways, (destination) => scope.destinationCluster(destination, port), graphDelegateResolver(this.graph));
      for (const child of children) {
        if (child.action.kind !== "delegate" && routeMatches(child.match, context)) return { route: child, match: { ...route.match, ...child.match } };
      }
    }
    return undefined;
  }

  /** Every weighted cluster's outcome; the heaviest existing one is followed. */
  private followClusters(hop: TraceHop, scope: OutboundScope, weighted: readonly WeightedCluster[], source: Workload): Followed {
    if (weighted.length === 0) return { outcome: "404 NR", reason: "the route has no destination" };
    hop.clusters = weighted.map((wc) => this.evaluateCluster(scope, wc, source));
    const existing = hop.clusters.filter((c) => c.exists);
    if (existing.length === 0) {
      hop.cluster = hop.clusters[0].name;
      return { outcome: "503 NC", reason: `no cluster ${hop.clusters.map((c) => c.name).join(", ")} on this proxy (route to a missing cluster)` };
    }
    const followed = existing.reduce((best, c) => (c.weight > best.weight ? c : best));
    hop.cluster = followed.name;
    hop.endpoints = followed.endpoints ?? [];
    hop.tls = followed.tls ?? null;
    const others = hop.clusters.filter((c) => c !== followed && c.outcome !== "delivered" && c.outcome !== "forwarded");
    const note = others.length > 0 ? `; ${others.map((c) => `${c.weight}% to ${c.name}: ${c.outcome}`).join("; ")}` : "";
    if (followed.outcome === "forwarded") {
      const gatewayEndpoint = this.gatewayEndpoint(scope, followed.name);
      if (gatewayEndpoint) return { outcome: "forwarded", reason: `${followed.reason ?? ""}${note}`, next: gatewayEndpoint };
    }
    return { outcome: followed.outcome === "forwarded" ? "delivered" : followed.outcome, reason: `${followed.reason ?? ""}${note}` };
  }

  private gatewayEndpoint(scope: OutboundScope, name: string): { proxy: Proxy; port: number } | undefined {
    const endpoint = scope.cluster(name)?.endpoints().find((e) => e.workload?.gateway);
    if (!endpoint?.workload) return undefined;
    const proxy = this.graph.proxy(`${endpoint.workload.namespace}/${endpoint.workload.name}`);
    return proxy ? { proxy, port: endpoint.port } : undefined;
  }

  private evaluateCluster(scope: OutboundScope, wc: WeightedCluster, source: Workload): TraceCluster {
    const result: TraceCluster = { name: wc.name, weight: wc.weight, exists: wc.exists, outcome: "delivered" };
    const destination = this.position(wc.provenance);
    if (destination) result.destination = destination;
    const cluster = wc.exists ? scope.cluster(wc.name) : undefined;
    if (!cluster) {
      result.exists = false;
      result.outcome = "503 NC";
      result.reason = this.missingClusterReason(scope, wc.name);
      return result;
    }
    const endpoints = cluster.endpoints();
    result.endpoints = endpoints.map(traceEndpoint);
    if (endpoints.length === 0) {
      const service = cluster.service;
      if (cluster.type === "STRICT_DNS" || cluster.type === "LOGICAL_DNS") {
        const host = service?.externalName ?? service?.hostname ?? "";
        result.endpoints = [{ address: host, port: cluster.port?.targetPort && typeof cluster.port.targetPort === "number" ? cluster.port.targetPort : cluster.port?.port ?? 0, sidecar: false }];
        result.reason = `DNS resolves ${host}`;
      } else if (cluster.type === "ORIGINAL_DST") {
        result.reason = "sent to the original destination address";
      } else if (service && service.origin === "Service" && !service.selector) {
        result.reason = `${service.name} has no selector: its endpoints are not in the input`;
      } else {
        result.outcome = "503 UH";
        result.reason = `cluster ${cluster.name} has no endpoints${cluster.subset ? ` (no pod of ${service?.name ?? "the service"} carries the labels of subset ${cluster.subset.name})` : ""}`;
        return result;
      }
    }
    const target: Endpoint = endpoints[0] ?? { address: result.endpoints[0]?.address ?? "original destination", port: result.endpoints[0]?.port ?? 0, labels: {}, sidecar: false, provenance: cluster.provenance[0] };
    const tls = this.tlsOf(cluster, target);
    result.tls = tls;
    if (!tls.ok) {
      result.outcome = "TLS mismatch (connection reset)";
      result.reason = `the client sends ${describeClientMode(tls.client)} but the server accepts ${tls.server}`;
      return result;
    }
    const gateway = endpoints.find((e) => e.workload?.gateway)?.workload;
    if (gateway && this.graph.proxy(`${gateway.namespace}/${gateway.name}`)) {
      result.outcome = "forwarded";
      result.reason = `on to gateway ${gateway.namespace}/${gateway.name}`;
      return result;
    }
    result.reason ??= `${endpoints.length} endpoint${endpoints.length === 1 ? "" : "s"}`;
    return result;
  }

  private missingClusterReason(scope: OutboundScope, name: string): string {
    const parts = name.split("|");
    if (parts.length !== 4) return `no cluster ${name}`;
    const [, port, subset, host] = parts;
    const service = scope.service(host);
    if (!service) return `${host} is not a service this proxy sees`;
    if (!service.ports.some((p) => String(p.port) === port)) return `${service.hostname} has no port ${port}`;
    if (subset) {
      const rule = scope.destinationRule(service);
      return rule
        ? `the DestinationRule for ${service.hostname} (${rule.rules.map((r) => `${r.namespace}/${r.name}`).join(", ")}) defines no subset ${subset}`
        : `no DestinationRule for ${service.hostname} applies to this proxy, so subset ${subset} does not exist`;
    }
    return `no cluster ${name}`;
  }

  private tlsOf(cluster: Cluster, endpoint: Endpoint): TraceTls {
    return tlsBetween(this.graph, cluster, endpoint, this.positions, this.request.scheme);
  }

  private gatewayHop(hop: TraceHop, proxy: Proxy, targetPort: number | undefined): Followed {
    const gateway = this.graph.gatewayProxy(proxy);
    const port = targetPort ?? gateway.targetPort(this.request.port);
    const listener = gateway.listeners().find((l) => l.port === port);
    if (!listener) {
      hop.listener = null;
      return { outcome: "no listener", reason: `no Gateway server of ${proxy.id} listens on port ${port}${targetPort === undefined ? ` (service port ${this.request.port})` : ""}: connection refused` };
    }
    hop.listener = listener.name;
    const chain = pickChain(listener, this.request.host);
    if (!chain) return { outcome: "404 NR", reason: `no server of ${listener.name} serves ${this.request.host} (SNI)` };
    if (chain.match.serverNames) hop.filterChain = `SNI ${chain.match.serverNames.join(",")}${chain.tlsMode ? ` (${chain.tlsMode})` : ""}`;
    if (chain.routeConfigName) {
      const config = gateway.routeConfig(chain.routeConfigName);
      hop.routeConfig = chain.routeConfigName;
      // Servers with tls.httpsRedirect set require_tls ALL on their virtual hosts, and get a virtual host
      // of their own for each of their hosts no VirtualService serves (gateway.go buildGatewayRoutes).
      const redirecting = (listener.servers ?? []).filter(
        (s) => gateway.routeConfigName({ ...s, targetPort: port }) === chain.routeConfigName && s.server.tls?.httpsRedirect === true,
      );
      const known = new Set((config?.virtualHosts ?? []).map((v) => v.name.replace(/:\d+$/, "")));
      const redirectOnly: VirtualHost[] = [];
      for (const s of redirecting) {
        for (const h of s.server.hosts) {
          const name = h.written.toLowerCase();
          if (known.has(name)) continue;
          known.add(name);
          redirectOnly.push({ name: `${name}:${s.server.port.number}`, domains: [name], routes: [], virtualServices: [] });
        }
      }
      const host = hostForVirtualHostMatching(this.request.authority);
      const vh = matchVirtualHost([...(config?.virtualHosts ?? []), ...redirectOnly], host);
      if (!vh) return { outcome: "404 NR", reason: `no VirtualService bound to ${gatewayNames(listener)} serves ${this.request.authority} on this port` };
      hop.virtualHost = vh.name;
      const vhHost = vh.name.replace(/:\d+$/, "");
      const requireTls =
        redirectOnly.includes(vh) ||
        redirecting.some((s) =>
          vh.virtualServices.some((vs) => vs.gateways.some((g) => g.gateway === s.gateway.key) && serverHostsFor(s.server, vs).includes(vhHost)),
        );
      if (requireTls && this.request.scheme === "http") {
        return { outcome: "redirect", reason: `redirect 301 to https://${host}${this.request.path} (the Gateway server sets tls.httpsRedirect)` };
      }
      const server = listener.servers?.find((s) => gateway.routeConfigName({ ...s, targetPort: port }) === chain.routeConfigName);
      return this.routeAndFollow(hop, vh, gateway.scope, server?.server.port.number ?? this.request.port, [server?.gateway.key ?? ""], proxy.workload);
    }
    return this.followClusters(hop, gateway.scope, chain.clusters ?? [], proxy.workload);
  }
}

/** The TLS the client proxy uses towards an endpoint and what the endpoint accepts. */
export function tlsBetween(graph: MeshGraph, cluster: Cluster, endpoint: Endpoint, positions: Positions, scheme = "http"): TraceTls {
  const clusterTls = cluster.tls ?? { mode: "DISABLE" as const, source: "none" as const };
  let client: ClientTlsMode = clusterTls.mode;
  // Auto mTLS only sends Istio mTLS to endpoints that carry a proxy.
  if (clusterTls.source === "auto" && client === "ISTIO_MUTUAL" && !endpoint.sidecar) client = "DISABLE";
  const tls: TraceTls = { client, clientSource: clusterTls.source, server: "", ok: true };
  const clientFrom = clusterTls.provenance ? positions.of(clusterTls.provenance) : undefined;
  if (clientFrom) tls.clientFrom = clientFrom;
  const workload = endpoint.workload;
  if (!workload) {
    tls.server = "external";
    tls.ok = client !== "ISTIO_MUTUAL";
    return tls;
  }
  if (workload.gateway) {
    const proxy = graph.proxy(`${workload.namespace}/${workload.name}`);
    const bound = proxy ? graph.gatewayProxy(proxy).servers().filter((s) => s.targetPort === endpoint.port) : [];
    const modes = bound.map((b) => (b.server.tls ? String(b.server.tls.mode ?? "SIMPLE") : "plaintext"));
    const mode = modes.find((m) => m === "ISTIO_MUTUAL") ?? modes[0];
    if (bound[0]) tls.serverFrom = positions.of(bound[0].server.provenance);
    if (!mode) {
      tls.server = "gateway: no server on this port";
      return tls;
    }
    tls.server = `gateway server ${mode === "plaintext" ? "plaintext" : `TLS ${mode}`}`;
    if (mode === "ISTIO_MUTUAL") tls.ok = client === "ISTIO_MUTUAL";
    else if (mode === "plaintext") tls.ok = client === "DISABLE" || clusterTls.source === "auto";
    else if (mode === "PASSTHROUGH" || mode === "AUTO_PASSTHROUGH") tls.ok = client !== "ISTIO_MUTUAL" || mode === "AUTO_PASSTHROUGH";
    else tls.ok = client === "SIMPLE" || client === "MUTUAL" || (client === "DISABLE" && scheme === "https");
    return tls;
  }
  if (!workload.sidecar.injected) {
    tls.server = "no sidecar: plaintext only";
    tls.ok = client !== "ISTIO_MUTUAL";
    return tls;
  }
  const mtls = graph.peerAuthentications.effective(workload, endpoint.port);
  tls.server = `${mtls.mode} (${mtls.level === "default" ? "no PeerAuthentication" : `${mtls.level}-level`})`;
  if (mtls.policy) tls.serverFrom = positions.at(mtls.policy.resource, mtls.level === "port" ? ["spec", "portLevelMtls", String(endpoint.port)] : ["spec", "mtls"]);
  tls.ok = mtls.mode === "STRICT" ? client === "ISTIO_MUTUAL" : mtls.mode === "DISABLE" ? client !== "ISTIO_MUTUAL" : true;
  return tls;
}

function gatewayNames(listener: Listener): string {
  return [...new Set((listener.servers ?? []).map((s) => s.gateway.key))].join(", ") || "the gateway";
}

function pickChain(listener: Listener, host: string) {
  const chains = listener.filterChains;
  const bySni = chains.find((c) => c.match.serverNames?.some((name) => hostMatches(name, host) || name === "*"));
  return bySni ?? chains.find((c) => !c.match.serverNames) ?? (chains.length === 1 ? chains[0] : undefined);
}

function traceEndpoint(endpoint: Endpoint): TraceEndpoint {
  return endpoint.workload
    ? { workload: `${endpoint.workload.namespace}/${endpoint.workload.name}`, kind: endpoint.workload.kind, port: endpoint.port, sidecar: endpoint.sidecar }
    : { address: endpoint.address, port: endpoint.port, sidecar: false };
}

export function describeClientMode(mode: ClientTlsMode): string {
  return mode === "DISABLE" ? "plaintext" : mode === "ISTIO_MUTUAL" ? "Istio mTLS" : `TLS (${mode})`;
}

/** Resolves `--from` to a proxy; throws TraceError listing the proxies when there is none. */
export function findProxy(graph: MeshGraph, from: string): Proxy {
  const proxy = graph.proxy(from);
  if (proxy) return proxy;
  const ids = graph.proxies().map((p) => p.id).sort();
  const workload = graph.workloads.find((w) => `${w.namespace}/${w.name}` === from);
  if (workload) throw new TraceError(`${from} has no sidecar (${workload.sidecar.reason}), so no Envoy routes its requests`, ids);
  throw new TraceError(`no proxy ${from} in the input (give --from as namespace/workload)`, ids);
}

/** Traces a request from a proxy through the graph. */
export function traceRequest(graph: MeshGraph, input: TraceInput, options: { cwd?: string } = {}): TraceResult {
  const request = parseRequest(input);
  const proxy = findProxy(graph, input.from);
  return new Tracer(graph, request, options.cwd).run(proxy);
}
