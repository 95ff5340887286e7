import type { MeshGraph, Route, VirtualServiceInfo, VirtualServiceRoute } from "../graph/index.js";
import { delegatedRoutes, droppedDelegateRoute, graphDelegateResolver, type OutboundScope } from "../graph/outbound.js";
import { serverHostsFor, serverRouteKind } from "../graph/proxies.js";
import type { RouteProtocol } from "../graph/virtual-services.js";
import type { PortKind, ServicePort } from "../graph/types.js";
import { basename } from "node:path";
import type { NodePath } from "../load/types.js";
import type { Resource } from "../model/index.js";
import { asArray, asRecord } from "../model/resource.js";
import { ruleUrl, type Report, type Rule, type RuleContext } from "./types.js";
import { entryGateways, matchAcceptsEverything, matchCovers, sameMatch, uriConditionOf, type MatchScope, type UriCondition } from "./unreachable-route-match.js";

/**
 * `unreachable-route`: routes no request can reach. Envoy takes the first route whose match accepts
 * a request, so a route is dead when earlier routes accept everything it accepts (a catch-all, an
 * identical match, a prefix that covers it, conditions that only narrow an earlier match) — inside
 * one VirtualService (IST0130, IST0131), across the VirtualServices istiod merges on one gateway
 * host, and for a whole VirtualService that sidecars drop because another one for the same host
 * wins. Also match entries that can never apply: a `port` no listener for the hosts has, `gateways`
 * the VirtualService is not bound to.
 */
export const unreachableRoute: Rule = {
  meta: {
    id: "unreachable-route",
    description: "Routes no request can reach: shadowed by earlier routes, or matching a port or gateway that never applies",
    severity: "error",
    url: ruleUrl("unreachable-route"),
    istioCodes: ["IST0130", "IST0131"],
    inputs: ["VirtualService", "Gateway", "Service", "ServiceEntry", "Sidecar"],
    messages: {
      unreachableRoute: "{{route}} is never used: Envoy picks the first matching route, and {{reason}}{{fix}}",
      ineffectiveMatch: "Match {{entry}} of {{route}} is never used: Envoy picks the first matching route, and {{reason}}",
      portNotServed:
        "Match {{entry}} of {{route}} applies to port {{port}} only, but no listener for {{hosts}} has that port ({{listeners}}): Envoy never uses it",
      portNotHttp:
        "Match {{entry}} of {{route}} applies to port {{port}} only, but that port of {{services}} is {{protocol}}, not HTTP: sidecars build no HTTP routes for it, so Envoy never uses it",
      gatewayNotBound:
        "Match {{entry}} of {{route}} applies on {{gateways}} only, and this VirtualService is not bound to {{them}} (it is bound to {{bound}}): no proxy gets it",
      gatewayNameUnused:
        "This VirtualService is not bound to gateway {{gateway}} (it is bound to {{bound}}): this entry never applies there",
      shadowedOnGateway:
        "{{route}} is never used for host {{host}} on gateway {{gateway}}: istiod merges the VirtualServices for that host in order and Envoy picks the first matching route: {{reason}}",
      noHttpPort:
        "The HTTP routes of this VirtualService are never used: {{services}} {{have}} no HTTP port ({{ports}}), and sidecars build HTTP routes only for HTTP ports and ports whose protocol they sniff. Connections go to the service's default cluster as if this VirtualService did not exist. Name the port http-... (or set appProtocol: http) if it carries HTTP, or write tcp routes",
      noPortForRoutes:
        "The {{kind}} routes of this VirtualService are never used: {{services}} {{have}} no {{wanted}} port ({{ports}}), and sidecars use tls routes only on TLS and HTTPS ports and tcp routes only on TCP ports and ports whose protocol they sniff. Connections go to the service's default cluster as if these routes did not exist{{fix}}",
      shortHostElsewhere:
        'Host "{{host}}" of this VirtualService means {{fqdn}} (a short host is completed with the VirtualService\'s namespace), which is no Service or ServiceEntry of the input: no client resolves that name, so these routes never apply to the traffic for {{service}}, where they send it. Write the host as {{service}}',
      routeKindNotServed:
        "The {{kind}} routes of this VirtualService are never used: the servers of {{gateways}} for its hosts ({{servers}}) take {{served}}. istiod builds HTTP routes for HTTP servers and HTTPS servers that terminate TLS, tls routes for PASSTHROUGH servers and tcp routes for other TCP and TLS servers, so Envoy gets none of these routes{{fix}}",
      gatewayNotServing:
        "Gateway {{gateway}} serves none of the hosts of this VirtualService ({{hosts}}): istiod builds no virtual host from it on that gateway's proxies, so {{what}} never used there",
      delegateRouteDropped:
        "{{route}} of this delegate is never used: istiod drops it when it merges it into {{rootRoute}} of VirtualService {{root}} ({{where}}), because its match {{entry}} ({{match}}) does not fall within the root's match ({{rootMatch}}); a delegate's conditions are not relative to the root's. Envoy gets no route for it",
      droppedForSidecars:
        "Sidecars{{where}} never use this VirtualService for host {{host}}: they do not merge VirtualServices for one host, and {{winner}} comes first, so its routes are the only ones for {{host}}. Move these routes into {{winnerName}}",
    },
  },
  check(context) {
    const state = new State(context);
    const virtualServices = context.graph.virtualServices;
    for (let v = 0; v < virtualServices.length; v++) {
      const vs = virtualServices[v];
      if (vs.resource.origin !== "lint") continue;
      reportRoutesWithoutPorts(state, vs);
      reportShortHostsElsewhere(state, vs);
      let scope: MatchScope | undefined;
      for (const protocol of PROTOCOLS) {
        // A protocol's only route, without match entries, is live and has no entry that could be dead.
        let count = 0;
        let first: VirtualServiceRoute | undefined;
        for (let r = 0; r < vs.routes.length; r++) {
          if (vs.routes[r].protocol !== protocol) continue;
          count++;
          first ??= vs.routes[r];
        }
        if (count === 0 || (count === 1 && first!.matches.length === 0)) continue;
        scope ??= { namespace: vs.namespace, gateways: vs.gateways.map((g) => g.gateway) };
        analyzeRoutes(state, vs, protocol, scope);
      }
      reportUnservedGateways(state, vs);
      reportRouteKindsNotServed(state, vs);
    }
    analyzeGateways(state);
    analyzeDroppedVirtualServices(state);
    analyzeDroppedDelegateRoutes(state);
  },
};

