import { describe, expect, it } from "vitest";
import { buildGraph } from "../../src/graph/index.js";
import { parseSource } from "../../src/load/parse.js";
import { buildModel } from "../../src/model/index.js";
import { DEFAULT_MESH } from "../../src/model/mesh.js";
import { unreachableRoute } from "../../src/rules/unreachable-route.js";
import { ingressServer, tlsServiceEntry } from "../fixtures/manifests.js";
import { lintRule } from "../helpers.js";
import { matchCovers, uriConditionOf } from "../../src/rules/unreachable-route-match.js";

/** Messages of `unreachable-route` for some YAML: `line:column severity [code] message`. */
async function lint(yaml: string): Promise<string[]> {
  const { messages, stderr } = await lintRule("unreachable-route", yaml);
  expect(stderr).toBe("");
  return messages.map((message) => `${message.line}:${message.column} ${message.severity === 2 ? "error" : "warning"} ${message.istioCode ?? "-"} ${message.message}`);
}

const vs = (name: string, body: string, meta = "") => `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: shop${meta}}
spec:
${body}`;

const service = (name: string, port = 8080) => `---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: shop}
spec:
  selector: {app: ${name}}
  ports: [{name: http, port: ${port}}]
`;

const gateway = (name: string, hosts = '["shop.example.com"]', port = 80) => `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ${name}, namespace: shop}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${port}, name: http, protocol: HTTP}
    hosts: ${hosts}
`;

/** An HTTP VirtualService for host `catalog` with the given routes (YAML flow mappings, one per line). */
const routes = (...list: string[]) => vs("catalog", `  hosts: [catalog]\n  http:\n${list.map((r) => `  - ${r}\n`).join("")}`);
const to = (subset: string) => `route: [{destination: {host: catalog, subset: ${subset}}}]`;

/** Service `catalog` with port http 8080 and another port (a YAML flow mapping). */
const ports = (list: string) => service("catalog").replace("ports: [{name: http, port: 8080}]", `ports: [{name: http, port: 8080}, ${list}]`);

const delegateVs = (...list: string[]) => vs("api", `  http:\n${list.map((r) => `  - ${r}\n`).join("")}`);
const root = vs("root", `  hosts: [catalog]\n  http:\n  - {match: [{uri: {prefix: /api}}], delegate: {name: api, namespace: shop}}\n  - {match: [{uri: {prefix: /api/v2}}], ${to("v1")}}\n`);

