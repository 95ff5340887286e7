/**
 * Routing semantics of `trace` checked against istiod / Envoy behaviour (the Istio source location
 * is named in each test).
 */
import { describe, expect, it } from "vitest";
import { routeMatches, traceRequest, type TraceResult } from "../../src/graph/trace.js";
import type { Workload } from "../../src/graph/types.js";
import { ingressGateway, sleepClient, subsetRule, virtualService } from "../fixtures/manifests.js";
import { graphOf, service } from "./helpers.js";

const R = "reviews.default.svc.cluster.local";
const BASE = [service("reviews", "default", 9080, ["v1", "v2", "v3"]), sleepClient(), subsetRule("reviews", "default", ["v1", "v2", "v3"])].join("");

function trace(yaml: string, url: string, options: { headers?: Record<string, string>; from?: string; method?: string } = {}): TraceResult {
  return traceRequest(graphOf(yaml), { from: options.from ?? "default/sleep", url, headers: options.headers, method: options.method });
}
const clustersOf = (result: TraceResult, hop = 0) => result.hops[hop].clusters.map((c) => `${c.name}@${c.weight}`);

const source = { namespace: "default", labels: { app: "a" } } as unknown as Workload;
const request = (path: string, headers: Record<string, string> = {}) => ({
  request: { method: "GET", url: "", scheme: "http" as const, host: "h", port: 80, authority: "h", path, headers },
  source,
});

describe("match semantics (route.go TranslateRouteMatch)", () => {
  // withoutHeaders get treat_missing_header_as_empty unless they are presence matches: a missing header is "".
  it("withoutHeaders: a missing header counts as the empty value", () => {
    expect(routeMatches({ withoutHeaders: { "x-a": { exact: "" } } }, request("/"))).toBe(false);
    expect(routeMatches({ withoutHeaders: { "x-a": { regex: ".*" } } }, request("/"))).toBe(false);
    expect(routeMatches({ withoutHeaders: { "x-a": { exact: "1" } } }, request("/"))).toBe(true);
    expect(routeMatches({ withoutHeaders: { "x-a": {} } }, request("/"))).toBe(true);
    expect(routeMatches({ withoutHeaders: { "x-a": {} } }, request("/", { "x-a": "" }))).toBe(false);
  });

  // translateQueryParamMatch: only an empty StringMatch or regex "*" is a present_match; exact "" is a value match.
  it("queryParams: exact '' matches only an empty value; prefix is supported", () => {
    expect(routeMatches({ queryParams: { q: { exact: "" } } }, request("/?q=abc"))).toBe(false);
    expect(routeMatches({ queryParams: { q: { exact: "" } } }, request("/?q="))).toBe(true);
    expect(routeMatches({ queryParams: { q: {} } }, request("/?q=abc"))).toBe(true);
    expect(routeMatches({ queryParams: { q: { regex: "*" } } }, request("/?q=abc"))).toBe(true);
    expect(routeMatches({ queryParams: { q: { prefix: "ab" } } }, request("/?q=abc"))).toBe(true);
    expect(routeMatches({ queryParams: { q: { regex: "b" } } }, request("/?q=abc"))).toBe(false);
  });

  it("headers: presence, full-match regex, names case-insensitive", () => {
    expect(routeMatches({ headers: { "X-A": { exact: "1" } } }, request("/", { "x-a": "1" }))).toBe(true);
    expect(routeMatches({ headers: { "x-a": {} } }, request("/", { "x-a": "" }))).toBe(true);
    expect(routeMatches({ headers: { "x-a": {} } }, request("/"))).toBe(false);
    expect(routeMatches({ headers: { "x-a": { regex: "b" } } }, request("/", { "x-a": "abc" }))).toBe(false);
    expect(routeMatches({ uri: { regex: "/a" } }, request("/a?x=1"))).toBe(true);
    expect(routeMatches({ uri: { prefix: "/a?x" } }, request("/a?x=1"))).toBe(true);
  });

  // sourceMatchHTTP: with `gateways` in the match, sourceLabels / sourceNamespace are not consulted.
  it("sourceLabels and sourceNamespace are ignored when the match names gateways", () => {
    expect(routeMatches({ gateways: ["mesh"], sourceLabels: { app: "other" } }, request("/"))).toBe(true);
    expect(routeMatches({ gateways: ["mesh"], sourceNamespace: "other" }, request("/"))).toBe(true);
    expect(routeMatches({ sourceLabels: { app: "other" } }, request("/"))).toBe(false);
  });
});