const PROTOCOLS: readonly RouteProtocol[] = ["http", "tls", "tcp"];

/** Per-run helpers: positions of earlier routes for the messages, and de-duplication of reports. */
class State {
  readonly graph: MeshGraph;
  private readonly reported = new Set<string>();
  /** Routes (`resource key|path`) already reported as unreachable inside their own VirtualService. */
  readonly unreachable = new Set<string>();
  /** VirtualServices whose HTTP routes are all reported (`noHttpPort`): their entries are not judged one by one on ports. */
  readonly withoutHttpPort = new Set<VirtualServiceInfo>();

  constructor(readonly context: RuleContext) {
    this.graph = context.graph;
  }

  report(report: Report): void {
    if (this.claim(report.resource, report.path ?? [], report.messageId)) this.context.report(report);
  }

  /**
   * Takes the place of a report before its message is built (messages name positions, which cost):
   * false when it was made already, or when it is about a resource that is not linted (never shown).
   */
  claim(resource: Resource, path: NodePath, messageId: string): boolean {
    const key = `${resource.key}|${path.join(".")}|${messageId}`;
    if (this.reported.has(key)) return false;
    this.reported.add(key);
    return resource.origin === "lint";
  }

  /** `line N` of a node, or `file:N` when it is written in another file than `from`. */
  where(resource: Resource, path: NodePath, from: Resource): string {
    const position = this.context.position(resource, path);
    if (!position || !resource.source) return "assumed";
    if (resource.source.file !== from.source?.file) return `${basename(resource.source.file.path)}:${position.line}`;
    return `line ${position.line}`;
  }
}

/** A match entry of a route (`index` undefined: a route without `match`, which accepts everything). */
interface Entry {
  route: VirtualServiceRoute;
  index: number | undefined;
  match: Record<string, unknown>;
  /** For an entry of a delegating route merged with a delegate's entry (other conditions than the root's): that delegate. */
  delegate?: VirtualServiceInfo;
}

type EntryOutcome =
  | { kind: "live" }
  | { kind: "covered"; by: Entry; catchAll: boolean }
  | { kind: "dead"; report: Omit<Report, "severity"> };

function entriesOf(route: VirtualServiceRoute): Entry[] {
  if (route.matches.length === 0) return [{ route, index: undefined, match: {} }];
  return route.matches.map((match, index) => ({ route, index, match }));
}

function routePath(route: VirtualServiceRoute): NodePath {
  return route.provenance.path;
}

function entryPath(entry: Entry): NodePath {
  return entry.index === undefined ? routePath(entry.route) : [...routePath(entry.route), "match", entry.index];
}

/** `route 1 ("beta-testers")`, `TCP route 0`; `where` adds the position: `route 0 ("default", line 12)`. */
function routeLabel(route: VirtualServiceRoute, capital = false, where?: string): string {
  const kind = route.protocol === "http" ? "route" : `${route.protocol.toUpperCase()} route`;
  const details = [route.name ? `"${route.name}"` : "", where ?? ""].filter(Boolean).join(", ");
  const text = `${kind} ${route.index}${details ? ` (${details})` : ""}`;
  return capital ? text[0].toUpperCase() + text.slice(1) : text;
}

function traffic(protocol: RouteProtocol): { plural: string; every: string } {
  return protocol === "http" ? { plural: "requests", every: "every request" } : { plural: "connections", every: "every connection" };
}

function entryLabel(entry: Entry): string {
  const name = typeof entry.match.name === "string" && entry.match.name ? ` ("${entry.match.name}")` : "";
  return `${entry.index ?? 0}${name}`;
}

function describeString(value: unknown): string {
  const condition = asRecord(value);
  for (const kind of ["exact", "prefix", "regex"]) {
    if (typeof condition[kind] === "string") return `${kind} "${condition[kind] as string}"`;
  }
  return "present";
}

/** A short reading of a match entry's conditions, as a request would have to look. */
function describeMatch(protocol: RouteProtocol, match: Record<string, unknown>): string {
  const parts: string[] = [];
  if (protocol === "http") {
    if (match.uri !== undefined) parts.push(`uri ${describeString(match.uri)}${match.ignoreUriCase === true && asRecord(match.uri).regex === undefined ? " (any case)" : ""}`);
    for (const field of ["method", "authority", "scheme"]) if (match[field] !== undefined) parts.push(`${field} ${describeString(match[field])}`);
    for (const [name, value] of Object.entries(asRecord(match.headers))) parts.push(`header ${name} ${describeString(value)}`);
    for (const [name, value] of Object.entries(asRecord(match.queryParams))) parts.push(`query parameter ${name} ${describeString(value)}`);
    for (const [name, value] of Object.entries(asRecord(match.withoutHeaders))) parts.push(`no header ${name} ${describeString(value)}`);
  } else {
    const sni = asArray(match.sniHosts).filter((v) => typeof v === "string");
    if (sni.length) parts.push(`SNI ${sni.join(", ")}`);
    const subnets = asArray(match.destinationSubnets).filter((v) => typeof v === "string");
    if (subnets.length) parts.push(`destination ${subnets.join(", ")}`);
  }
  if (match.port !== undefined) parts.push(`port ${String(match.port)}`);
  const gateways = asArray(match.gateways).filter((v) => typeof v === "string");
  if (gateways.length) parts.push(`gateways ${gateways.join(", ")}`);
  const labels = Object.entries(asRecord(match.sourceLabels));
  if (labels.length) parts.push(`source labels ${labels.map(([k, v]) => `${k}=${String(v)}`).join(",")}`);
  if (typeof match.sourceNamespace === "string" && match.sourceNamespace) parts.push(`source namespace ${match.sourceNamespace}`);
  return parts.length ? parts.join(" and ") : "any request";
}