describe("valid: every route can be reached", () => {
  it.each([
    ["a header route before the catch-all", routes(`{match: [{headers: {end-user: {exact: jason}}}], ${to("v2")}}`, `{${to("v3")}}`)],
    ["a longer prefix before a shorter one", routes(`{match: [{uri: {prefix: /api/v2}}], ${to("v2")}}`, `{match: [{uri: {prefix: /api}}], ${to("v1")}}`)],
    ["an earlier route with a method is narrower (Istio's analyzer flags this one)", routes(`{match: [{uri: {prefix: /api}, method: {exact: GET}}], ${to("v2")}}`, `{match: [{uri: {prefix: /api/v2}}], ${to("v1")}}`)],
    ["an earlier header condition the later route lacks", routes(`{match: [{uri: {prefix: /}, headers: {x-beta: {exact: "true"}}}], ${to("v2")}}`, `{match: [{uri: {prefix: /api}}], ${to("v1")}}`)],
    ["different header values", routes(`{match: [{headers: {x-beta: {exact: "true"}}}], ${to("v2")}}`, `{match: [{headers: {x-beta: {exact: "yes"}}}], ${to("v1")}}`)],
    ["case-sensitive exact paths differ in case", routes(`{match: [{uri: {exact: /api}}], ${to("v2")}}`, `{match: [{uri: {exact: /API}}], ${to("v1")}}`)],
    ["a later case-insensitive path is wider than an earlier case-sensitive one", routes(`{match: [{uri: {prefix: /api}}], ${to("v2")}}`, `{match: [{uri: {prefix: /api/v2}, ignoreUriCase: true}], ${to("v1")}}`)],
    ["a regex the later path does not match", routes(`{match: [{uri: {regex: "/api/v[0-9]+"}}], ${to("v2")}}`, `{match: [{uri: {exact: /api/vx}}], ${to("v1")}}`)],
    ["a regex that is no prefix match is not compared with a prefix", routes(`{match: [{uri: {regex: "/api/v[0-9]+/.*"}}], ${to("v2")}}`, `{match: [{uri: {prefix: /api/v2}}], ${to("v1")}}`)],
    ["a regex ending in `.+` does not take the prefix itself", routes(`{match: [{uri: {regex: "/web/.+"}}], ${to("v2")}}`, `{match: [{uri: {exact: /web/}}], ${to("v1")}}`)],
    ["a URI regex is case-sensitive whatever ignoreUriCase says", routes(`{match: [{uri: {regex: "/API/.*"}, ignoreUriCase: true}], ${to("v2")}}`, `{match: [{uri: {prefix: /API/v2}, ignoreUriCase: true}], ${to("v1")}}`)],
    ["a later regex with a top-level alternative", routes(`{match: [{uri: {prefix: /v1}}], ${to("v2")}}`, `{match: [{uri: {regex: "/v1/a|/b"}}], ${to("v1")}}`)],
    ["a later regex whose last literal is optional", routes(`{match: [{uri: {prefix: /w/v1}}], ${to("v2")}}`, `{match: [{uri: {regex: "/w/v1?/x"}}], ${to("v1")}}`)],
    ["an escaped letter in a regex is no literal", routes(`{match: [{uri: {regex: "/\\d.*"}}], ${to("v2")}}`, `{match: [{uri: {prefix: /d}}], ${to("v1")}}`)],
    ["source labels only narrow the earlier route", routes(`{match: [{sourceLabels: {app: web}}], ${to("v2")}}`, `{${to("v1")}}`)],
    ["withoutHeaders on the earlier route", routes(`{match: [{withoutHeaders: {x-beta: {}}}], ${to("v2")}}`, `{${to("v1")}}`)],
    ["query parameters narrow the earlier route", routes(`{match: [{queryParams: {debug: {exact: "1"}}}], ${to("v2")}}`, `{match: [{uri: {prefix: /}}], ${to("v1")}}`)],
    ["a delegating route falls through when the delegate has no match", vs("root", `  hosts: [catalog]\n  http:\n  - {match: [{uri: {prefix: /api}}], delegate: {name: api, namespace: shop}}\n  - {match: [{uri: {prefix: /api/v2}}], ${to("v1")}}\n`)],
    ["a delegate whose every route has a match: requests it does not match fall through", root + delegateVs(`{match: [{uri: {prefix: /api/v1}}], ${to("v1")}}`)],
    ["a delegate route that narrows the root's match with a header", root + delegateVs(`{match: [{uri: {prefix: /api/v2}, headers: {x-beta: {exact: "1"}}}], ${to("v1")}}`)],
    ["a match port on a VirtualService whose hosts are all outside the registry (the input does not say)", vs("ext", `  hosts: [api.example.com]\n  http:\n  - {match: [{port: 7070}], ${to("v2")}}\n  - {${to("v1")}}\n`)],
    ["the same match on different ports", routes(`{match: [{port: 8080, uri: {prefix: /}}], ${to("v2")}}`, `{match: [{port: 9090, uri: {prefix: /}}], ${to("v1")}}`) + service("catalog") .replace("ports: [{name: http, port: 8080}]", "ports: [{name: http, port: 8080}, {name: http-admin, port: 9090}]")],
  ])("%s", async (_, yaml) => {
    expect(await lint(yaml)).toEqual([]);
  });

  it("a gateway whose wildcard server host covers the VirtualService's host serves it", async () => {
    const yaml = gateway("gw", '["*.example.com"]') + vs("shop", `  hosts: [shop.example.com]\n  gateways: [gw]\n  http:\n  - ${to("v1")}\n`);
    expect(await lint(yaml)).toEqual([]);
  });

  it("entries restricted to different gateways do not shadow each other", async () => {
    const yaml = gateway("a") + gateway("b") + vs("shop", `  hosts: [shop.example.com]\n  gateways: [a, b]\n  http:\n  - {match: [{gateways: [a]}], ${to("v2")}}\n  - {match: [{gateways: [b]}], ${to("v1")}}\n`);
    expect(await lint(yaml)).toEqual([]);
  });

  it("a catch-all of one VirtualService does not shadow another's routes on a gateway (istiod moves catch-alls last)", async () => {
    const yaml =
      gateway("gw") +
      vs("one", `  hosts: [shop.example.com]\n  gateways: [gw]\n  http:\n  - ${to("v1")}\n`, ', creationTimestamp: "2024-01-01T00:00:00Z"') +
      vs("two", `  hosts: [shop.example.com]\n  gateways: [gw]\n  http:\n  - {match: [{uri: {exact: /hello}}], ${to("v2")}}\n`, ', creationTimestamp: "2024-02-01T00:00:00Z"');
    expect(await lint(yaml)).toEqual([]);
  });

  it("a wildcard host and a specific host make two virtual hosts on a gateway: Envoy picks the most specific one", async () => {
    const yaml =
      gateway("gw", '["*.example.com"]') +
      vs("all", `  hosts: ["*.example.com"]\n  gateways: [gw]\n  http:\n  - {match: [{uri: {prefix: /}}], ${to("v1")}}\n`, ', creationTimestamp: "2024-01-01T00:00:00Z"') +
      vs("shop", `  hosts: [shop.example.com]\n  gateways: [gw]\n  http:\n  - {match: [{uri: {prefix: /api}}], ${to("v2")}}\n`, ', creationTimestamp: "2024-02-01T00:00:00Z"');
    expect(await lint(yaml)).toEqual([]);
  });

  it("a namespace-private VirtualService overriding a public one is not reported", async () => {
    const yaml =
      vs("public", `  hosts: [catalog.shop.svc.cluster.local]\n  http:\n  - ${to("v1")}\n`) +
      `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: override, namespace: web}
spec:
  hosts: [catalog.shop.svc.cluster.local]
  exportTo: ["."]
  http:
  - route: [{destination: {host: catalog.shop.svc.cluster.local, subset: v2}}]
`;
    expect(await lint(yaml)).toEqual([]);
  });

  it.each([
    ["a port whose protocol is sniffed (no known name)", ports("{name: admin, port: 9000}")],
    ["a gRPC port", ports("{name: grpc, port: 9000}")],
    ["another service has an HTTP port with that number", ports("{name: tcp-metrics, port: 9000}") + service("web", 9000)],
    [
      "a Sidecar declares egress ports (it may make the port HTTP)",
      ports("{name: tcp-metrics, port: 9000}") +
        "---\napiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: default, namespace: shop}\nspec:\n  egress:\n  - port: {number: 9000, protocol: HTTP, name: http}\n    hosts: [\"./*\"]\n",
    ],
  ])("a match port of the host that may carry HTTP routes: %s", async (_, yaml) => {
    expect(await lint(yaml + routes(`{match: [{port: 9000}], ${to("v2")}}`, `{${to("v1")}}`))).toEqual([]);
  });
});