describe("virtual host selection (IgnorePortInHostMatching)", () => {
  // httproute.go buildSidecarOutboundHTTPRouteConfig sets IgnorePortInHostMatching: true.
  it("sidecar: a Host port other than the listener's still selects the service's virtual host", () => {
    const result = trace(BASE, "http://reviews:9080/", { headers: { host: "reviews.default.svc.cluster.local:1234" } });
    expect(result.hops[0].virtualHost).toBe(`${R}:9080`);
    expect(clustersOf(result)).toEqual([`outbound|9080||${R}@100`]);
  });

  // gateway.go buildGatewayHTTPRouteConfig: domains are the bare host and IgnorePortInHostMatching is set.
  it("gateway: a wildcard host matches a Host header carrying a port", () => {
    const yaml = `${BASE}${ingressGateway("gw", "default", '["*.example.com"]')}${virtualService(
      "web",
      "default",
      "  hosts: ['*.example.com']\n  gateways: [gw]\n  http:\n  - route: [{destination: {host: reviews}}]\n",
    )}`;
    const result = trace(yaml, "http://a.example.com/", { from: "istio-system/istio-ingressgateway", headers: { host: "a.example.com:8080" } });
    expect(result.outcome).toBe("delivered");
    expect(clustersOf(result)).toEqual([`outbound|9080||${R}@100`]);
  });
});

describe("route destinations (route.go applyHTTPRouteDestination / GetDestinationCluster)", () => {
  it("with several destinations a destination without weight (0) is left out", () => {
    const yaml = `${BASE}${virtualService(
      "reviews",
      "default",
      "  hosts: [reviews]\n  http:\n  - route:\n    - {destination: {host: reviews, subset: v2}}\n    - {destination: {host: reviews, subset: v1}, weight: 100}\n",
    )}`;
    expect(clustersOf(trace(yaml, "http://reviews:9080/"))).toEqual([`outbound|9080|v1|${R}@100`]);
  });

  it("a single destination takes all traffic whatever its weight", () => {
    const yaml = `${BASE}${virtualService("reviews", "default", "  hosts: [reviews]\n  http:\n  - route:\n    - {destination: {host: reviews, subset: v2}, weight: 0}\n")}`;
    expect(clustersOf(trace(yaml, "http://reviews:9080/"))).toEqual([`outbound|9080|v2|${R}@100`]);
  });
});