/** The earlier route that takes the requests, as the message names it. */
function coverText(state: State, by: Entry, catchAll: boolean, from: Resource, otherVs?: VirtualServiceInfo): string {
  const where = state.where(by.route.provenance.resource, entryPath(by), from);
  const owner = otherVs ? ` of VirtualService ${otherVs.namespace}/${otherVs.name}` : "";
  const { plural, every } = traffic(by.route.protocol);
  if (catchAll) {
    if (by.delegate) {
      const delegate = `its delegate VirtualService ${by.delegate.namespace}/${by.delegate.name}`;
      return `${routeLabel(by.route, false, where)}${owner} and ${delegate} match ${describeMatch(by.route.protocol, by.match)}, so they take ${every}`;
    }
    const how = by.index === undefined ? "has no match" : `matches ${describeMatch(by.route.protocol, by.match)}`;
    return `${routeLabel(by.route, false, where)}${owner} ${how}, so it takes ${every}`;
  }
  const entry = by.route.matches.length > 1 ? ` (its match ${entryLabel(by)})` : "";
  const delegate = by.delegate ? ` and its delegate VirtualService ${by.delegate.namespace}/${by.delegate.name}` : "";
  return `${plural} matching ${describeMatch(by.route.protocol, by.match)} go to ${routeLabel(by.route, false, where)}${owner}${entry}${delegate}`;
}

/**
 * Why an entry can never apply: a `port` no listener for the VirtualService's hosts has on any
 * proxy it is bound to, or `gateways` the VirtualService is not bound to. Undefined when it may apply
 * (or when the input does not tell: unknown services or gateways).
 */
function deadEntry(state: State, vs: VirtualServiceInfo, scope: MatchScope, entry: Entry): Omit<Report, "severity"> | undefined {
  if (entry.index === undefined || vs.delegate) return undefined;
  const path = entryPath(entry);
  const listed = asArray(entry.match.gateways).filter((g): g is string => typeof g === "string");
  const applies = entryGateways(entry.match, scope);
  if (listed.length > 0 && applies.length === 0) {
    return {
      messageId: "gatewayNotBound",
      data: {
        entry: entryLabel(entry),
        route: routeLabel(entry.route),
        gateways: listed.join(", "),
        them: listed.length > 1 ? "any of them" : "it",
        bound: scope.gateways.join(", "),
      },
      resource: vs.resource,
      path: [...path, "gateways"],
    };
  }
  const port = entry.match.port;
  if (typeof port !== "number" || port === 0) return undefined;
  if (entry.route.protocol === "http" && applies.length === 1 && applies[0] === "mesh" && !state.withoutHttpPort.has(vs)) {
    const nonHttp = nonHttpServicePort(state.graph, vs, port);
    if (nonHttp) {
      return {
        messageId: "portNotHttp",
        data: { entry: entryLabel(entry), route: routeLabel(entry.route), port, ...nonHttp },
        resource: vs.resource,
        path: [...path, "port"],
      };
    }
  }
  const listeners = new Set<number>();
  for (const binding of applies) {
    const ports = bindingPorts(state.graph, vs, binding, entry.route.protocol);
    if (!ports || ports.has(port)) return undefined;
    for (const p of ports) listeners.add(p);
  }
  // No binding has a listener for routes of this kind: `routeKindNotServed` reports the routes.
  if (applies.length === 0 || listeners.size === 0) return undefined;
  const hosts = vs.hosts.map((h) => h.written).join(", ");
  // A gateway server on that port for the hosts that takes another kind of routes.
  const otherKinds = new Set<string>();
  for (const binding of applies) {
    const gateway = binding === "mesh" ? undefined : state.graph.gateway(binding);
    for (const server of gateway?.servers ?? []) {
      if (server.port.number !== port || serverHostsFor(server, vs).length === 0) continue;
      const kind = serverRouteKind(server);
      otherKinds.add(kind === undefined ? "no routes (AUTO_PASSTHROUGH)" : `${KIND_LABEL[kind]} routes only`);
    }
  }
  const portList = listeners.size ? `ports ${[...listeners].sort((a, b) => a - b).join(", ")}` : "none";
  return {
    messageId: "portNotServed",
    data: {
      entry: entryLabel(entry),
      route: routeLabel(entry.route),
      port,
      hosts,
      listeners: otherKinds.size ? `${portList}; the server on port ${port} takes ${[...otherKinds].join(", ")}` : portList,
    },
    resource: vs.resource,
    path: [...path, "port"],
  };
}

/**
 * The protocol of service port `port` of the VirtualService's hosts when it is certainly not HTTP
 * (TCP, TLS, HTTPS, Mongo, MySQL, Redis, UDP): sidecars build a TCP or TLS filter chain for such a
 * port, and HTTP routes only for HTTP ports and ports whose protocol they sniff. Undefined when the
 * input does not say (hosts as in {@link bindingPorts}), when the hosts have no such port, or when
 * some service of the input has an HTTP or sniffed port with that number (its HTTP route table for
 * the port lists every host with the port, whatever its protocol), or a Sidecar declares egress
 * ports (it can give a port another protocol).
 */