describe("invalid: routes no request reaches", () => {
  it("a route after a route without match", async () => {
    const [message, ...rest] = await lint(routes(`{name: default, ${to("v1")}}`, `{name: beta, match: [{headers: {x-beta: {exact: "true"}}}], ${to("v2")}}`));
    expect(rest).toEqual([]);
    expect(message).toBe(
      '9:5 error IST0130 Route 1 ("beta") is never used: Envoy picks the first matching route, and route 0 ("default", line 8) has no match, so it takes every request. Move it above route 0 ("default")',
    );
  });

  it("a plain string prefix covers a longer path (`/api` covers `/apiv2`)", async () => {
    expect(await lint(routes(`{match: [{uri: {prefix: /api}}], ${to("v1")}}`, `{match: [{uri: {prefix: /apiv2}}], ${to("v2")}}`))).toEqual([
      '9:5 error IST0130 Route 1 is never used: Envoy picks the first matching route, and requests matching uri prefix "/api" go to route 0 (line 8)',
      '9:14 warning IST0131 Match 0 of route 1 is never used: Envoy picks the first matching route, and requests matching uri prefix "/api" go to route 0 (line 8)',
    ]);
  });

  it.each([
    ["an exact path under a prefix", `{match: [{uri: {prefix: /api}}], ${to("v1")}}`, `{match: [{uri: {exact: /api/orders}}], ${to("v2")}}`],
    ["a header condition that narrows an earlier match", `{match: [{uri: {prefix: /api}}], ${to("v1")}}`, `{match: [{uri: {prefix: /api/v2}, headers: {x-beta: {exact: "true"}}}], ${to("v2")}}`],
    ["a method condition that narrows an earlier match", `{match: [{headers: {x-beta: {}}}], ${to("v1")}}`, `{match: [{method: {exact: POST}, headers: {x-beta: {prefix: "t"}}}], ${to("v2")}}`],
    ["a regex `.*` catch-all", `{match: [{uri: {regex: ".*"}}], ${to("v1")}}`, `{match: [{uri: {exact: /x}}], ${to("v2")}}`],
    ["`prefix: /` catch-all", `{match: [{uri: {prefix: /}}], ${to("v1")}}`, `{match: [{uri: {exact: /x}, queryParams: {a: {exact: b}}}], ${to("v2")}}`],
    ["an earlier case-insensitive match", `{match: [{uri: {exact: /API}, ignoreUriCase: true}], ${to("v1")}}`, `{match: [{uri: {exact: /api}}], ${to("v2")}}`],
    ["a regex that matches the later exact path", `{match: [{uri: {regex: "/api/v[0-9]+"}}], ${to("v1")}}`, `{match: [{uri: {exact: /api/v2}}], ${to("v2")}}`],
  ])("%s", async (_, first, second) => {
    const messages = await lint(routes(first, second));
    expect(messages[0]).toMatch(/^9:5 error IST0130 Route 1 is never used/);
  });

  it.each([
    [
      "`/.*` accepts every path",
      `{name: all, match: [{uri: {regex: "/.*"}}], ${to("v1")}}`,
      `{match: [{uri: {prefix: /v2}}], ${to("v2")}}`,
      '9:5 error IST0130 Route 1 is never used: Envoy picks the first matching route, and route 0 ("all", line 8) matches uri regex "/.*", so it takes every request. Move it above route 0 ("all")',
    ],
    [
      "`^/api/.*$` is prefix /api/",
      `{match: [{uri: {regex: "^/api/.*$"}}], ${to("v1")}}`,
      `{match: [{uri: {prefix: /api/v2}}], ${to("v2")}}`,
      '9:5 error IST0130 Route 1 is never used: Envoy picks the first matching route, and requests matching uri regex "^/api/.*$" go to route 0 (line 8)',
    ],
    [
      "a capture group: `^/cap/(.*)$` is prefix /cap/",
      `{match: [{uri: {regex: "^/cap/(.*)$"}}], ${to("v1")}}`,
      `{match: [{uri: {prefix: /cap/}}], ${to("v2")}}`,
      '9:5 error IST0130 Route 1 is never used: Envoy picks the first matching route, and requests matching uri regex "^/cap/(.*)$" go to route 0 (line 8)',
    ],
    [
      "`/web/.+` takes every longer path",
      `{match: [{uri: {regex: "/web/.+"}}], ${to("v1")}}`,
      `{match: [{uri: {prefix: /web/x}}], ${to("v2")}}`,
      '9:5 error IST0130 Route 1 is never used: Envoy picks the first matching route, and requests matching uri regex "/web/.+" go to route 0 (line 8)',
    ],
    [
      "a regex with ignoreUriCase is still case-sensitive: it covers the same case",
      `{match: [{uri: {regex: "/API/.*"}, ignoreUriCase: true}], ${to("v1")}}`,
      `{match: [{uri: {prefix: /API/x}}], ${to("v2")}}`,
      '9:5 error IST0130 Route 1 is never used: Envoy picks the first matching route, and requests matching uri regex "/API/.*" go to route 0 (line 8)',
    ],
    [
      "a literal regex is an exact path",
      `{match: [{uri: {exact: /healthz}}], ${to("v1")}}`,
      `{match: [{uri: {regex: "^/healthz$"}}], ${to("v2")}}`,
      '9:5 error IST0130 Route 1 is never used: Envoy picks the first matching route, and requests matching uri exact "/healthz" go to route 0 (line 8)',
    ],
    [
      "a later regex whose paths all start with an earlier prefix",
      `{match: [{uri: {prefix: /v1}, ignoreUriCase: true}], ${to("v1")}}`,
      `{match: [{uri: {regex: "/V1/item/[0-9]+"}}], ${to("v2")}}`,
      '9:5 error IST0130 Route 1 is never used: Envoy picks the first matching route, and requests matching uri prefix "/v1" (any case) go to route 0 (line 8)',
    ],
  ])("a URI regex that is a prefix or exact match, or starts with a literal: %s", async (_, first, second, expected) => {
    expect((await lint(routes(first, second)))[0]).toBe(expected);
  });

  it("a route with several matches is unreachable only when each is covered", async () => {
    const messages = await lint(
      routes(`{match: [{uri: {prefix: /a}}], ${to("v1")}}`, `{match: [{uri: {prefix: /b}}], ${to("v1")}}`, `{match: [{uri: {prefix: /a/1}}, {uri: {prefix: /b/1}}], ${to("v2")}}`, `{match: [{uri: {prefix: /a/2}}, {uri: {prefix: /c}}], ${to("v2")}}`),
    );
    expect(messages.map((m) => m.split(" is never used")[0])).toEqual([
      "10:5 error IST0130 Route 2",
      "10:14 warning IST0131 Match 0 of route 2",
      "10:37 warning IST0131 Match 1 of route 2",
      "11:14 warning IST0131 Match 0 of route 3",
    ]);
  });

  it("TCP and TLS routes: a wildcard SNI covers a later host", async () => {
    const yaml = vs("tls", `  hosts: ["*.example.com"]\n  tls:\n  - {match: [{sniHosts: ["*.example.com"]}], route: [{destination: {host: a.example.com}}]}\n  - {match: [{sniHosts: [api.example.com], port: 443}], route: [{destination: {host: b.example.com}}]}\n`);
    expect((await lint(yaml)).map((m) => m.split(":")[0] + " " + m.split(" ").slice(1, 3).join(" "))).toEqual(["9 error IST0130", "9 warning IST0131"]);
  });

  it("a route after a delegating route whose delegate has a route without match (istiod gives it the root's match)", async () => {
    expect(await lint(root + delegateVs(`{match: [{headers: {x-beta: {}}}], ${to("v2")}}`, `{${to("v1")}}`))).toEqual([
      '9:5 error IST0130 Route 1 is never used: Envoy picks the first matching route, and requests matching uri prefix "/api" go to route 0 (line 8)',
      '9:14 warning IST0131 Match 0 of route 1 is never used: Envoy picks the first matching route, and requests matching uri prefix "/api" go to route 0 (line 8)',
    ]);
  });

  it.each([
    [
      "a delegate route whose match, merged with the root's, covers the later route",
      root + delegateVs(`{match: [{uri: {prefix: /api/v2}}], ${to("v2")}}`),
      '9:5 error IST0130 Route 1 is never used: Envoy picks the first matching route, and requests matching uri prefix "/api/v2" go to route 0 (line 8) and its delegate VirtualService shop/api',
    ],
    [
      "a root route without match whose delegate takes every path",
      vs("root", `  hosts: [catalog]\n  http:\n  - {delegate: {name: api, namespace: shop}}\n  - {match: [{uri: {prefix: /api/v2}}], ${to("v1")}}\n`) + delegateVs(`{match: [{uri: {prefix: /}}], ${to("v2")}}`),
      '9:5 error IST0130 Route 1 is never used: Envoy picks the first matching route, and route 0 (line 8) and its delegate VirtualService shop/api match uri prefix "/", so they take every request. Move it above route 0',
    ],
  ])("a route after a delegating route: %s", async (_, yaml, expected) => {
    expect((await lint(yaml))[0]).toBe(expected);
  });

  it("a delegate route that conflicts with the root's match: istiod drops it, and it takes nothing from later root routes", async () => {
    const yaml =
      vs("root", `  hosts: [catalog]\n  http:\n  - {match: [{uri: {prefix: /api}}], delegate: {name: api, namespace: shop}}\n  - {match: [{uri: {prefix: /web/x}}], ${to("v1")}}\n`) +
      delegateVs(`{match: [{uri: {prefix: /web}}], ${to("v2")}}`);
    expect(await lint(yaml)).toEqual([
      '16:14 error - Route 0 of this delegate is never used: istiod drops it when it merges it into route 0 of VirtualService shop/root (line 8), because its match 0 (uri prefix "/web") does not fall within the root\'s match (uri prefix "/api"); a delegate\'s conditions are not relative to the root\'s. Envoy gets no route for it',
    ]);
  });

  it.each([
    [
      "a path written relative to the root's prefix",
      delegateVs(`{match: [{uri: {prefix: /v2}}], ${to("v2")}}`, `{${to("v1")}}`),
      '16:14 error - Route 0 of this delegate is never used: istiod drops it when it merges it into route 0 of VirtualService shop/root (line 8), because its match 0 (uri prefix "/v2") does not fall within the root\'s match (uri prefix "/api"); a delegate\'s conditions are not relative to the root\'s. Envoy gets no route for it',
    ],
    [
      "one entry of a route conflicts (istiod drops the whole route)",
      delegateVs(`{match: [{uri: {prefix: /api/v2}}, {uri: {exact: /v2}}], ${to("v2")}}`, `{${to("v1")}}`),
      '16:40 error - Route 0 of this delegate is never used: istiod drops it when it merges it into route 0 of VirtualService shop/root (line 8), because its match 1 (uri exact "/v2") does not fall within the root\'s match (uri prefix "/api"); a delegate\'s conditions are not relative to the root\'s. Envoy gets no route for it',
    ],
    [
      "a regex under a root prefix (istiod accepts no regex there)",
      delegateVs(`{match: [{uri: {regex: "/api/v[0-9]+"}}], ${to("v2")}}`, `{${to("v1")}}`),
      '16:14 error - Route 0 of this delegate is never used: istiod drops it when it merges it into route 0 of VirtualService shop/root (line 8), because its match 0 (uri regex "/api/v[0-9]+") does not fall within the root\'s match (uri prefix "/api"); a delegate\'s conditions are not relative to the root\'s. Envoy gets no route for it',
    ],
  ])("a delegate route istiod drops: %s", async (_, delegate, expected) => {
    const yaml = vs("root", `  hosts: [catalog]\n  http:\n  - {match: [{uri: {prefix: /api}}], delegate: {name: api, namespace: shop}}\n  - {${to("v1")}}\n`) + delegate;
    expect(await lint(yaml)).toEqual([expected]);
  });

  it("a delegate route dropped for one root but used by another is not reported", async () => {
    const yaml =
      vs("root", `  hosts: [catalog]\n  http:\n  - {match: [{uri: {prefix: /api}}], delegate: {name: api, namespace: shop}}\n  - {${to("v1")}}\n`) +
      vs("root2", `  hosts: [web]\n  http:\n  - {match: [{uri: {prefix: /web}}], delegate: {name: api, namespace: shop}}\n  - {${to("v1")}}\n`) +
      delegateVs(`{match: [{uri: {prefix: /web/v2}}], ${to("v2")}}`, `{${to("v1")}}`);
    expect(await lint(yaml)).toEqual([]);
  });

  it("a match port no listener for the host has", async () => {
    expect(await lint(service("catalog") + routes(`{match: [{port: 9090}], ${to("v2")}}`, `{${to("v1")}}`))).toEqual([
      "15:15 error - Match 0 of route 0 applies to port 9090 only, but no listener for catalog has that port (ports 8080): Envoy never uses it",
    ]);
  });

  it.each([
    ["on sidecars and a gateway, a host of no service among them", "mesh, gw", "[catalog, catalog.example.com]", "catalog, catalog.example.com", "ports 80, 8080"],
    ["on sidecars, a host of no service among them (it gets the service's ports)", "mesh", "[catalog, catalog.example.com]", "catalog, catalog.example.com", "ports 8080"],
  ])("a match port no listener has: %s", async (_, gateways, hosts, written, listeners) => {
    const yaml = service("catalog") + gateway("gw", '["catalog.example.com"]') + vs("catalog", `  hosts: ${hosts}\n  gateways: [${gateways}]\n  http:\n  - {match: [{port: 7070}], ${to("v2")}}\n  - {match: [{port: 8080}], ${to("v2")}}\n  - {${to("v1")}}\n`);
    expect(await lint(yaml)).toEqual([
      `25:15 error - Match 0 of route 0 applies to port 7070 only, but no listener for ${written} has that port (${listeners}): Envoy never uses it`,
    ]);
  });

  it.each([
    ["a TCP port (by name)", "{name: tcp-metrics, port: 9000}", "TCP (port name tcp-metrics)"],
    ["an HTTPS port (sidecars pass TLS through)", "{name: https-api, port: 9000}", "HTTPS (port name https-api)"],
    ["a port whose appProtocol is mysql", "{name: db, appProtocol: mysql, port: 9000}", "MYSQL (port name db)"],
  ])("a match port of the host that is not HTTP: %s", async (_, port, protocol) => {
    expect(await lint(ports(port) + routes(`{match: [{port: 9000}], ${to("v2")}}`, `{${to("v1")}}`))).toEqual([
      `15:15 error - Match 0 of route 0 applies to port 9000 only, but that port of catalog is ${protocol}, not HTTP: sidecars build no HTTP routes for it, so Envoy never uses it`,
    ]);
  });

  /** Service `catalog` with only the given ports (YAML flow mappings). */
  const only = (list: string) => service("catalog").replace("ports: [{name: http, port: 8080}]", `ports: [${list}]`);
  const tlsEntry = `---\n${tlsServiceEntry("api", "shop", "[api.example.com]")}`;
  it.each([
    ["a TCP and an HTTP port", only("{name: tcp-db, port: 3306}, {name: http, port: 8080}"), routes(`{${to("v1")}}`)],
    ["an unnamed port (sniffed)", only("{port: 9000}"), routes(`{${to("v1")}}`)],
    ["tcp routes for a TCP port", only("{name: tcp-db, port: 3306}"), vs("catalog", `  hosts: [catalog]\n  tcp:\n  - {${to("v1")}}\n`)],
    ["bound to a gateway too", only("{name: tcp-db, port: 3306}") + gateway("gw", '["catalog.example.com"]'), vs("catalog", `  hosts: [catalog, catalog.example.com]\n  gateways: [mesh, gw]\n  http:\n  - {${to("v1")}}\n`)],
    ["another service has an HTTP port of that number", only("{name: tcp-db, port: 3306}") + service("web", 3306), routes(`{${to("v1")}}`)],
    ["a host the input does not define", only("{name: tcp-db, port: 3306}"), vs("catalog", `  hosts: [catalog, other]\n  http:\n  - {${to("v1")}}\n`)],
    ["tls routes for a TLS port", tlsEntry, vs("api", "  hosts: [api.example.com]\n  tls:\n  - match: [{sniHosts: [api.example.com]}]\n    route: [{destination: {host: api.example.com}}]\n")],
    ["tcp routes for a sniffed port", only("{port: 9000}"), vs("catalog", `  hosts: [catalog]\n  tcp:\n  - {${to("v1")}}\n`)],
  ])("valid: routes for a service with a port that takes them, or not only for sidecars: %s", async (_, services, virtualService) => {
    expect(await lint(services + virtualService)).toEqual([]);
  });

  it.each([
    [
      "a service whose only port is TCP",
      only("{name: tcp-db, port: 3306}") + routes(`{match: [{port: 3306}], ${to("v2")}}`, `{${to("v1")}}`),
      "15:5 error - The HTTP routes of this VirtualService are never used: catalog has no HTTP port (port 3306 tcp-db is TCP), and sidecars build HTTP routes only for HTTP ports and ports whose protocol they sniff. Connections go to the service's default cluster as if this VirtualService did not exist. Name the port http-... (or set appProtocol: http) if it carries HTTP, or write tcp routes",
    ],
    [
      "an unnamed port 3306 (MySQL's, which Istio takes as TCP)",
      only("{port: 3306}") + routes(`{${to("v1")}}`),
      "15:5 error - The HTTP routes of this VirtualService are never used: catalog has no HTTP port (port 3306 is TCP), and sidecars build HTTP routes only for HTTP ports and ports whose protocol they sniff. Connections go to the service's default cluster as if this VirtualService did not exist. Name the port http-... (or set appProtocol: http) if it carries HTTP, or write tcp routes",
    ],
    [
      "an external TLS host with an HTTP timeout (sidecars pass the TLS through)",
      tlsEntry + vs("api", "  hosts: [api.example.com]\n  http:\n  - timeout: 3s\n    route: [{destination: {host: api.example.com}}]\n"),
      "15:5 error - The HTTP routes of this VirtualService are never used: api.example.com has no HTTP port (port 443 tls is TLS), and sidecars build HTTP routes only for HTTP ports and ports whose protocol they sniff. Connections go to the service's default cluster as if this VirtualService did not exist. Name the port http-... (or set appProtocol: http) if it carries HTTP, or write tcp routes",
    ],
    [
      "tcp routes for a TLS port (sidecars use tls routes there)",
      tlsEntry + vs("api", "  hosts: [api.example.com]\n  tcp:\n  - route: [{destination: {host: api.example.com}}]\n"),
      "15:5 error - The tcp routes of this VirtualService are never used: api.example.com has no TCP or sniffed port (port 443 tls is TLS), and sidecars use tls routes only on TLS and HTTPS ports and tcp routes only on TCP ports and ports whose protocol they sniff. Connections go to the service's default cluster as if these routes did not exist: write them as tls routes (match sniHosts)",
    ],
    [
      "tls routes for an HTTP service",
      service("catalog") + vs("catalog", "  hosts: [catalog]\n  tls:\n  - match: [{sniHosts: [catalog]}]\n    route: [{destination: {host: catalog}}]\n"),
      "15:5 error - The tls routes of this VirtualService are never used: catalog has no TLS or HTTPS port (port 8080 http is HTTP), and sidecars use tls routes only on TLS and HTTPS ports and tcp routes only on TCP ports and ports whose protocol they sniff. Connections go to the service's default cluster as if these routes did not exist: use HTTP routes",
    ],
  ])("invalid: routes for sidecars to services without a port that takes them: %s", async (_, yaml, expected) => {
    expect(await lint(yaml)).toEqual([expected]);
  });

  const webCatalog = service("catalog").replace("namespace: shop", "namespace: web");
  const toWeb = vs("catalog", `  hosts: [catalog]\n  http:\n  - route: [{destination: {host: catalog.web.svc.cluster.local}}]\n`);
  it.each([
    ["the short host is a service of the namespace too", webCatalog + service("catalog") + toWeb],
    ["routes to a service of another name", webCatalog + vs("catalog", `  hosts: [catalog]\n  http:\n  - route: [{destination: {host: reviews.web.svc.cluster.local}}]\n`) + service("reviews").replace("namespace: shop", "namespace: web")],
    ["bound to a gateway only", webCatalog + gateway("gw", '["*"]') + vs("catalog", `  hosts: [catalog]\n  gateways: [gw]\n  http:\n  - route: [{destination: {host: catalog.web.svc.cluster.local}}]\n`)],
  ])("valid: a short host that means what it says: %s", async (_, yaml) => {
    expect(await lint(yaml)).toEqual([]);
  });

  it("a short host completed with the VirtualService's namespace while the routes go to that name elsewhere", async () => {
    expect(await lint(webCatalog + toWeb)).toEqual([
      '13:11 warning - Host "catalog" of this VirtualService means catalog.shop.svc.cluster.local (a short host is completed with the VirtualService\'s namespace), which is no Service or ServiceEntry of the input: no client resolves that name, so these routes never apply to the traffic for catalog.web.svc.cluster.local, where they send it. Write the host as catalog.web.svc.cluster.local',
    ]);
  });

  it("match gateways the VirtualService is not bound to", async () => {
    const yaml = gateway("gw") + vs("shop", `  hosts: [shop.example.com]\n  gateways: [gw]\n  http:\n  - {match: [{gateways: [mesh]}], ${to("v2")}}\n  - {match: [{gateways: [gw, other]}], ${to("v1")}}\n`);
    expect(await lint(yaml)).toEqual([
      "18:15 error - Match 0 of route 0 applies on mesh only, and this VirtualService is not bound to it (it is bound to shop/gw): no proxy gets it",
      "19:30 warning - This VirtualService is not bound to gateway other (it is bound to shop/gw): this entry never applies there",
    ]);
  });

  it.each([
    [
      "the only gateway it is bound to serves other hosts: the VirtualService is never used",
      gateway("gw") + vs("admin", `  hosts: [admin.example.com]\n  gateways: [gw]\n  http:\n  - ${to("v1")}\n`),
      [
        "16:14 error - Gateway shop/gw serves none of the hosts of this VirtualService (admin.example.com): istiod builds no virtual host from it on that gateway's proxies, so this VirtualService is never used there",
      ],
    ],
    [
      "bound to mesh too: the routes still apply on sidecars",
      gateway("gw") + vs("catalog", `  hosts: [catalog]\n  gateways: [mesh, gw]\n  http:\n  - ${to("v1")}\n`),
      [
        "16:20 warning - Gateway shop/gw serves none of the hosts of this VirtualService (catalog): istiod builds no virtual host from it on that gateway's proxies, so its routes are never used there",
      ],
    ],
    [
      "the server admits VirtualServices of another namespace only",
      gateway("gw", '["web/shop.example.com"]') + vs("shop", `  hosts: [shop.example.com]\n  gateways: [gw]\n  http:\n  - ${to("v1")}\n`),
      [
        "16:14 error - Gateway shop/gw serves none of the hosts of this VirtualService (shop.example.com): istiod builds no virtual host from it on that gateway's proxies, so this VirtualService is never used there",
      ],
    ],
  ])("a VirtualService bound to a gateway that does not serve its hosts: %s", async (_, yaml, expected) => {
    expect(await lint(yaml)).toEqual(expected);
  });

  /** A Gateway `gw` with one server for shop.example.com (flow mappings for port and tls). */
  const server = (port: string, tls = "") => ingressServer("gw", "shop", port, "[shop.example.com]", tls);
  const shopVs = (gateways: string, body: string) => vs("shop", `  hosts: [shop.example.com]\n  gateways: ${gateways}\n${body}`);
  const http = `  http:\n  - ${to("v1")}\n`;
  const tls = "  tls:\n  - match: [{sniHosts: [shop.example.com]}]\n    route: [{destination: {host: catalog}}]\n";
  const tcp = "  tcp:\n  - route: [{destination: {host: catalog}}]\n";
  it.each([
    ["HTTP routes on an HTTP server", server("{number: 80, name: http, protocol: HTTP}"), "[gw]", http],
    ["HTTP routes on an HTTPS server that terminates TLS", server("{number: 443, name: https, protocol: HTTPS}", "{mode: SIMPLE, credentialName: shop}"), "[gw]", http],
    ["HTTP routes on a gRPC-Web server", server("{number: 80, name: grpc-web, protocol: GRPC-WEB}"), "[gw]", http],
    ["tls routes on an HTTPS PASSTHROUGH server", server("{number: 443, name: https, protocol: HTTPS}", "{mode: PASSTHROUGH}"), "[gw]", tls],
    ["tcp routes on a TLS server that terminates TLS", server("{number: 8443, name: tls, protocol: TLS}", "{mode: SIMPLE, credentialName: shop}"), "[gw]", tcp],
    ["HTTP routes on a PASSTHROUGH server, also bound to mesh (sidecars use them)", server("{number: 443, name: tls, protocol: TLS}", "{mode: PASSTHROUGH}"), "[mesh, gw]", http],
    ["HTTP and tls routes: each kind has its server", server("{number: 443, name: tls, protocol: TLS}", "{mode: PASSTHROUGH}") + gateway("web"), "[gw, web]", http + tls],
  ])("valid: the servers take the routes' kind: %s", async (_, gateways, bound, body) => {
    expect(await lint(service("catalog") + gateways + shopVs(bound, body))).toEqual([]);
  });

  it.each([
    [
      "HTTP routes on a TLS PASSTHROUGH server",
      server("{number: 443, name: tls, protocol: TLS}", "{mode: PASSTHROUGH}"),
      http,
      "26:5 error - The HTTP routes of this VirtualService are never used: the servers of shop/gw for its hosts (port 443 TLS PASSTHROUGH) take tls routes only. istiod builds HTTP routes for HTTP servers and HTTPS servers that terminate TLS, tls routes for PASSTHROUGH servers and tcp routes for other TCP and TLS servers, so Envoy gets none of these routes: route by SNI with tls routes (match sniHosts), or make the server HTTPS with mode SIMPLE (TLS terminated there) to route HTTP",
    ],
    [
      "tls routes on an HTTP server",
      server("{number: 80, name: http, protocol: HTTP}"),
      tls,
      "25:5 error - The tls routes of this VirtualService are never used: the servers of shop/gw for its hosts (port 80 HTTP) take HTTP routes only. istiod builds HTTP routes for HTTP servers and HTTPS servers that terminate TLS, tls routes for PASSTHROUGH servers and tcp routes for other TCP and TLS servers, so Envoy gets none of these routes: use HTTP routes, or make the server PASSTHROUGH to route TLS by SNI",
    ],
    [
      "tls routes on a TLS server that terminates TLS (it takes tcp routes)",
      server("{number: 8443, name: tls, protocol: TLS}", "{mode: SIMPLE, credentialName: shop}"),
      tls,
      "26:5 error - The tls routes of this VirtualService are never used: the servers of shop/gw for its hosts (port 8443 TLS SIMPLE) take tcp routes only. istiod builds HTTP routes for HTTP servers and HTTPS servers that terminate TLS, tls routes for PASSTHROUGH servers and tcp routes for other TCP and TLS servers, so Envoy gets none of these routes: write them as tcp routes",
    ],
  ])("invalid: no server of the gateways takes the routes' kind: %s", async (_, gateways, body, expected) => {
    expect(await lint(service("catalog") + gateways + shopVs("[gw]", body))).toEqual([expected]);
  });

  it("an HTTP match on the port of a PASSTHROUGH server of the gateway, beside an HTTP server", async () => {
    const gateways = server("{number: 443, name: tls, protocol: TLS}", "{mode: PASSTHROUGH}") + gateway("web");
    const yaml = service("catalog") + gateways + shopVs("[gw, web]", `  http:\n  - match: [{port: 443}]\n    ${to("v2")}\n  - ${to("v1")}\n`);
    expect(await lint(yaml)).toEqual([
      "35:14 error - Match 0 of route 0 applies to port 443 only, but no listener for shop.example.com has that port (ports 80; the server on port 443 takes tls routes only): Envoy never uses it",
    ]);
  });

  it("routes shadowed across VirtualServices merged on a gateway host", async () => {
    const yaml =
      gateway("gw") +
      vs("one", `  hosts: [shop.example.com]\n  gateways: [gw]\n  http:\n  - {match: [{uri: {prefix: /api}}], ${to("v1")}}\n`, ', creationTimestamp: "2024-01-01T00:00:00Z"') +
      vs("two", `  hosts: [shop.example.com]\n  gateways: [gw]\n  http:\n  - {match: [{uri: {prefix: /api/v2}}], ${to("v2")}}\n  - {match: [{uri: {prefix: /web}}], ${to("v2")}}\n`, ', creationTimestamp: "2024-02-01T00:00:00Z"');
    expect(await lint(yaml)).toEqual([
      '27:5 error - Route 0 is never used for host shop.example.com on gateway shop/gw: istiod merges the VirtualServices for that host in order and Envoy picks the first matching route: requests matching uri prefix "/api" go to route 0 (line 18) of VirtualService shop/one',
    ]);
  });

  it("two catch-alls for one gateway host: the second one is never used", async () => {
    const yaml =
      gateway("gw", '["*"]') +
      vs("one", `  hosts: ["*"]\n  gateways: [gw]\n  http:\n  - ${to("v1")}\n`, ', creationTimestamp: "2024-01-01T00:00:00Z"') +
      vs("two", `  hosts: ["*"]\n  gateways: [gw]\n  http:\n  - ${to("v2")}\n`, ', creationTimestamp: "2024-02-01T00:00:00Z"');
    const messages = await lint(yaml);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^27:5 error - Route 0 is never used for host \* on gateway shop\/gw: .*: route 0 \(line 18\) of VirtualService shop\/one has no match, so it takes every request$/);
  });

  it("a VirtualService sidecars drop because another one for the same host comes first", async () => {
    const yaml =
      vs("catalog-a", `  hosts: [catalog]\n  http:\n  - ${to("v1")}\n`, ', creationTimestamp: "2024-01-01T00:00:00Z"') +
      vs("catalog-b", `  hosts: [catalog]\n  http:\n  - ${to("v2")}\n`, ', creationTimestamp: "2024-02-01T00:00:00Z"');
    expect(await lint(yaml)).toEqual([
      "14:11 warning - Sidecars never use this VirtualService for host catalog.shop.svc.cluster.local: they do not merge VirtualServices for one host, and VirtualService shop/catalog-a (line 6) comes first, so its routes are the only ones for catalog.shop.svc.cluster.local. Move these routes into shop/catalog-a",
    ]);
  });

  it("one VirtualService written twice (two files, one object to the API server) does not drop itself", async () => {
    const yaml = vs("catalog", `  hosts: [catalog]\n  http:\n  - ${to("v1")}\n`) + vs("catalog", `  hosts: [catalog]\n  http:\n  - ${to("v2")}\n`);
    expect(await lint(yaml)).toEqual([]);
  });
});