describe("delegate VirtualServices (virtualservice_controller.go / virtualservice.go MergeHTTPRoutes)", () => {
  const root = (http: string) => virtualService("root", "default", `  hosts: [reviews]\n  http:\n${http}`);
  const child = (http: string, name = "child") => virtualService(name, "default", `  http:\n${http}`);

  it("a delegate route without match is not a catch-all: later root routes remain", () => {
    const yaml = `${BASE}${root("  - delegate: {name: child}\n  - route: [{destination: {host: reviews, subset: v3}}]\n")}${child(
      "  - match: [{uri: {prefix: /a}}]\n    route: [{destination: {host: reviews, subset: v2}}]\n",
    )}`;
    expect(clustersOf(trace(yaml, "http://reviews:9080/a"))).toEqual([`outbound|9080|v2|${R}@100`]);
    expect(clustersOf(trace(yaml, "http://reviews:9080/b"))).toEqual([`outbound|9080|v3|${R}@100`]);
  });

  it("a route delegating to a missing VirtualService is dropped", () => {
    const yaml = `${BASE}${root("  - match: [{uri: {prefix: /a}}]\n    delegate: {name: nope}\n  - route: [{destination: {host: reviews, subset: v3}}]\n")}`;
    const result = trace(yaml, "http://reviews:9080/a");
    expect(result.outcome).toBe("delivered");
    expect(clustersOf(result)).toEqual([`outbound|9080|v3|${R}@100`]);
  });

  it("a delegate route conflicting with its root match (regex in both, ignoreUriCase differs) is dropped", () => {
    const yaml = `${BASE}${root(
      "  - match: [{uri: {regex: '/a.*'}}]\n    delegate: {name: child}\n  - route: [{destination: {host: reviews, subset: v3}}]\n",
    )}${child("  - match: [{uri: {regex: '/a/b'}}]\n    route: [{destination: {host: reviews, subset: v2}}]\n")}`;
    expect(clustersOf(trace(yaml, "http://reviews:9080/a/b"))).toEqual([`outbound|9080|v3|${R}@100`]);
    const yaml2 = `${BASE}${root(
      "  - match: [{uri: {prefix: /a}}]\n    delegate: {name: child}\n  - route: [{destination: {host: reviews, subset: v3}}]\n",
    )}${child("  - match: [{uri: {prefix: /a/b}, ignoreUriCase: true}]\n    route: [{destination: {host: reviews, subset: v2}}]\n")}`;
    expect(clustersOf(trace(yaml2, "http://reviews:9080/a/b"))).toEqual([`outbound|9080|v3|${R}@100`]);
  });

  it("the delegate's match overrides the root's uri; a delegate catch-all ends the routes", () => {
    const yaml = `${BASE}${root(
      "  - match: [{uri: {prefix: /a}}]\n    delegate: {name: child}\n  - route: [{destination: {host: reviews, subset: v3}}]\n",
    )}${child("  - match: [{uri: {exact: /a/b}}]\n    route: [{destination: {host: reviews, subset: v2}}]\n  - route: [{destination: {host: reviews, subset: v1}}]\n")}`;
    expect(clustersOf(trace(yaml, "http://reviews:9080/a/b"))).toEqual([`outbound|9080|v2|${R}@100`]);
    expect(clustersOf(trace(yaml, "http://reviews:9080/a/c"))).toEqual([`outbound|9080|v1|${R}@100`]);
    expect(clustersOf(trace(yaml, "http://reviews:9080/z"))).toEqual([`outbound|9080|v3|${R}@100`]);
  });
});

describe("gateway virtual hosts (gateway.go buildGatewayRoutes)", () => {
  // A server with tls.httpsRedirect sets require_tls: ALL on its virtual hosts: plaintext requests get a 301.
  it("an HTTP server with httpsRedirect answers plaintext requests with a redirect", () => {
    const gateway = `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [web.example.com]
    tls: {httpsRedirect: true}
`;
    const yaml = `${BASE}${gateway}${virtualService("web", "default", "  hosts: [web.example.com]\n  gateways: [gw]\n  http:\n  - route: [{destination: {host: reviews}}]\n")}`;
    const result = trace(yaml, "http://web.example.com/", { from: "istio-system/istio-ingressgateway" });
    expect(result.outcome).toBe("redirect");
    expect(result.reason).toContain("https://web.example.com/");
  });
});

describe("gateway route order (route.go SortVHostRoutes / IsCatchAllRoute, sourceMatchHTTP)", () => {
  // A match on sourceLabels the gateway pod carries is generated without conditions: a catch-all, moved last.
  it("a sourceLabels-only match that selects the gateway is a catch-all moved after other VirtualServices' routes", () => {
    const yaml = `${BASE}${ingressGateway("gw", "default", '["web.example.com"]')}${virtualService(
      "a",
      "default",
      "  hosts: [web.example.com]\n  gateways: [gw]\n  http:\n  - match: [{sourceLabels: {istio: ingressgateway}}]\n    route: [{destination: {host: reviews, subset: v1}}]\n",
    )}${virtualService("b", "default", "  hosts: [web.example.com]\n  gateways: [gw]\n  http:\n  - match: [{uri: {prefix: /b}}]\n    route: [{destination: {host: reviews, subset: v2}}]\n")}`;
    const from = "istio-system/istio-ingressgateway";
    expect(clustersOf(trace(yaml, "http://web.example.com/b", { from }))).toEqual([`outbound|9080|v2|${R}@100`]);
    expect(clustersOf(trace(yaml, "http://web.example.com/a", { from }))).toEqual([`outbound|9080|v1|${R}@100`]);
  });
});