function nonHttpServicePort(graph: MeshGraph, vs: VirtualServiceInfo, port: number): { services: string; protocol: string } | undefined {
  if (graph.sidecars.some((sidecar) => sidecar.egress.some((egress) => egress.port !== undefined))) return undefined;
  const names: string[] = [];
  const protocols = new Set<string>();
  for (const { host, written } of vs.hosts) {
    if (host.includes("*")) return undefined;
    const services = graph.services.exact(host);
    if (services.length === 0) {
      if (!written.includes(".") || host.includes(".svc.")) return undefined;
      continue;
    }
    for (const service of services) {
      for (const p of service.ports) {
        if (p.port !== port) continue;
        if (!names.includes(written)) names.push(written);
        protocols.add(p.name ? `${p.protocol} (port name ${p.name})` : p.protocol);
      }
    }
  }
  if (names.length === 0) return undefined;
  for (const service of graph.services.services) {
    if (service.ports.some((p) => p.port === port && (p.kind === "http" || p.kind === "auto"))) return undefined;
  }
  return { services: names.join(", "), protocol: [...protocols].join(", ") };
}

/**
 * The listener ports on which a binding (`mesh` or a gateway) routes the VirtualService's hosts:
 * the service ports of the hosts for sidecars, the ports of the servers serving them on a gateway
 * that take routes of the protocol (see {@link serverRouteKind}). Undefined when the input does not
 * say (a wildcard host, a cluster-local host that is no known service, no host that is a known
 * service, an unknown gateway, a gateway serving none of the hosts: `unknown-gateway` reports that).
 * Empty when the gateway serves the hosts only on servers that take other kinds of routes.
 */
function bindingPorts(graph: MeshGraph, vs: VirtualServiceInfo, binding: string, protocol: RouteProtocol): Set<number> | undefined {
  const ports = new Set<number>();
  if (binding === "mesh") {
    for (const { host, written } of vs.hosts) {
      if (host.includes("*")) return undefined;
      const services = graph.services.exact(host);
      if (services.length > 0) {
        for (const service of services) for (const p of service.ports) ports.add(p.port);
        continue;
      }
      // A cluster-local name may be a Service the input lacks. Another host of no service gets
      // no listener port of its own: istiod puts it in the virtual hosts of the other hosts' ports.
      if (!written.includes(".") || host.includes(".svc.")) return undefined;
    }
    return ports.size ? ports : undefined;
  }
  const gateway = graph.gateway(binding);
  if (!gateway) return undefined;
  let serves = false;
  for (const server of gateway.servers) {
    if (serverHostsFor(server, vs).length === 0) continue;
    serves = true;
    if (serverRouteKind(server) === protocol) ports.add(server.port.number);
  }
  return serves ? ports : undefined;
}

/** Routes of one protocol inside one VirtualService, in order. */
function analyzeRoutes(state: State, vs: VirtualServiceInfo, protocol: RouteProtocol, scope: MatchScope): void {
  const earlier: Entry[] = [];
  // The URI condition of each entry, read once (every entry is compared with every earlier one).
  const earlierUris: (UriCondition | undefined)[] = [];
  for (const route of vs.routes) {
    if (route.protocol !== protocol) continue;
    const entries = entriesOf(route);
    const uris = entries.map((entry) => (protocol === "http" ? uriConditionOf(entry.match) : undefined));
    const outcomes: EntryOutcome[] = entries.map((entry, i) => {
      const dead = deadEntry(state, vs, scope, entry);
      if (dead) return { kind: "dead", report: dead };
      let cover: Entry | undefined;
      for (let k = 0; k < earlier.length && !cover; k++) if (matchCovers(protocol, earlier[k].match, entry.match, scope, earlierUris[k], uris[i])) cover = earlier[k];
      return cover ? { kind: "covered", by: cover, catchAll: matchAcceptsEverything(protocol, cover.match, scope) } : { kind: "live" };
    });
    if (!route.delegate) {
      entries.forEach((entry, i) => {
        if (outcomes[i].kind !== "live") return;
        earlier.push(entry);
        earlierUris.push(uris[i]);
      });
    } else {
      // A delegating route hands requests to the delegate's routes and falls through when none match:
      // what it takes are the delegate's entries as istiod merges them with the root's.
      for (const entry of delegatedEntries(state, vs, route)) {
        earlier.push(entry);
        earlierUris.push(uriConditionOf(entry.match));
      }
    }
    reportRoute(state, vs, route, entries, outcomes);
  }
}

/**
 * The match entries that take requests in place of a delegating root route: those of the delegate's
 * routes (found as istiod finds it), merged with the root route's as istiod merges them (routes
 * that conflict with the root are dropped). Each is placed at the root entry it comes from.
 */
function delegatedEntries(state: State, vs: VirtualServiceInfo, route: VirtualServiceRoute): Entry[] {
  const out: Entry[] = [];
  for (const delegated of delegatedRoutes(vs, route, graphDelegateResolver(state.graph)) ?? []) {
    // (istiod delegates one level only.)
    if (delegated.route.delegate) continue;
    if (delegated.matches.length === 0) out.push({ route, index: undefined, match: {} });
    for (const { match, rootIndex } of delegated.matches) {
      out.push({ route, index: rootIndex, match, delegate: sameMatch(match, route.matches[rootIndex ?? -1] ?? {}) ? undefined : delegated.delegate });
    }
  }
  return out;
}

