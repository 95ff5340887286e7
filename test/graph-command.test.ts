import { describe, expect, it } from "vitest";
import { buildPicture } from "../src/graph/render/picture.js";
import { toMermaid, mermaidText } from "../src/graph/render/mermaid.js";
import { toDot } from "../src/graph/render/dot.js";
import { Positions } from "../src/graph/render/provenance.js";
import { subsetRule } from "./fixtures/manifests.js";
import { graphOf, service } from "./graph/helpers.js";
import { fixture, runCli } from "./helpers.js";

const MESH = `${service("productpage", "default", 9080, ["v1"])}${service("reviews", "default", 9080, ["v1", "v2"])}${subsetRule("reviews", "default", ["v1", "v2", "v4"])}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {end-user: {exact: "a|b\\"c"}}}]
    route: [{destination: {host: reviews, subset: v4}}]
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 90}
    - {destination: {host: reviews, subset: v3}, weight: 10}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bookinfo-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [bookinfo.example.com]
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [bookinfo.example.com]
    tls: {mode: SIMPLE, credentialName: cert}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bookinfo, namespace: default}
spec:
  hosts: [bookinfo.example.com]
  gateways: [bookinfo-gateway]
  http:
  - route: [{destination: {host: productpage, port: {number: 9080}}}]
`;

const R = "reviews.default.svc.cluster.local";

/** Mermaid's own parser, run headless: DOMPurify (which mermaid's flowchart parser calls) needs a window, jsdom gives one. */
async function mermaidParse(text: string): Promise<unknown> {
  const { JSDOM } = await import("jsdom");
  const g = globalThis as Record<string, unknown>;
  if (!g.window) {
    const dom = new JSDOM("");
    g.window = dom.window;
    g.document = dom.window.document;
  }
  const { default: mermaid } = await import("mermaid");
  return mermaid.parse(text);
}

