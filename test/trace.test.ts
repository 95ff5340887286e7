import { describe, expect, it } from "vitest";
import { matchVirtualHost, routeMatches, traceRequest, TraceError, type TraceResult } from "../src/graph/trace.js";
import type { VirtualHost } from "../src/graph/envoy.js";
import type { Workload } from "../src/graph/types.js";
import { ingressGateway, sleepClient, subsetRule } from "./fixtures/manifests.js";
import { graphOf, service } from "./graph/helpers.js";
import { fixture, runCli } from "./helpers.js";

/** Bookinfo-like mesh: header route, weighted split, a missing subset, a subset without pods, a path-only VirtualService. */
const BOOKINFO = [
  service("productpage", "default", 9080, ["v1"]),
  service("reviews", "default", 9080, ["v1", "v2", "v3"]),
  service("ratings", "default", 9080, ["v1"]),
  sleepClient(),
  subsetRule("reviews", "default", ["v1", "v2", "v3", "v4"]),
  `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - name: jason
    match:
    - headers: {end-user: {exact: jason}}
    route: [{destination: {host: reviews, subset: v2}}]
  - name: missing-subset
    match:
    - headers: {x-test: {exact: nc}}
    route: [{destination: {host: reviews, subset: v9}}]
  - name: no-pods
    match:
    - headers: {x-test: {exact: uh}}
    route: [{destination: {host: reviews, subset: v4}}]
  - name: regex
    match:
    - uri: {regex: "/api/v[0-9]+/.*"}
      method: {exact: POST}
    route: [{destination: {host: reviews, subset: v3}}]
  - name: case
    match:
    - uri: {prefix: /Beta}
      ignoreUriCase: true
    - queryParams: {beta: {exact: "1"}}
    route: [{destination: {host: reviews, subset: v3}}]
  - name: split
    route:
    - {destination: {host: reviews, subset: v1}, weight: 75}
    - {destination: {host: reviews, subset: v3}, weight: 25}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec:
  hosts: [ratings]
  http:
  - match: [{uri: {prefix: /ratings}}]
    route: [{destination: {host: ratings}}]
`,
  ingressGateway("bookinfo-gateway", "default", '["*"]'),
  `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bookinfo, namespace: default}
spec:
  hosts: ["*"]
  gateways: [bookinfo-gateway]
  http:
  - match: [{uri: {exact: /productpage}}, {uri: {prefix: /static}}]
    route: [{destination: {host: productpage, port: {number: 9080}}}]
`,
].join("");

/** A STRICT namespace whose DestinationRule turns client TLS off. */
const STRICT = `${service("vault", "secure", 8200, ["v1"])}---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: secure}
spec: {mtls: {mode: STRICT}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: vault, namespace: secure}
spec:
  host: vault
  trafficPolicy: {tls: {mode: DISABLE}}
`;

/** Istio's "egress gateway for HTTP traffic": sidecar → egress gateway → edition.cnn.com. */
const EGRESS = `${sleepClient()}---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: cnn, namespace: default}
spec:
  hosts: [edition.cnn.com]
  ports:
  - {number: 80, name: http-port, protocol: HTTP}
  - {number: 443, name: https, protocol: HTTPS}
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: istio-egressgateway, namespace: default}
spec:
  selector: {istio: egressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [edition.cnn.com]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: egressgateway-for-cnn, namespace: default}
spec:
  host: istio-egressgateway.istio-system.svc.cluster.local
  subsets: [{name: cnn}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: direct-cnn-through-egress-gateway, namespace: default}
spec:
  hosts: [edition.cnn.com]
  gateways: [istio-egressgateway, mesh]
  http:
  - match: [{gateways: [mesh], port: 80}]
    route:
    - destination: {host: istio-egressgateway.istio-system.svc.cluster.local, subset: cnn, port: {number: 80}}
  - match: [{gateways: [istio-egressgateway], port: 80}]
    route:
    - destination: {host: edition.cnn.com, port: {number: 80}}
`;

interface Case {
  name: string;
  yaml: string;
  mesh?: Record<string, unknown>;
  from: string;
  url: string;
  headers?: Record<string, string>;
  method?: string;
  outcome: TraceResult["outcome"];
  /** Per hop: [proxy, listener, routeConfig, virtualHost, clusters as name@weight]. */
  hops: [string, string | null, string | null, string | null, string[]][];
}

const R = "reviews.default.svc.cluster.local";