function reportRoute(state: State, vs: VirtualServiceInfo, route: VirtualServiceRoute, entries: Entry[], outcomes: EntryOutcome[]): void {
  const unreachable = outcomes.every((o) => o.kind !== "live");
  const covered = outcomes.flatMap((o, i) => (o.kind === "covered" ? [{ entry: entries[i], outcome: o }] : []));
  if (unreachable) state.unreachable.add(`${vs.resource.key}|${routePath(route).join(".")}`);
  if (unreachable && covered.length > 0 && state.claim(vs.resource, routePath(route), "unreachableRoute")) {
    const reasons = [...new Map(covered.map(({ outcome }) => [provenanceOf(outcome.by), outcome] as const)).values()];
    const reason = reasons.map((o) => coverText(state, o.by, o.catchAll, vs.resource)).join("; ");
    const catchAll = reasons.find((o) => o.catchAll);
    const fix = !catchAll
      ? ""
      : route.matches.length === 0 && catchAll.by.index === undefined
        ? `. Only the last route may be without match: give one of them a match, or remove one`
        : `. Move it above ${routeLabel(catchAll.by.route)}`;
    state.context.report({
      messageId: "unreachableRoute",
      data: { route: routeLabel(route, true), reason, fix },
      resource: vs.resource,
      path: routePath(route),
      severity: 2,
      istioCode: outcomes.every((o) => o.kind === "covered") ? "IST0130" : undefined,
    });
  }
  outcomes.forEach((outcome, i) => {
    const entry = entries[i];
    if (outcome.kind === "dead") {
      state.report({ ...outcome.report, severity: unreachable ? 2 : 1 });
    } else if (outcome.kind === "covered" && entry.index !== undefined && !(unreachable && outcome.catchAll)) {
      if (!state.claim(vs.resource, entryPath(entry), "ineffectiveMatch")) return;
      state.context.report({
        messageId: "ineffectiveMatch",
        data: { entry: entryLabel(entry), route: routeLabel(route), reason: coverText(state, outcome.by, outcome.catchAll, vs.resource) },
        resource: vs.resource,
        path: entryPath(entry),
        severity: 1,
        istioCode: "IST0131",
      });
    } else if (outcome.kind === "live" && entry.index !== undefined && !vs.delegate) {
      reportUnboundGatewayNames(state, vs, entry);
    }
  });
}

/**
 * Gateways the VirtualService is bound to whose servers serve none of its hosts (after the servers'
 * `namespace/host` restrictions): istiod intersects server and VirtualService hosts and skips the
 * VirtualService when nothing is left. Only Gateways of the input (an unknown one is
 * `unknown-gateway`'s finding). An error when no binding of the VirtualService is used at all.
 */
function reportUnservedGateways(state: State, vs: VirtualServiceInfo): void {
  if (vs.delegate) return;
  const unserved = vs.gateways.filter((binding) => {
    if (binding.gateway === "mesh" || !binding.provenance) return false;
    const gateway = state.graph.gateway(binding.gateway);
    return gateway !== undefined && !gateway.servers.some((server) => serverHostsFor(server, vs).length > 0);
  });
  if (unserved.length === 0) return;
  const unused = unserved.length === vs.gateways.length;
  for (const binding of unserved) {
    state.report({
      messageId: "gatewayNotServing",
      data: {
        gateway: binding.gateway,
        hosts: vs.hosts.map((h) => h.written).join(", "),
        what: unused ? "this VirtualService is" : "its routes are",
      },
      resource: vs.resource,
      path: binding.provenance!.path,
      severity: unused ? 2 : 1,
    });
  }
}

/**
 * A short host (no dot) of a VirtualService for sidecars that names no service of its namespace, while
 * its routes send to the service of that name in another namespace: the author meant that service,
 * but istiod completes a short host with the VirtualService's namespace, so the routes apply to a
 * name no client resolves. A warning: the service of the VirtualService's namespace may exist outside
 * the input.
 */
function reportShortHostsElsewhere(state: State, vs: VirtualServiceInfo): void {
  if (vs.delegate || !vs.gateways.some((g) => g.gateway === "mesh")) return;
  const { graph } = state;
  for (const { host, written, provenance } of vs.hosts) {
    if (written.includes(".") || written.includes("*")) continue;
    if (graph.services.lookup(host, vs.namespace) || graph.services.exact(host).length > 0) continue;
    let meant: string | undefined;
    for (const route of vs.routes) {
      for (const destination of route.destinations) {
        if (destination.host.split(".")[0] !== written || destination.host === host) continue;
        if (graph.services.exact(destination.host).some((service) => service.origin === "Service")) meant ??= destination.host;
      }
    }
    if (!meant) continue;
    state.report({
      messageId: "shortHostElsewhere",
      data: { host: written, fqdn: host, service: meant },
      resource: vs.resource,
      path: provenance.path,
      severity: 1,
    });
  }
}

/** The service port kinds on which sidecars use each kind of route (pilot/pkg/networking/core/tls.go, listener.go). */
const PORT_KINDS_FOR_ROUTES: Record<RouteProtocol, ReadonlySet<PortKind>> = {
  http: new Set<PortKind>(["http", "auto"]),
  tls: new Set<PortKind>(["tls"]),
  tcp: new Set<PortKind>(["tcp", "auto"]),
};

/**
 * Routes of a VirtualService for sidecars only that no port of its hosts takes: sidecars use HTTP
 * routes on HTTP and sniffed ports, tls routes on TLS and HTTPS ports, tcp routes on TCP and sniffed
 * ports. When every host is a service of the input and none of their ports takes a kind, its routes
 * are never used. Silent when the input does not say (as in {@link nonHttpServicePort}: unknown or
 * wildcard hosts, a Sidecar declaring egress ports, another service with a port of the same number
 * that takes the kind).
 */