describe("mesh-lint graph --format json", () => {
  const dir = fixture({ "mesh.yaml": MESH });
  it("names a sidecar's listeners, routes and clusters as istioctl proxy-config does, with provenance", async () => {
    const run = await runCli(["graph", "mesh.yaml", "--proxy", "default/productpage-v1"], { cwd: dir });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const view = JSON.parse(run.stdout);
    const listeners = view.listeners.map((l: { name: string }) => l.name);
    expect(listeners).toEqual(expect.arrayContaining(["0.0.0.0_9080", "0.0.0.0_80", "virtualInbound"]));
    const route = view.routes.find((r: { name: string }) => r.name === "9080");
    const vh = route.virtualHosts.find((v: { name: string }) => v.name === `${R}:9080`);
    expect(vh.domains).toEqual(expect.arrayContaining([R, "reviews", "reviews:9080", "reviews.default.svc"]));
    expect(vh.routes[1].action.clusters).toEqual([
      expect.objectContaining({ name: `outbound|9080|v1|${R}`, weight: 90, exists: true }),
      expect.objectContaining({ name: `outbound|9080|v3|${R}`, weight: 10, exists: false, problem: "503 NC: no such cluster" }),
    ]);
    expect(vh.routes[0].provenance).toMatchObject({ kind: "VirtualService", namespace: "default", name: "reviews", file: "mesh.yaml" });
    expect(vh.routes[0].provenance.line).toBeGreaterThan(1);
    const clusters = view.clusters.map((c: { name: string }) => c.name);
    expect(clusters).toEqual(
      expect.arrayContaining([`outbound|9080||${R}`, `outbound|9080|v1|${R}`, `outbound|9080|v2|${R}`, `outbound|9080|v4|${R}`, "inbound|9080||", "BlackHoleCluster", "PassthroughCluster", "InboundPassthroughCluster"]),
    );
    const v1 = view.clusters.find((c: { name: string }) => c.name === `outbound|9080|v1|${R}`);
    expect(v1).toMatchObject({ type: "EDS", subset: "v1", tls: { mode: "ISTIO_MUTUAL", source: "auto" }, endpoints: [{ workload: "default/reviews-v1", port: 9080, sidecar: true }] });
    expect(v1.destinationRule.rules[0]).toMatchObject({ kind: "DestinationRule", name: "reviews", file: "mesh.yaml" });
    const v4 = view.clusters.find((c: { name: string }) => c.name === `outbound|9080|v4|${R}`);
    expect(v4).toMatchObject({ endpoints: [], problem: "503 UH: no endpoints" });
  });

  it("names gateway listeners and route configurations (http.<target port>, https.<port>.<name>.<gateway>.<namespace>)", async () => {
    const run = await runCli(["graph", "mesh.yaml", "--proxy", "istio-system/istio-ingressgateway", "-f", "json"], { cwd: dir });
    const view = JSON.parse(run.stdout);
    expect(view.listeners.map((l: { name: string }) => l.name)).toEqual(["0.0.0.0_8080", "0.0.0.0_8443"]);
    expect(view.routes.map((r: { name: string }) => r.name)).toEqual(["http.8080", "https.443.https.bookinfo-gateway.default"]);
    expect(view.routes[0].virtualHosts[0]).toMatchObject({ name: "bookinfo.example.com:80", domains: ["bookinfo.example.com", "bookinfo.example.com:*"] });
    expect(view.clusters.map((c: { name: string }) => c.name)).toContain("outbound|9080||productpage.default.svc.cluster.local");
  });

  it("the mesh view says which resources feed which virtual hosts and clusters", async () => {
    const run = await runCli(["graph", "mesh.yaml", "--format", "yaml"], { cwd: dir });
    expect(run.code).toBe(0);
    const json = JSON.parse((await runCli(["graph", "mesh.yaml"], { cwd: dir })).stdout);
    expect(run.stdout).toContain("virtualServices:");
    const vs = json.resources.virtualServices.find((v: { name: string }) => v.name === "reviews");
    expect(vs.feeds).toContainEqual({ proxy: "sidecars", routeConfig: "9080", virtualHost: `${R}:9080` });
    expect(vs.clusters).toContainEqual(expect.objectContaining({ name: `outbound|9080|v3|${R}`, exists: false }));
    const gw = json.resources.virtualServices.find((v: { name: string }) => v.name === "bookinfo");
    expect(gw.feeds).toContainEqual({ proxy: "istio-system/istio-ingressgateway", routeConfig: "http.8080", virtualHost: "bookinfo.example.com:80" });
    const dr = json.resources.destinationRules[0];
    expect(dr.clusters).toEqual([`outbound|9080||${R}`, `outbound|9080|v1|${R}`, `outbound|9080|v2|${R}`, `outbound|9080|v4|${R}`]);
    const svc = json.resources.services.find((s: { name: string }) => s.name === "reviews");
    expect(svc).toMatchObject({ listeners: ["0.0.0.0_9080"], clusters: [`outbound|9080||${R}`] });
    expect(json.proxies.map((p: { id: string }) => p.id)).toContain("istio-system/istio-ingressgateway");
  });

  it("unknown --proxy exits 2 with the list", async () => {
    const run = await runCli(["graph", "mesh.yaml", "--proxy", "default/nope"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("default/reviews-v1 (sidecar)");
  });
});

describe("mesh-lint graph --format mermaid|dot", () => {
  const dir = fixture({ "mesh.yaml": MESH });
  it("escapes what Mermaid's grammar reserves", () => {
    expect(mermaidText('outbound|80||a "b" <c> #d')).toBe("outbound#124;80#124;#124;a #34;b#34; #60;c#62; #35;d");
  });

  it("draws the resource chain beside the Envoy chain, problems in red, and Mermaid's parser accepts it", async () => {
    const run = await runCli(["graph", "mesh.yaml", "--format", "mermaid", "--host", R], { cwd: dir });
    expect(run.code).toBe(0);
    const text = run.stdout;
    expect(text.startsWith("flowchart LR\n")).toBe(true);
    expect(text).toContain('subgraph resources["Istio resources"]');
    expect(text).toMatch(/VirtualService default\/reviews/);
    expect(text).toMatch(/DestinationRule default\/reviews/);
    expect(text).toContain("outbound#124;9080#124;v3#124;reviews.default.svc.cluster.local<br/>503 NC: no such cluster");
    expect(text).toContain("503 UH: no endpoints");
    expect(text).toMatch(/class [n0-9,]+ problem/);
    expect(text).toMatch(/linkStyle [0-9,]+ stroke:#d00000/);
    await expect(mermaidParse(text)).resolves.toMatchObject({ diagramType: "flowchart-v2" });
  });

  it("draws a gateway proxy (ingress chain) that parses", async () => {
    const run = await runCli(["graph", "mesh.yaml", "--format", "mermaid", "--proxy", "istio-system/istio-ingressgateway"], { cwd: dir });
    expect(run.stdout).toMatch(/Gateway default\/bookinfo-gateway/);
    expect(run.stdout).toContain("listener 0.0.0.0_8080");
    await expect(mermaidParse(run.stdout)).resolves.toMatchObject({ diagramType: "flowchart-v2" });
  });

  it("the parser does reject a broken flowchart (the check is real)", async () => {
    await expect(mermaidParse('flowchart LR\n  a[outbound|80] --> b["x"]\n')).rejects.toThrow();
  });

  it("an egress chain goes through the egress gateway to the ServiceEntry", async () => {
    const yaml = `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: sleep, namespace: default}
spec:
  selector: {matchLabels: {app: sleep}}
  template: {metadata: {labels: {app: sleep}}, spec: {containers: [{name: sleep, image: curl}]}}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: cnn, namespace: default}
spec:
  hosts: [edition.cnn.com]
  ports: [{number: 80, name: http-port, protocol: HTTP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: egress, namespace: default}
spec:
  selector: {istio: egressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [edition.cnn.com]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: cnn, namespace: default}
spec:
  hosts: [edition.cnn.com]
  gateways: [egress, mesh]
  http:
  - match: [{gateways: [mesh], port: 80}]
    route: [{destination: {host: istio-egressgateway.istio-system.svc.cluster.local, port: {number: 80}}}]
  - match: [{gateways: [egress], port: 80}]
    route: [{destination: {host: edition.cnn.com, port: {number: 80}}}]
`;
    const graph = graphOf(yaml, { install: "demo" });
    const picture = buildPicture(graph, new Positions(), { host: "edition.cnn.com" });
    const text = toMermaid(picture);
    expect(text).toContain("Envoy sidecar default/sleep");
    expect(text).toContain("Envoy gateway istio-system/istio-egressgateway");
    expect(text).toContain("ServiceEntry default/cnn");
    expect(text).toContain("outbound#124;80#124;#124;edition.cnn.com");
    await expect(mermaidParse(text)).resolves.toMatchObject({ diagramType: "flowchart-v2" });
    const dot = toDot(picture);
    expect(dot).toMatch(/^digraph "mesh-lint edition.cnn.com" \{/);
    expect(dot).toContain("subgraph cluster_resources");
  });

  it("dot marks problems and escapes quotes", async () => {
    const run = await runCli(["graph", "mesh.yaml", "--format", "dot", "--proxy", "default/productpage-v1"], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('fillcolor="#ffe0e0"');
    expect(run.stdout).toContain('a|b\\"c');
    expect(run.stdout.trim().endsWith("}")).toBe(true);
  });

  it("mermaid needs --proxy or --host", async () => {
    const run = await runCli(["graph", "mesh.yaml", "--format", "mermaid"], { cwd: dir });
    expect(run.code).toBe(2);
  });
});