const CASES: Case[] = [
  {
    name: "a header match routes jason to v2 (routes are tried in order)",
    yaml: BOOKINFO,
    from: "default/productpage-v1",
    url: "http://reviews:9080/reviews/0",
    headers: { "end-user": "jason" },
    outcome: "delivered",
    hops: [["default/productpage-v1", "0.0.0.0_9080", "9080", `${R}:9080`, [`outbound|9080|v2|${R}@100`]]],
  },
  {
    name: "without the header the weighted split applies; the heavier cluster is followed",
    yaml: BOOKINFO,
    from: "default/productpage-v1",
    url: `http://${R}:9080/`,
    outcome: "delivered",
    hops: [["default/productpage-v1", "0.0.0.0_9080", "9080", `${R}:9080`, [`outbound|9080|v1|${R}@75`, `outbound|9080|v3|${R}@25`]]],
  },
  {
    name: "a subset the DestinationRule does not define: 503 NC",
    yaml: BOOKINFO,
    from: "default/productpage-v1",
    url: "http://reviews.default:9080/",
    headers: { "x-test": "nc" },
    outcome: "503 NC",
    hops: [["default/productpage-v1", "0.0.0.0_9080", "9080", `${R}:9080`, [`outbound|9080|v9|${R}@100`]]],
  },
  {
    name: "a subset no pod carries: 503 UH",
    yaml: BOOKINFO,
    from: "default/productpage-v1",
    url: "http://reviews:9080/",
    headers: { "X-Test": "uh" },
    outcome: "503 UH",
    hops: [["default/productpage-v1", "0.0.0.0_9080", "9080", `${R}:9080`, [`outbound|9080|v4|${R}@100`]]],
  },
  {
    name: "uri regex (RE2, whole path) and method both hold",
    yaml: BOOKINFO,
    from: "default/productpage-v1",
    url: "http://reviews:9080/api/v2/x",
    method: "POST",
    outcome: "delivered",
    hops: [["default/productpage-v1", "0.0.0.0_9080", "9080", `${R}:9080`, [`outbound|9080|v3|${R}@100`]]],
  },
  {
    name: "ignoreUriCase prefix, and a second match entry (OR) on a query parameter",
    yaml: BOOKINFO,
    from: "default/productpage-v1",
    url: "http://reviews:9080/beta/page",
    outcome: "delivered",
    hops: [["default/productpage-v1", "0.0.0.0_9080", "9080", `${R}:9080`, [`outbound|9080|v3|${R}@100`]]],
  },
  {
    name: "no route of the virtual host matches: 404 NR",
    yaml: BOOKINFO,
    from: "default/productpage-v1",
    url: "http://ratings:9080/other",
    outcome: "404 NR",
    hops: [["default/productpage-v1", "0.0.0.0_9080", "9080", "ratings.default.svc.cluster.local:9080", []]],
  },
  {
    name: "a service without VirtualService gets the default route",
    yaml: BOOKINFO,
    from: "default/reviews-v1",
    url: "http://productpage:9080/",
    outcome: "delivered",
    hops: [["default/reviews-v1", "0.0.0.0_9080", "9080", "productpage.default.svc.cluster.local:9080", ["outbound|9080||productpage.default.svc.cluster.local@100"]]],
  },
  {
    name: "ingress gateway: service port 80 → target port 8080, route config http.8080",
    yaml: BOOKINFO,
    from: "istio-system/istio-ingressgateway",
    url: "http://bookinfo.example.com/productpage",
    outcome: "delivered",
    hops: [["istio-system/istio-ingressgateway", "0.0.0.0_8080", "http.8080", "*:80", ["outbound|9080||productpage.default.svc.cluster.local@100"]]],
  },
  {
    name: "ingress gateway, path no route matches: 404 NR",
    yaml: BOOKINFO,
    from: "istio-system/istio-ingressgateway",
    url: "http://bookinfo.example.com/admin",
    outcome: "404 NR",
    hops: [["istio-system/istio-ingressgateway", "0.0.0.0_8080", "http.8080", "*:80", []]],
  },
  {
    name: "plaintext (DestinationRule DISABLE) to a STRICT server: connection reset",
    yaml: `${BOOKINFO}${STRICT}`,
    from: "default/productpage-v1",
    url: "http://vault.secure.svc.cluster.local:8200/",
    outcome: "TLS mismatch (connection reset)",
    hops: [["default/productpage-v1", "0.0.0.0_8200", "8200", "vault.secure.svc.cluster.local:8200", ["outbound|8200||vault.secure.svc.cluster.local@100"]]],
  },
  {
    name: "egress through the egress gateway (install demo): mesh leg, then gateway leg to the ServiceEntry",
    yaml: EGRESS,
    mesh: { install: "demo" },
    from: "default/sleep",
    url: "http://edition.cnn.com/politics",
    outcome: "delivered",
    hops: [
      ["default/sleep", "0.0.0.0_80", "80", "edition.cnn.com:80", ["outbound|80|cnn|istio-egressgateway.istio-system.svc.cluster.local@100"]],
      ["istio-system/istio-egressgateway", "0.0.0.0_8080", "http.8080", "edition.cnn.com:80", ["outbound|80||edition.cnn.com@100"]],
    ],
  },
  {
    name: "REGISTRY_ONLY: an unknown host goes to the BlackHoleCluster",
    yaml: BOOKINFO,
    mesh: { outboundTrafficPolicy: "REGISTRY_ONLY" },
    from: "default/productpage-v1",
    url: "http://unknown.example.com:9080/",
    outcome: "blackhole",
    hops: [["default/productpage-v1", "0.0.0.0_9080", "9080", "block_all", ["BlackHoleCluster@100"]]],
  },
  {
    name: "ALLOW_ANY: an unknown host passes through",
    yaml: BOOKINFO,
    from: "default/productpage-v1",
    url: "http://unknown.example.com/",
    outcome: "passthrough",
    // The assumed ingress gateway Service has an HTTP port 80, so sidecars have 0.0.0.0_80 and its allow_any virtual host.
    hops: [["default/productpage-v1", "0.0.0.0_80", "80", "allow_any", ["PassthroughCluster@100"]]],
  },
];