function reportRoutesWithoutPorts(state: State, vs: VirtualServiceInfo): void {
  if (vs.delegate || vs.gateways.length !== 1 || vs.gateways[0].gateway !== "mesh") return;
  const { graph } = state;
  let sidecarPorts: boolean | undefined;
  let hostPorts: { names: string[]; ports: ServicePort[] } | null | undefined;
  for (const kind of PROTOCOLS) {
    const first = vs.routes.find((route) => route.protocol === kind);
    if (!first) continue;
    sidecarPorts ??= graph.sidecars.some((sidecar) => sidecar.egress.some((egress) => egress.port !== undefined));
    if (sidecarPorts) return;
    hostPorts ??= portsOfHosts(graph, vs);
    if (!hostPorts) return;
    const takes = PORT_KINDS_FOR_ROUTES[kind];
    if (hostPorts.ports.some((p) => takes.has(p.kind))) continue;
    const numbers = new Set(hostPorts.ports.map((p) => p.port));
    if (graph.services.services.some((service) => service.ports.some((p) => numbers.has(p.port) && takes.has(p.kind)))) continue;
    const ports = [...new Set(hostPorts.ports.map((p) => `port ${p.port}${p.name ? ` ${p.name}` : ""} is ${p.protocol}`))].join(", ");
    const services = hostPorts.names.join(", ");
    const have = hostPorts.names.length === 1 ? "has" : "have";
    if (kind === "http") state.withoutHttpPort.add(vs);
    const kinds = new Set(hostPorts.ports.map((p) => p.kind));
    state.report({
      messageId: kind === "http" ? "noHttpPort" : "noPortForRoutes",
      data: {
        services,
        have,
        ports,
        kind: KIND_LABEL[kind],
        wanted: kind === "tls" ? "TLS or HTTPS" : "TCP or sniffed",
        fix: kind === "tcp" && kinds.has("tls") ? ": write them as tls routes (match sniHosts)" : kind === "tls" && kinds.has("http") ? ": use HTTP routes" : kind === "tls" ? ": write them as tcp routes, or name the port tls-... if it carries TLS" : "",
      },
      resource: vs.resource,
      path: first.provenance.path,
      severity: 2,
    });
  }
}

/** The names and ports of a VirtualService's hosts when every host is a service of the input; null otherwise. */
function portsOfHosts(graph: MeshGraph, vs: VirtualServiceInfo): { names: string[]; ports: ServicePort[] } | null {
  const names: string[] = [];
  const ports: ServicePort[] = [];
  for (const { host, written } of vs.hosts) {
    if (host.includes("*")) return null;
    const services = graph.services.exact(host);
    if (services.length === 0) return null;
    names.push(written);
    for (const service of services) ports.push(...service.ports);
  }
  return ports.length > 0 ? { names, ports } : null;
}

const KIND_LABEL: Record<RouteProtocol, string> = { http: "HTTP", tls: "tls", tcp: "tcp" };

/**
 * Route kinds (`http`, `tls`, `tcp`) of a VirtualService bound only to gateways none of whose servers
 * for its hosts takes that kind (see {@link serverRouteKind}): HTTP routes for a PASSTHROUGH or TCP
 * server, tls routes for an HTTP or TLS-terminating server. Judged only when every gateway it is bound
 * to is in the input and serves one of its hosts (otherwise `gatewayNotServing` or `unknown-gateway`).
 */
function reportRouteKindsNotServed(state: State, vs: VirtualServiceInfo): void {
  if (vs.delegate || vs.gateways.length === 0) return;
  const served = new Set<RouteProtocol | undefined>();
  const servers: string[] = [];
  for (const binding of vs.gateways) {
    if (binding.gateway === "mesh") return;
    const gateway = state.graph.gateway(binding.gateway);
    if (!gateway) return;
    let admits = false;
    for (const server of gateway.servers) {
      if (serverHostsFor(server, vs).length === 0) continue;
      admits = true;
      served.add(serverRouteKind(server));
      const mode = server.tls?.mode;
      const text = `port ${server.port.number} ${server.port.protocolWritten || "?"}${typeof mode === "string" && mode ? ` ${mode}` : ""}`;
      if (!servers.includes(text)) servers.push(text);
    }
    if (!admits) return;
  }
  const kinds = [...served].filter((kind): kind is RouteProtocol => kind !== undefined);
  const servedText = kinds.length === 0 ? "no VirtualService routes (AUTO_PASSTHROUGH routes by SNI to services)" : `${kinds.map((kind) => KIND_LABEL[kind]).join(" and ")} routes only`;
  for (const kind of PROTOCOLS) {
    if (served.has(kind)) continue;
    const first = vs.routes.find((route) => route.protocol === kind);
    if (!first) continue;
    const fix =
      kind === "http" && served.has("tls")
        ? ": route by SNI with tls routes (match sniHosts), or make the server HTTPS with mode SIMPLE (TLS terminated there) to route HTTP"
        : kind === "tls" && served.has("http")
          ? ": use HTTP routes, or make the server PASSTHROUGH to route TLS by SNI"
          : kinds.length === 1
            ? `: write them as ${KIND_LABEL[kinds[0]]} routes`
            : "";
    state.report({
      messageId: "routeKindNotServed",
      data: {
        kind: KIND_LABEL[kind],
        gateways: vs.gateways.map((g) => g.gateway).join(", "),
        servers: servers.join(", "),
        served: servedText,
        fix,
      },
      resource: vs.resource,
      path: first.provenance.path,
      severity: 2,
    });
  }
}

/** Gateway names of a live entry the VirtualService is not bound to (the entry applies on the others). */
function reportUnboundGatewayNames(state: State, vs: VirtualServiceInfo, entry: Entry): void {
  const bound = vs.gateways.map((g) => g.gateway);
  asArray(entry.match.gateways).forEach((name, k) => {
    if (typeof name !== "string") return;
    if (entryGateways({ gateways: [name] }, { namespace: vs.namespace, gateways: bound }).length > 0) return;
    state.report({
      messageId: "gatewayNameUnused",
      data: { gateway: name, bound: bound.join(", ") },
      resource: vs.resource,
      path: [...entryPath(entry), "gateways", k],
      severity: 1,
    });
  });
}