describe("unreachable-route: positions only for the messages it makes", () => {
  /** Runs the rule on a linted file and a context file; the positions it asked for, and its messages. */
  function run(lintYaml: string, contextYaml: string) {
    const files = [parseSource("lint.yaml", lintYaml, "lint"), parseSource("context.yaml", contextYaml, "context")];
    const model = buildModel(files, { defaultNamespace: "default", mesh: DEFAULT_MESH });
    const graph = buildGraph(model);
    const asked: string[] = [];
    const reports: string[] = [];
    unreachableRoute.check({
      model,
      graph,
      schemaProblems: new Map(),
      enabled: () => true,
      position: (resource, path) => {
        asked.push(`${resource.name} ${path.join(".")}`);
        return { line: 1, column: 1 };
      },
      report: (report) => {
        if (report.resource.origin === "lint") reports.push(`${report.resource.name} ${report.messageId}`);
      },
    });
    return { asked, reports };
  }
  const one = vs("one", `  hosts: [shop.example.com]\n  gateways: [gw]\n  http:\n  - {match: [{uri: {prefix: /api}}], ${to("v1")}}\n`, ', creationTimestamp: "2024-01-01T00:00:00Z"');
  const two = vs("two", `  hosts: [shop.example.com]\n  gateways: [gw]\n  http:\n  - {match: [{uri: {prefix: /api/v2}}], ${to("v2")}}\n`, ', creationTimestamp: "2024-02-01T00:00:00Z"');

  it("a route shadowed on a gateway in a context file: no message, no position", () => {
    expect(run(gateway("gw") + one, two)).toEqual({ asked: [], reports: [] });
  });

  it("the same route in the linted file: one message, the position of the route that takes its requests", () => {
    expect(run(gateway("gw") + two, one)).toEqual({ asked: ["one spec.http.0.match.0"], reports: ["two shadowedOnGateway"] });
  });
});

describe("matchCovers with the URI conditions read beforehand: the same answers", () => {
  const matches: Record<string, unknown>[] = [
    {},
    { uri: { prefix: "/" } },
    { uri: { prefix: "/api" } },
    { uri: { prefix: "/api/v1" } },
    { uri: { exact: "/api" } },
    { uri: { exact: "/API" }, ignoreUriCase: true },
    { uri: { regex: ".*" } },
    { uri: { regex: "/a.*" } },
    { uri: { regex: "/api/.+" } },
    { uri: { regex: "^/api$" } },
    { uri: { regex: "/api/v[0-9]" }, ignoreUriCase: true },
    { uri: { prefix: "/api" }, headers: { x: { exact: "1" } } },
    { uri: { prefix: "/api" }, port: 8080 },
  ];
  it.each(matches.map((earlier) => [JSON.stringify(earlier), earlier] as const))("earlier %s against every later entry", (_, earlier) => {
    const scope = { namespace: "shop", gateways: ["mesh"] };
    for (const later of matches) {
      expect(matchCovers("http", earlier, later, scope, uriConditionOf(earlier), uriConditionOf(later)), JSON.stringify(later)).toBe(matchCovers("http", earlier, later, scope));
    }
  });
});