describe("trace: requests through the translated graph", () => {
  for (const c of CASES) {
    it(c.name, () => {
      const graph = graphOf(c.yaml, c.mesh as never);
      const result = traceRequest(graph, { from: c.from, url: c.url, headers: c.headers, method: c.method });
      const hops = result.hops.map((hop) => [hop.proxy, hop.listener, hop.routeConfig, hop.virtualHost, hop.clusters.map((cl) => `${cl.name}@${cl.weight}`)]);
      expect(hops).toEqual(c.hops);
      expect(result.outcome).toBe(c.outcome);
    });
  }

  it("reports the VirtualService and line of the matched route, endpoints and both TLS ends", () => {
    const graph = graphOf(BOOKINFO);
    const result = traceRequest(graph, { from: "default/productpage-v1", url: "http://reviews:9080/", headers: { "end-user": "jason" } });
    const hop = result.hops[0];
    expect(hop.route?.resource).toEqual({ kind: "VirtualService", namespace: "default", name: "reviews" });
    expect(hop.route?.line).toBeGreaterThan(1);
    expect(hop.endpoints).toEqual([{ workload: "default/reviews-v2", kind: "Deployment", port: 9080, sidecar: true }]);
    expect(hop.tls).toMatchObject({ client: "ISTIO_MUTUAL", clientSource: "auto", ok: true });
    expect(hop.tls?.server).toMatch(/^PERMISSIVE/);
  });

  it("reports the outcome of every weighted cluster", () => {
    const graph = graphOf(BOOKINFO.replace("subset: v3}, weight: 25", "subset: v9}, weight: 25"));
    const result = traceRequest(graph, { from: "default/productpage-v1", url: "http://reviews:9080/" });
    expect(result.outcome).toBe("delivered");
    expect(result.hops[0].cluster).toBe(`outbound|9080|v1|${R}`);
    expect(result.hops[0].clusters.map((c) => c.outcome)).toEqual(["delivered", "503 NC"]);
  });

  it("a workload without sidecar accepts plaintext only", () => {
    const yaml = `${BOOKINFO}---
apiVersion: v1
kind: Namespace
metadata: {name: legacy}
${service("old", "legacy", 8080, ["v1"])}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: old, namespace: legacy}
spec: {host: old, trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}}
`;
    const result = traceRequest(graphOf(yaml), { from: "default/productpage-v1", url: "http://old.legacy:8080/" });
    expect(result.hops[0].tls).toMatchObject({ client: "ISTIO_MUTUAL", server: "no sidecar: plaintext only", ok: false });
    expect(result.outcome).toBe("TLS mismatch (connection reset)");
  });

  it("unknown --from lists the proxies", () => {
    const graph = graphOf(BOOKINFO);
    expect(() => traceRequest(graph, { from: "default/nope", url: "http://reviews:9080/" })).toThrow(TraceError);
    try {
      traceRequest(graph, { from: "default/nope", url: "http://reviews:9080/" });
    } catch (error) {
      expect((error as TraceError).proxies).toContain("default/productpage-v1");
    }
  });
});