function provenanceOf(entry: Entry): string {
  return `${entry.route.provenance.resource.key}|${entryPath(entry).join(".")}`;
}

/** The conditions of an Envoy route on a gateway, without `port` and `gateways` (already decided for the listener). */
function listenerFree(match: Record<string, unknown>): Record<string, unknown> {
  const { port: _port, gateways: _gateways, ...rest } = match;
  return rest;
}

/**
 * Gateways: istiod appends the routes of every VirtualService bound to a gateway for one host
 * (catch-all routes moved last), so a route of one VirtualService can be shadowed by another's.
 * Shadowing inside one VirtualService is reported by `analyzeRoutes`.
 */
function analyzeGateways(state: State): void {
  const { graph } = state;
  interface Shadow {
    vs: VirtualServiceInfo;
    route: VirtualServiceRoute;
    hosts: Set<string>;
    gateways: Set<string>;
    by: { entry: Entry; catchAll: boolean; vs: VirtualServiceInfo };
  }
  const shadows = new Map<string, Shadow>();
  /** For each VirtualService route: the virtual hosts where it is present, and those where it is shadowed. */
  const presence = new Map<string, { present: number; shadowed: number }>();
  const seenHosts = new Set<string>();
  for (const proxy of graph.proxies()) {
    if (proxy.kind !== "gateway") continue;
    const gatewayProxy = graph.gatewayProxy(proxy);
    for (const config of gatewayProxy.routeConfigs()) {
      for (const virtualHost of config.virtualHosts) {
        const hostKey = `${config.name}|${virtualHost.name}|${virtualHost.virtualServices.map((vs) => vs.resource.key).join(",")}`;
        if (seenHosts.has(hostKey)) continue;
        seenHosts.add(hostKey);
        if (virtualHost.virtualServices.length < 2) continue;
        const gatewayNames = [...new Set(virtualHost.virtualServices.flatMap((vs) => vs.gateways.map((g) => g.gateway)).filter((g) => gatewayProxy.servers().some((b) => b.gateway.key === g)))];
        const byRoute = new Map<VirtualServiceRoute, { routes: Route[]; vs: VirtualServiceInfo }>();
        for (const route of virtualHost.routes) {
          if (!route.vsRoute || !route.virtualService) continue;
          const list = byRoute.get(route.vsRoute);
          if (list) list.routes.push(route);
          else byRoute.set(route.vsRoute, { routes: [route], vs: route.virtualService });
        }
        for (const [vsRoute, { routes, vs }] of byRoute) {
          const key = `${vs.resource.key}|${vsRoute.protocol}|${vsRoute.index}`;
          const count = presence.get(key) ?? { present: 0, shadowed: 0 };
          presence.set(key, count);
          count.present++;
          let first: Shadow["by"] | undefined;
          const allShadowed = routes.every((route) => {
            const position = virtualHost.routes.indexOf(route);
            for (const earlier of virtualHost.routes.slice(0, position)) {
              if (!earlier.virtualService || earlier.virtualService === vs || !earlier.vsRoute || earlier.action.kind === "delegate") continue;
              const scope: MatchScope = { namespace: vs.namespace, gateways: [] };
              if (!matchCovers("http", listenerFree(earlier.match), listenerFree(route.match), scope)) continue;
              first ??= {
                entry: { route: earlier.vsRoute, index: earlier.matchIndex, match: earlier.match },
                catchAll: matchAcceptsEverything("http", listenerFree(earlier.match), scope),
                vs: earlier.virtualService,
              };
              return true;
            }
            return false;
          });
          if (!allShadowed || !first) continue;
          count.shadowed++;
          let shadow = shadows.get(key);
          if (!shadow) shadows.set(key, (shadow = { vs, route: vsRoute, hosts: new Set(), gateways: new Set(), by: first }));
          shadow.hosts.add(virtualHost.name.replace(/:\d+$/, ""));
          for (const g of gatewayNames) if (vs.gateways.some((b) => b.gateway === g)) shadow.gateways.add(g);
        }
      }
    }
  }
  for (const [key, shadow] of shadows) {
    if (state.unreachable.has(`${shadow.vs.resource.key}|${routePath(shadow.route).join(".")}`)) continue;
    if (!state.claim(shadow.vs.resource, routePath(shadow.route), "shadowedOnGateway")) continue;
    const count = presence.get(key)!;
    const everywhere = count.shadowed === count.present && !shadow.vs.gateways.some((g) => g.gateway === "mesh");
    state.context.report({
      messageId: "shadowedOnGateway",
      data: {
        route: routeLabel(shadow.route, true),
        host: [...shadow.hosts].join(", "),
        gateway: [...shadow.gateways].join(", "),
        reason: coverText(state, shadow.by.entry, shadow.by.catchAll, shadow.vs.resource, shadow.by.vs),
      },
      resource: shadow.vs.resource,
      path: routePath(shadow.route),
      severity: everywhere ? 2 : 1,
    });
  }
}

/**
 * Sidecars use one VirtualService per host (the first in Istio's order for the client namespace);
 * a VirtualService that loses a host in every namespace that sees it is dead config for that host.
 * Reported once per VirtualService and host, naming the winner; when it wins in some namespaces
 * (an `exportTo` override for a namespace, a deliberate pattern), nothing is reported.
 */
