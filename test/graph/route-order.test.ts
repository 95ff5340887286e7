import { describe, expect, it } from "vitest";
import { isCatchAllMatch } from "../../src/graph/outbound.js";
import { ingressGateway, virtualService as vs } from "../fixtures/manifests.js";
import { graphOf, service } from "./helpers.js";

const gateway = ingressGateway("gw", "default", '["shop.example.com"]');

describe("Istio's catch-all routes (IsCatchAllRoute)", () => {
  it.each([
    [{}, true],
    [{ uri: { prefix: "/" } }, true],
    [{ uri: { regex: ".*" } }, true],
    [{ uri: { prefix: "/" }, port: 80, gateways: ["gw"], name: "all" }, true],
    [{ uri: { prefix: "/api" } }, false],
    [{ uri: { prefix: "/" }, headers: { a: { exact: "b" } } }, false],
    [{ method: { exact: "GET" } }, false],
    [{ queryParams: { a: {} } }, false],
    [{ sourceLabels: { app: "web" } }, false],
    [{ sourceLabels: { app: "web" }, gateways: ["mesh"] }, true],
  ])("%j → %s", (match, expected) => {
    expect(isCatchAllMatch(match)).toBe(expected);
  });
});

describe("route order as istiod generates it", () => {
  it("nothing after the first catch-all route of a VirtualService is generated", () => {
    const g = graphOf(
      service("a", "default") +
        vs("a", "default", "  hosts: [a]\n  http:\n  - match: [{uri: {prefix: /x}}, {uri: {prefix: /}}, {uri: {prefix: /y}}]\n    route: [{destination: {host: a}}]\n  - route: [{destination: {host: a}}]\n"),
    );
    const routes = g.outboundScope("default").virtualHost("a.default.svc.cluster.local", 9080)!.routes;
    expect(routes.map((r) => `${r.vsRoute!.index}.${r.matchIndex}`)).toEqual(["0.0", "0.1"]);
  });

  it("a gateway host keeps the order of the merged VirtualServices but moves catch-all routes last", () => {
    const g = graphOf(
      service("a", "default") + service("b", "default") + gateway +
        vs("one", "default", "  hosts: [shop.example.com]\n  gateways: [gw]\n  http:\n  - match: [{uri: {prefix: /a}}]\n    route: [{destination: {host: a}}]\n  - route: [{destination: {host: a}}]\n", ', creationTimestamp: "2024-01-01T00:00:00Z"') +
        vs("two", "default", "  hosts: [shop.example.com]\n  gateways: [gw]\n  http:\n  - match: [{uri: {prefix: /b}}]\n    route: [{destination: {host: b}}]\n  - match: [{uri: {regex: .*}}]\n    route: [{destination: {host: b}}]\n", ', creationTimestamp: "2024-02-01T00:00:00Z"'),
    );
    const gatewayProxy = g.gatewayProxy(g.proxy("istio-system/istio-ingressgateway")!);
    const routes = gatewayProxy.routeConfig("http.8080")!.virtualHosts[0].routes;
    expect(routes.map((r) => `${r.virtualService!.name}.${r.vsRoute!.index}`)).toEqual(["one.0", "two.0", "one.1", "two.1"]);
  });

  it("VirtualServices private to the gateway's namespace come before public ones", () => {
    const g = graphOf(
      service("a", "istio-system") +
        gateway.replace("namespace: default", "namespace: istio-system") +
        vs("public", "istio-system", "  hosts: [shop.example.com]\n  gateways: [gw]\n  http:\n  - match: [{uri: {prefix: /p}}]\n    route: [{destination: {host: a}}]\n", ', creationTimestamp: "2024-01-01T00:00:00Z"') +
        vs("private", "istio-system", '  hosts: [shop.example.com]\n  gateways: [gw]\n  exportTo: ["."]\n  http:\n  - match: [{uri: {prefix: /q}}]\n    route: [{destination: {host: a}}]\n', ', creationTimestamp: "2024-02-01T00:00:00Z"'),
    );
    const gatewayProxy = g.gatewayProxy(g.proxy("istio-system/istio-ingressgateway")!);
    const routes = gatewayProxy.routeConfig("http.8080")!.virtualHosts[0].routes;
    expect(routes.map((r) => r.virtualService!.name)).toEqual(["private", "public"]);
  });
});