describe("Envoy matching", () => {
  const vh = (name: string, domains: string[]): VirtualHost => ({ name, domains, routes: [], virtualServices: [] });
  it("prefers exact domains, then the longest suffix wildcard, then prefix wildcards, then *", () => {
    const hosts = [vh("any", ["*"]), vh("short", ["*.com"]), vh("long", ["*.example.com"]), vh("exact", ["a.example.com"]), vh("port", ["gw:*"])];
    expect(matchVirtualHost(hosts, "a.example.com")?.name).toBe("exact");
    expect(matchVirtualHost(hosts, "b.example.com")?.name).toBe("long");
    expect(matchVirtualHost(hosts, "b.other.com")?.name).toBe("short");
    expect(matchVirtualHost(hosts, "gw:8080")?.name).toBe("port");
    expect(matchVirtualHost(hosts, "x.org")?.name).toBe("any");
  });

  const source = { namespace: "default", labels: { app: "a", version: "v1" } } as unknown as Workload;
  const request = (path: string, headers: Record<string, string> = {}) => ({
    request: { method: "GET", url: "", scheme: "http" as const, host: "h", port: 80, authority: "h:80", path, headers },
    source,
  });
  it.each([
    [{ uri: { exact: "/a" } }, "/a?x=1", true],
    [{ uri: { exact: "/A" }, ignoreUriCase: true }, "/a", true],
    [{ uri: { prefix: "/a" } }, "/b", false],
    [{ uri: { regex: "/a/[0-9]+" } }, "/a/12", true],
    [{ uri: { regex: "/a/[0-9]+" } }, "/a/12/x", false],
    [{ headers: { ":authority": { exact: "h:80" } } }, "/", true],
    [{ authority: { prefix: "h" } }, "/", true],
    [{ withoutHeaders: { "x-a": { exact: "1" } } }, "/", true],
    [{ queryParams: { q: { regex: "[a-z]+" } } }, "/?q=abc", true],
    [{ queryParams: { q: { exact: "1" } } }, "/", false],
    [{ sourceLabels: { app: "a" } }, "/", true],
    [{ sourceLabels: { app: "b" } }, "/", false],
    [{ sourceNamespace: "other" }, "/", false],
  ])("%j on %s → %s", (match, path, expected) => {
    expect(routeMatches(match as Record<string, unknown>, request(path as string))).toBe(expected);
  });
  it("withoutHeaders rejects a request carrying the header value", () => {
    expect(routeMatches({ withoutHeaders: { "x-a": { exact: "1" } } }, request("/", { "x-a": "1" }))).toBe(false);
  });
});

describe("mesh-lint trace (CLI)", () => {
  const dir = fixture({ "mesh.yaml": BOOKINFO });
  it("prints JSON with request, hops and outcome; exit 0 when delivered", async () => {
    const run = await runCli(["trace", "--from", "default/productpage-v1", "-H", "end-user: jason", "http://reviews:9080/", "--format", "json", "mesh.yaml"], { cwd: dir });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.request).toMatchObject({ method: "GET", authority: "reviews:9080", headers: { "end-user": "jason" } });
    expect(result.hops[0]).toMatchObject({
      proxy: "default/productpage-v1",
      listener: "0.0.0.0_9080",
      routeConfig: "9080",
      virtualHost: `${R}:9080`,
      route: { resource: { kind: "VirtualService", namespace: "default", name: "reviews" }, file: "mesh.yaml" },
      clusters: [{ name: `outbound|9080|v2|${R}`, weight: 100 }],
      endpoints: [{ workload: "default/reviews-v2", port: 9080 }],
      tls: { client: "ISTIO_MUTUAL", ok: true },
    });
    expect(result.outcome).toBe("delivered");
  });

  it("prints a readable summary without colour off a TTY; exit 1 on a failure outcome", async () => {
    const run = await runCli(["trace", "mesh.yaml", "--from", "default/productpage-v1", "-H", "x-test: nc", "http://reviews:9080/"], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("hop 1  sidecar default/productpage-v1");
    expect(run.stdout).toContain(`outbound|9080|v9|${R}`);
    expect(run.stdout).toMatch(/outcome: 503 NC/);
    expect(run.stdout).not.toContain("\u001b[");
  });

  it("colours on a TTY unless NO_COLOR", async () => {
    const run = await runCli(["trace", "--from", "default/productpage-v1", "http://reviews:9080/", "mesh.yaml"], { cwd: dir, isTTY: true });
    expect(run.stdout).toContain("\u001b[");
  });

  it("exits 2 with the proxies for an unknown --from", async () => {
    const run = await runCli(["trace", "--from", "default/ghost", "http://reviews:9080/", "mesh.yaml"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("default/productpage-v1 (sidecar)");
  });

  it("needs one URL", async () => {
    const run = await runCli(["trace", "--from", "default/productpage-v1", "mesh.yaml"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/exactly one URL/);
  });
});