function analyzeDroppedVirtualServices(state: State): void {
  const { graph } = state;
  // Only hosts of several mesh VirtualServices can drop one; the namespaces where the outcome can
  // differ are theirs, those they are exported to by name, and those a Sidecar narrows. Every other
  // namespace sees the public ones only, in the same order: one scope stands for them all.
  const byHost = new Map<string, VirtualServiceInfo[]>();
  const virtualServices = graph.virtualServices;
  for (let v = 0; v < virtualServices.length; v++) {
    const vs = virtualServices[v];
    if (vs.delegate || !vs.gateways.some((g) => g.gateway === "mesh")) continue;
    for (let h = 0; h < vs.hosts.length; h++) {
      const host = vs.hosts[h].host;
      const list = byHost.get(host);
      if (list) list.push(vs);
      else byHost.set(host, [vs]);
    }
  }
  const relevant = new Set<string>();
  for (const list of byHost.values()) {
    if (list.length < 2) continue;
    for (const vs of list) {
      relevant.add(vs.namespace);
      if (vs.exportTo !== "*") for (const namespace of vs.exportTo) relevant.add(namespace);
    }
  }
  if (relevant.size === 0) return;
  const scopes: { scope: OutboundScope; label: string }[] = [];
  const covered = new Set<string>();
  for (const scope of graph.sidecarScopes()) {
    if (!scope.sidecar && !relevant.has(scope.namespace)) continue;
    scopes.push({ scope, label: scope.namespace });
    covered.add(scope.namespace);
  }
  for (const namespace of graph.namespaces.keys()) {
    if (covered.has(namespace)) continue;
    const sidecar = graph.sidecarOf({ namespace, labels: {} });
    if (!sidecar && !relevant.has(namespace)) continue;
    scopes.push({ scope: graph.outboundScope(namespace, sidecar), label: namespace });
  }
  // (The name cannot be a Kubernetes namespace.)
  scopes.push({ scope: graph.outboundScope("mesh-lint.other-namespaces"), label: "" });

  interface Drop {
    vs: VirtualServiceInfo;
    host: string;
    winners: Map<VirtualServiceInfo, Set<string>>;
    used: boolean;
  }
  const drops = new Map<string, Drop>();
  const keyOf = (vs: VirtualServiceInfo, host: string) => `${vs.resource.key}|${host}`;
  for (const { scope, label } of scopes) {
    for (const dropped of scope.droppedVirtualServices()) {
      const key = keyOf(dropped.virtualService, dropped.host);
      let drop = drops.get(key);
      if (!drop) drops.set(key, (drop = { vs: dropped.virtualService, host: dropped.host, winners: new Map(), used: false }));
      let namespaces = drop.winners.get(dropped.winner);
      if (!namespaces) drop.winners.set(dropped.winner, (namespaces = new Set()));
      namespaces.add(label || "every other namespace");
    }
  }
  if (drops.size === 0) return;
  // A dropped VirtualService is used where it (or one of the same key: written twice) wins that host,
  // one of its own, after all (a winner is one of the scope's VirtualServices).
  for (const drop of drops.values()) {
    for (let i = 0; i < scopes.length && !drop.used; i++) {
      const winner = scopes[i].scope.virtualServiceFor(drop.host);
      if (winner && winner.resource.key === drop.vs.resource.key && winner.hosts.some((h) => h.host === drop.host)) drop.used = true;
    }
  }
  for (const drop of drops.values()) {
    if (drop.used || drop.vs.resource.origin !== "lint") continue;
    const hostIndex = drop.vs.hosts.findIndex((h) => h.host === drop.host);
    const winners = [...drop.winners];
    const [winner] = winners[0];
    const winnerText = winners
      .map(([vs, namespaces]) => {
        const where = state.where(vs.resource, vs.hosts.find((h) => h.host === drop.host)?.provenance.path ?? ["metadata", "name"], drop.vs.resource);
        return `VirtualService ${vs.namespace}/${vs.name} (${where})${winners.length > 1 ? ` in ${[...namespaces].sort().join(", ")}` : ""}`;
      })
      .join(" and ");
    const everywhere = winners.some(([, set]) => set.has("every other namespace"));
    const namespaces = [...new Set(winners.flatMap(([, set]) => [...set]))].sort();
    state.report({
      messageId: "droppedForSidecars",
      data: {
        where: everywhere ? "" : ` in ${namespaces.join(", ")}`,
        host: drop.host,
        winner: winnerText,
        winnerName: `${winner.namespace}/${winner.name}`,
      },
      resource: drop.vs.resource,
      path: hostIndex >= 0 ? drop.vs.hosts[hostIndex].provenance.path : ["spec", "hosts"],
      severity: 1,
    });
  }
}

/**
 * Delegate routes istiod drops: when it merges a delegate into a root route (`mergeHTTPRoute`), a
 * delegate route with a match entry that conflicts with every entry of the root route (a path not
 * under the root's prefix, a regex, another port...) is left out. Reported when that happens for
 * every root route of the input that delegates to the VirtualService (a delegate used by several
 * roots may be written for one of them only).
 */
function analyzeDroppedDelegateRoutes(state: State): void {
  for (const delegate of state.graph.virtualServices) {
    if (!delegate.delegate || delegate.resource.origin !== "lint") continue;
    for (const child of delegate.routes) {
      const dropped = droppedDelegateRoute(state.graph, delegate, child);
      if (!dropped) continue;
      const { root, rootRoute, entry: index } = dropped;
      const path = [...routePath(child), "match", index];
      if (!state.claim(delegate.resource, path, "delegateRouteDropped")) continue;
      state.context.report({
        messageId: "delegateRouteDropped",
        data: {
          route: routeLabel(child, true),
          rootRoute: routeLabel(rootRoute),
          root: `${root.namespace}/${root.name}`,
          where: state.where(root.resource, routePath(rootRoute), delegate.resource),
          entry: entryLabel({ route: child, index, match: child.matches[index] }),
          match: describeMatch("http", child.matches[index]),
          rootMatch: rootRoute.matches.map((match) => describeMatch("http", match)).join(" or "),
        },
        resource: delegate.resource,
        path,
        severity: 2,
      });
    }
  }
}
