import { describe, expect, it } from "vitest";
import { virtualServiceClients } from "../../src/graph/clients.js";
import { outboundClusterName } from "../../src/graph/envoy.js";
import type { MeshGraph, MeshService, OutboundScope, RouteDestination, VirtualServiceInfo } from "../../src/graph/index.js";
import { gatewaysAllow } from "../../src/graph/outbound.js";
import { isExportedTo } from "../../src/graph/services.js";
import { judgeSubsetDestinations, type SubsetClient, type SubsetOutcome } from "../../src/rules/missing-subset.js";
import { destinationRule, istio, sleepClient, subsetLines, virtualService } from "../fixtures/manifests.js";
import { randomMesh } from "../fixtures/random-mesh.js";
import { graphOf } from "../graph/helpers.js";
import { lintRule } from "../helpers.js";

const RULE = "missing-subset";

interface Found {
  at: string;
  messageId: string;
  message: string;
  istioCode?: string;
}

/** Runs the CLI on some files; the rule's messages as `line:column messageId` plus the text. */
async function run(files: Record<string, string>, args: string[] = Object.keys(files)): Promise<Found[]> {
  const { messages, stderr } = await lintRule(RULE, files, args);
  expect(stderr).toBe("");
  return messages.map((message) => ({
    at: `${message.line}:${message.column} ${message.messageId}`,
    messageId: message.messageId ?? "",
    message: message.message,
    istioCode: message.istioCode,
  }));
}

const service = (name: string, ns: string, versions: string[] = ["v1"], port = 9080) =>
  `---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}}
spec:
  selector: {app: ${name}}
  ports: [{name: http, port: ${port}}]
` +
  versions
    .map(
      (v) => `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}-${v}, namespace: ${ns}}
spec:
  selector: {matchLabels: {app: ${name}, version: ${v}}}
  template:
    metadata: {labels: {app: ${name}, version: ${v}}}
    spec: {containers: [{name: app, image: "example/${name}:${v}"}]}
`,
    )
    .join("");

const dr = (name: string, ns: string, host: string, subsets: string[], extra = "") => `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}, namespace: ${ns}}
spec:
  host: ${host}${extra}
  subsets:
${subsets.map((s) => `  - {name: ${s}, labels: {version: ${s}}}`).join("\n")}
`;

/** A Gateway `public` of namespace `ns` for the default ingress gateway, serving `hosts` on port 80. */
const gatewayFor = (ns: string, hosts: string) => `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public, namespace: ${ns}}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [${hosts}]
`;

/** Service, DestinationRule (v1) and an ingress VirtualService for shop.example.com whose /reviews route delegates to
 *  VirtualService reviews, whose first route (uri prefix `prefix`) goes to subset v2, the second to v1. */
const delegatedReviews = (prefix: string) =>
  service("reviews", "default", ["v1"]) + dr("reviews", "default", "reviews", ["v1"]) + gatewayFor("default", "shop.example.com") + `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop, namespace: default}
spec:
  hosts: [shop.example.com]
  gateways: [public]
  http:
  - match: [{uri: {prefix: /reviews}}]
    delegate: {name: reviews, namespace: default}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  http:
  - match: [{uri: {prefix: ${prefix}}}]
    route:
    - destination: {host: reviews, subset: v2}
  - route:
    - destination: {host: reviews, subset: v1}
`;

/** A VirtualService routing `host` to `subset`; the `subset:` line is line 11 of this block. */
const vs = (name: string, ns: string, hosts: string, host: string, subset: string, extra = "") => `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: ${ns}}
spec:
  hosts: [${hosts}]${extra}
  http:
  - route:
    - destination:
        host: ${host}
        subset: ${subset}
`;

describe(RULE, () => {
  const valid: [string, Record<string, string>][] = [
    ["subset defined in the client's namespace (short and FQDN hosts)", {
      "a.yaml": service("reviews", "default", ["v1", "v2"]) + dr("reviews", "default", "reviews", ["v1", "v2"]) +
        vs("reviews", "default", "reviews", "reviews", "v2") + vs("fqdn", "default", "r.example.com", "reviews.default.svc.cluster.local", "v1"),
    }],
    ["DestinationRule in the service's namespace, exported; client elsewhere", {
      "a.yaml": service("reviews", "backend") + dr("reviews", "backend", "reviews", ["v1"]) + service("web", "frontend") +
        vs("reviews", "frontend", "reviews.backend.svc.cluster.local", "reviews.backend.svc.cluster.local", "v1"),
    }],
    ["DestinationRule in the root namespace, exported, for a wildcard host", {
      "a.yaml": service("reviews", "default") + dr("all", "istio-system", "\"*.default.svc.cluster.local\"", ["v1"]) +
        vs("reviews", "default", "reviews", "reviews", "v1"),
    }],
    ["two DestinationRules for one host in one namespace merge their subsets", {
      "a.yaml": service("reviews", "default", ["v1", "v2"]) + dr("a", "default", "reviews", ["v1"]) + dr("b", "default", "reviews", ["v2"]) +
        vs("reviews", "default", "reviews", "reviews", "v2"),
    }],
    ["destinations without subsets need no DestinationRule", {
      "a.yaml": service("reviews", "default") + `---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: default}
spec:
  hosts: [api.example.com]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
  tls:
  - match: [{sniHosts: [api.example.com]}]
    route:
    - destination: {host: api.example.com}
`,
    }],
    ["an unknown host without a DestinationRule is unknown-destination-host's finding", {
      "a.yaml": vs("reviews", "default", "reviews", "nowhere", "v1"),
    }],
    ["a VirtualService that loses its host to an older one is not used by the sidecars", {
      "a.yaml": service("reviews", "default") + dr("reviews", "default", "reviews", ["v1"]) +
        vs("a-first", "default", "reviews", "reviews", "v1").replace("metadata: {name: a-first, namespace: default}", "metadata: {name: a-first, namespace: default, creationTimestamp: '2024-01-01T00:00:00Z'}") +
        vs("b-second", "default", "reviews", "reviews", "v9").replace("metadata: {name: b-second, namespace: default}", "metadata: {name: b-second, namespace: default, creationTimestamp: '2024-02-01T00:00:00Z'}"),
    }],
    ["a delegate route istiod drops (its path is not under the root's prefix) is never used", {
      "a.yaml": delegatedReviews("/v2"),
    }],
  ];
  it.each(valid)("valid: %s", async (_, files) => {
    expect(await run(files)).toEqual([]);
  });

  it("a subset the applying DestinationRule does not define (line of `subset`)", async () => {
    const files = { "a.yaml": service("reviews", "default", ["v1"]) + dr("reviews", "default", "reviews", ["v1", "v2"]) + vs("reviews", "default", "reviews", "reviews", "v3") };
    const found = await run(files);
    const line = files["a.yaml"].split("\n").findIndex((l) => l.includes("subset: v3")) + 1;
    expect(found.map((f) => f.at)).toEqual([`${line}:9 undefinedSubset`]);
    expect(found[0].istioCode).toBe("IST0101");
    expect(found[0].message).toBe(
      'Destination subset "v3" of "reviews" does not exist for clients in namespace default: DestinationRule default/reviews, which applies there, defines only v1, v2. Their proxies have no cluster outbound|9080|v3|reviews.default.svc.cluster.local and answer 503 NC',
    );
  });

  it("no DestinationRule at all", async () => {
    const found = await run({ "a.yaml": service("reviews", "default") + vs("reviews", "default", "reviews", "reviews", "v1") });
    expect(found.map((f) => f.messageId)).toEqual(["noDestinationRule"]);
    expect(found[0].message).toContain("no DestinationRule for the host applies there");
    expect(found[0].message).toContain("outbound|9080|v1|reviews.default.svc.cluster.local");
  });

  it("a DestinationRule exported only to its own namespace does not serve clients elsewhere", async () => {
    const found = await run({
      "a.yaml": service("reviews", "backend") + dr("reviews", "backend", "reviews", ["v1"], "\n  exportTo: [\".\"]") + service("web", "frontend") +
        vs("reviews", "frontend", "reviews.backend.svc.cluster.local", "reviews.backend.svc.cluster.local", "v1"),
    });
    expect(found.map((f) => f.messageId)).toEqual(["noDestinationRule"]);
    expect(found[0].message).toContain("clients in namespace frontend");
    expect(found[0].message).toContain("DestinationRule backend/reviews is exported only to backend, not to frontend");
    // The backend sidecars use the VirtualService too (it is public) and are fine.
    expect(found[0].message).toContain(". It exists for clients in namespace backend (DestinationRule backend/reviews)");
  });

  it("a DestinationRule in the client's namespace takes precedence over the service's", async () => {
    const found = await run({
      "a.yaml": service("reviews", "backend", ["v1", "v2"]) + dr("reviews", "backend", "reviews", ["v1", "v2"]) + service("web", "frontend") +
        dr("reviews", "frontend", "reviews.backend.svc.cluster.local", ["v1"]) +
        vs("reviews", "frontend", "reviews.backend.svc.cluster.local", "reviews.backend.svc.cluster.local", "v2", '\n  exportTo: ["."]'),
    });
    expect(found.map((f) => f.messageId)).toEqual(["undefinedSubset"]);
    expect(found[0].message).toContain(
      "DestinationRule frontend/reviews, which applies there, defines only v1 (DestinationRule backend/reviews defines it but is overridden by the client's own DestinationRule frontend/reviews)",
    );
  });

  it("a client namespace whose only DestinationRule for the host selects other workloads: its other clients get none (istiod does not look further)", async () => {
    const client = (name: string) => `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: frontend}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: app, image: example/${name}}]}
`;
    const found = await run({
      "a.yaml": service("reviews", "backend") + dr("reviews", "backend", "reviews", ["v1"]) + client("web") +
        `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews-batch, namespace: frontend}
spec:
  host: reviews.backend.svc.cluster.local
  workloadSelector: {matchLabels: {app: batch}}
  trafficPolicy: {connectionPool: {tcp: {maxConnections: 5}}}
` +
        vs("reviews", "backend", "reviews", "reviews", "v1"),
    });
    expect(found.map((f) => f.messageId)).toEqual(["noDestinationRule"]);
    expect(found[0].message).toContain(
      'Destination subset "v1" of "reviews" does not exist for clients in namespace frontend: no DestinationRule for the host applies there (DestinationRule frontend/reviews-batch applies only to workloads labelled app=batch)',
    );
  });

  it("a DestinationRule in a third namespace, and a short host naming another namespace's service", async () => {
    const found = await run({
      "a.yaml": service("reviews", "default") + service("reviews", "other") + dr("reviews", "other", "reviews", ["v1"]) +
        dr("x", "third", "reviews.default.svc.cluster.local", ["v1"]) + vs("reviews", "default", "reviews", "reviews", "v1"),
    });
    expect(found.map((f) => f.messageId)).toEqual(["noDestinationRule"]);
    expect(found[0].message).toContain("DestinationRule third/x is in namespace third");
    expect(found[0].message).toContain('DestinationRule other/reviews says host "reviews", which in namespace other means reviews.other.svc.cluster.local');
  });

  it("a destination written in full, and another namespace's DestinationRule with the short name", async () => {
    const found = await run({
      "a.yaml": service("reviews", "backend") + dr("reviews", "frontend", "reviews", ["v1"]) +
        vs("reviews", "backend", "reviews.backend.svc.cluster.local", "reviews.backend.svc.cluster.local", "v1"),
    });
    expect(found.map((f) => f.messageId)).toEqual(["noDestinationRule"]);
    expect(found[0].message).toContain(
      'no DestinationRule for the host applies there (DestinationRule frontend/reviews says host "reviews", which in namespace frontend means reviews.frontend.svc.cluster.local)',
    );
  });

  it("clients in several namespaces break for different reasons; others are fine", async () => {
    const found = await run({
      "a.yaml": service("reviews", "backend") + service("a", "ns-a") + service("b", "ns-b") + service("c", "ns-c") +
        dr("reviews", "ns-a", "reviews.backend.svc.cluster.local", ["v2"]) + dr("reviews", "ns-c", "reviews.backend.svc.cluster.local", ["v1"]) +
        vs("reviews", "backend", "reviews", "reviews", "v1"),
    });
    expect(found.map((f) => f.messageId)).toEqual(["undefinedSubsetMixed"]);
    expect(found[0].message).toBe(
      'Destination subset "v1" of "reviews" does not exist for clients in namespaces backend, ns-b (no DestinationRule for the host applies there) and namespace ns-a (DestinationRule ns-a/reviews applies there and defines only v2). Their proxies have no cluster outbound|9080|v1|reviews.backend.svc.cluster.local and answer 503 NC. It exists for clients in namespace ns-c (DestinationRule ns-c/reviews)',
    );
  });

  it("gateway proxies look DestinationRules up from their own namespace", async () => {
    const found = await run({
      "a.yaml": service("web", "shop") + dr("web", "shop", "web", ["v1"], '\n  exportTo: ["."]') + gatewayFor("shop", "shop.example.com") + vs("edge", "shop", "shop.example.com", "web", "v1", "\n  gateways: [public]"),
    });
    expect(found.map((f) => f.messageId)).toEqual(["noDestinationRule"]);
    expect(found[0].message).toContain("clients in namespace istio-system (gateway istio-ingressgateway)");
    expect(found[0].message).toContain("DestinationRule shop/web is exported only to shop, not to istio-system");
  });


  it("DestinationRules for one host whose exportTo differ are not merged: a proxy uses one of them", async () => {
    const base = service("reviews", "backend", ["v1", "v2"]) + service("web", "frontend") + dr("reviews", "backend", "reviews", ["v1"]);
    // Written alike (no exportTo, or the same list), they merge: v1 exists everywhere.
    const same = dr("reviews-canary", "backend", "reviews", ["v2"]);
    expect(await run({ "a.yaml": base + same + vs("reviews", "backend", "reviews", "reviews", "v1") })).toEqual([]);
    // Exported only to backend, the second one stands apart; backend's proxies use it (the last), frontend's the first.
    const files = { "a.yaml": base + dr("reviews-canary", "backend", "reviews", ["v2"], '\n  exportTo: ["."]') + vs("reviews", "backend", "reviews", "reviews", "v1") };
    const found = await run(files);
    const line = files["a.yaml"].split("\n").findIndex((l) => l.includes("subset: v1")) + 1;
    expect(found.map((f) => f.at)).toEqual([`${line}:9 undefinedSubset`]);
    expect(found[0].message).toBe(
      'Destination subset "v1" of "reviews" does not exist for clients in namespace backend: DestinationRule backend/reviews-canary, which applies there, defines only v2 (DestinationRule backend/reviews defines it but is not merged with DestinationRule backend/reviews-canary: their exportTo differ, and istiod keeps such DestinationRules for one host apart and gives each proxy only one of them). Their proxies have no cluster outbound|9080|v1|reviews.backend.svc.cluster.local and answer 503 NC. It exists for clients in namespace frontend (DestinationRule backend/reviews)',
    );
  });

  it("a gateway proxy of the root namespace uses the service namespace's DestinationRule before the root namespace's exported ones", async () => {
    const gateway = gatewayFor("shop", "shop.example.com");
    const meshWide = `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: default, namespace: istio-system}
spec:
  host: "*.local"
  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
`;
    const base = service("web", "shop", ["v1", "v2"]) + dr("web", "shop", "web", ["v1", "v2"]) + gateway;
    // The mesh-wide `*.local` rule is exported: istio-system's proxies use shop/web, which defines v2.
    expect(await run({ "a.yaml": base + meshWide + vs("edge", "shop", "shop.example.com", "web", "v2", "\n  gateways: [public]") })).toEqual([]);
    // Only a rule of istio-system exported nowhere else comes first for them.
    const privateRule = meshWide.replace('host: "*.local"', 'host: "*.local"\n  exportTo: ["."]');
    const files = { "a.yaml": base + privateRule + vs("edge", "shop", "shop.example.com", "web", "v2", "\n  gateways: [public]") };
    const found = await run(files);
    const line = files["a.yaml"].split("\n").findIndex((l) => l.includes("subset: v2")) + 1;
    expect(found.map((f) => f.at)).toEqual([`${line}:9 undefinedSubset`]);
    expect(found[0].message).toContain("clients in namespace istio-system (gateway istio-ingressgateway): DestinationRule istio-system/default, which applies there, defines no subsets");
    // A subset only the root namespace's exported rule defines: the service namespace's rule applies first.
    const canary = dr("web-canary", "istio-system", "web.shop.svc.cluster.local", ["canary"]);
    const found2 = await run({ "a.yaml": base + canary + vs("edge", "shop", "shop.example.com", "web", "canary", "\n  gateways: [public]") });
    expect(found2.map((f) => f.messageId)).toEqual(["undefinedSubset"]);
    expect(found2[0].message).toContain(
      "DestinationRule shop/web, which applies there, defines only v1, v2 (DestinationRule istio-system/web-canary defines it but is exported, and proxies of the root namespace istio-system use its exported DestinationRules only after the service namespace's: DestinationRule shop/web applies first)",
    );
  });
  it("a match's short gateway name means the gateway of the VirtualService's namespace (as istiod resolves it)", async () => {
    const gateway = (ns: string) => gatewayFor(ns, '"*"');
    // Bound to edge/public only; the first route's match names "public", which here is shop/public.
    const edgeVs = (matchGateway: string) => `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge, namespace: shop}
spec:
  hosts: [shop.example.com]
  gateways: [edge/public]
  http:
  - match: [{gateways: [${matchGateway}]}]
    route:
    - destination: {host: web.shop.svc.cluster.local, subset: v9}
  - route:
    - destination: {host: web.shop.svc.cluster.local, subset: v1}
`;
    const base = service("web", "shop") + dr("web", "shop", "web", ["v1"]) + gateway("shop") + gateway("edge");
    // istiod never generates the first route for edge/public's proxies: no client misses the subset.
    expect(await run({ "a.yaml": base + edgeVs("public") })).toEqual([]);
    // Named in full, it is edge/public's route, and v9 does not exist there.
    const found = await run({ "a.yaml": base + edgeVs("edge/public") });
    expect(found.map((f) => f.messageId)).toEqual(["undefinedSubset"]);
    expect(found[0].message).toMatch(/^Destination subset "v9" of "web.shop.svc.cluster.local" does not exist for clients in namespace istio-system \(gateway istio-ingressgateway\)/);
  });

  it("mirrors, and a suggestion for a typo", async () => {
    const files = {
      "a.yaml": service("reviews", "default", ["v1"]) + dr("reviews", "default", "reviews", ["v1", "canary"]) + `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: canery}
    mirror: {host: reviews, subset: v7}
`,
    };
    const found = await run(files);
    expect(found.map((f) => f.messageId)).toEqual(["undefinedSubset", "undefinedSubset"]);
    expect(found[0].message).toMatch(/^Destination subset "canery".*Did you mean subset "canary"\?$/);
    expect(found[1].message).toMatch(/^Mirror subset "v7"/);
    expect(found[1].message).not.toContain("Did you mean");
  });

  it("a VirtualService without hosts and without Services in the input is judged from its namespace (as istioctl does)", async () => {
    const found = await run({
      "a.yaml": dr("reviews", "default", "reviews", ["v1"]) + `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bogus, namespace: default}
spec:
  http:
  - route:
    - destination: {host: reviews, subset: bogus}
`,
    });
    expect(found.map((f) => f.messageId)).toEqual(["undefinedSubset"]);
    expect(found[0].message).toContain("outbound|<port>|bogus|reviews.default.svc.cluster.local");
  });

  it("a VirtualService used by no proxy is judged from its namespace and where workloads without a proxy run", async () => {
    const found = await run({
      "a.yaml": `---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
` + service("reviews", "shop") + dr("reviews", "config", "reviews.shop.svc.cluster.local", ["v1"], '\n  exportTo: ["."]') +
        vs("reviews", "config", "reviews.shop.svc.cluster.local", "reviews.shop.svc.cluster.local", "v1"),
    });
    expect(found.map((f) => f.messageId)).toEqual(["noDestinationRule"]);
    expect(found[0].message).toContain("clients in namespace shop");
    expect(found[0].message).toContain(". It exists for clients in namespace config (DestinationRule config/reviews)");
  });

  it("a delegate route the root keeps is judged from the root's clients", async () => {
    const found = await run({
      "a.yaml": delegatedReviews("/reviews/v2"),
    });
    expect(found.map((f) => f.messageId)).toEqual(["undefinedSubset"]);
    expect(found[0].message).toContain('subset "v2" of "reviews" does not exist for clients in namespace istio-system');
  });

  it("TCP routes", async () => {
    const found = await run({
      "a.yaml": service("db", "default", ["v1"], 3306).replace("name: http", "name: tcp") + dr("db", "default", "db", ["v1"]) + `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db, namespace: default}
spec:
  hosts: [db]
  tcp:
  - route:
    - destination: {host: db, subset: v2}
`,
    });
    expect(found.map((f) => f.messageId)).toEqual(["undefinedSubset"]);
    expect(found[0].message).toContain("outbound|3306|v2|db.default.svc.cluster.local");
  });
});

/**
 * The judgement client by client, as the rule judged before grouping clients: every client of the
 * VirtualService (or the assumed ones of an unused VirtualService) resolves the destination on its own.
 */
function judgedOneByOne(graph: MeshGraph) {
  const used = virtualServiceClients(graph);
  const proxyNamespaces = new Set(graph.proxies().filter((p) => p.kind === "sidecar").map((p) => p.namespace));
  const idle = [...new Set(graph.workloads.filter((w) => !w.gateway && w.kind !== "WorkloadEntry" && w.resource.origin !== "assumed").map((w) => w.namespace))].filter((ns) => !proxyNamespaces.has(ns));
  const out: { vs: VirtualServiceInfo; destination: RouteDestination; cluster: string; service?: MeshService; broken: string[]; fine: string[]; fineSubsets: Set<unknown> }[] = [];
  for (const vs of graph.virtualServices) {
    let clients: { namespace: string; gateway: string; scope: OutboundScope; label: string }[] = (used.get(vs) ?? []).map((c) => ({ ...c, label: `${c.namespace}@${c.gateway}${c.scope.sidecar ? "+sidecar" : ""}` }));
    if (clients.length === 0) {
      const meshBound = !vs.delegate && vs.gateways.some((g) => g.gateway === "mesh");
      if (meshBound && [...proxyNamespaces].some((ns) => isExportedTo(vs.exportTo, ns))) continue;
      const own = isExportedTo(vs.exportTo, vs.namespace) ? [vs.namespace] : [...(vs.exportTo as ReadonlySet<string>)];
      const gateway = vs.gateways.find((g) => g.gateway === "mesh")?.gateway ?? vs.gateways[0]?.gateway ?? "mesh";
      clients = [...new Set([...own, ...idle.filter((ns) => isExportedTo(vs.exportTo, ns))])].map((namespace) => ({ namespace, gateway, scope: graph.outboundScope(namespace), label: `${namespace}@${gateway}` }));
    }
    for (const route of vs.routes) {
      const restricted = route.matches.length > 0 && route.matches.every((match) => match.gateways !== undefined);
      const applying = restricted ? clients.filter((c) => route.matches.some((match) => gatewaysAllow(match, [c.gateway], vs.namespace))) : clients;
      for (const destination of [...route.destinations, ...route.mirrors]) {
        if (!destination.subset || destination.host.startsWith("*")) continue;
        const known = graph.services.exact(destination.host).length > 0 || graph.services.lookup(destination.host, vs.namespace) !== undefined;
        let cluster: string | undefined;
        let anyService: MeshService | undefined;
        const broken: string[] = [];
        const fine: string[] = [];
        const fineSubsets = new Set<unknown>();
        for (const client of applying) {
          const service = client.scope.service(destination.host);
          let rule;
          if (service) {
            const port = destination.port ?? service.ports[0]?.port;
            if (port === undefined || !service.ports.some((p) => p.port === port)) continue;
            cluster ??= outboundClusterName(port, destination.subset, service.hostname);
            anyService ??= service;
            rule = client.scope.destinationRule(service);
          } else {
            if (known) continue;
            rule = graph.destinationRules.forClient(client.namespace, destination.host, namespaceOf(destination.host) ?? vs.namespace);
            if (!rule) continue;
            cluster ??= outboundClusterName(destination.port ?? ("<port>" as unknown as number), destination.subset, destination.host);
          }
          const defined = rule?.subsets.get(destination.subset);
          const text = `${client.label} ${rule ? rule.rules.map((r) => r.resource.key).join("+") : "-"} ${service?.resource.key ?? "-"}`;
          if (defined) {
            fine.push(text);
            fineSubsets.add(defined);
          } else broken.push(text);
        }
        if (cluster) out.push({ vs, destination, cluster, service: anyService, broken, fine, fineSubsets });
      }
    }
  }
  return out;
}

function namespaceOf(host: string): string | undefined {
  const parts = host.split(".");
  return parts.length >= 4 && parts[2] === "svc" ? parts[1] : undefined;
}

/** Asserts that the rule's judgement of every subset destination is the client-by-client one. */
function expectOneByOneAnswers(yaml: string, name = ""): void {
  const graph = graphOf(yaml);
  const expected = judgedOneByOne(graph);
  const actual = judgeSubsetDestinations(graph);
  const label = (c: SubsetClient) => `${c.namespace}@${c.gateway}${c.scope.sidecar ? "+sidecar" : ""}`;
  const text = (o: SubsetOutcome) => `${label(o.client)} ${o.rule ? o.rule.rules.map((r) => r.resource.key).join("+") : "-"} ${o.service?.resource.key ?? "-"}`;
  expect(actual.map((j) => j.destination), name).toEqual(expected.map((j) => j.destination));
  actual.forEach((judged, i) => {
    const want = expected[i];
    expect(judged.hasBroken, name).toBe(want.broken.length > 0);
    expect(new Set(judged.fineSubsets), name).toEqual(want.fineSubsets);
    if (!judged.hasBroken) return;
    expect(judged.cluster, name).toBe(want.cluster);
    expect(judged.service, name).toBe(want.service);
    expect(judged.broken.map(text), name).toEqual(want.broken);
    expect(judged.fine.map(text), name).toEqual(want.fine);
  });
}

describe("missing-subset: judging by client groups gives the client-by-client answers", () => {
  const clients = ["a", "b", "c", "d"].map((ns) => sleepClient(ns)).join("");
  const route = (name: string, ns: string, host: string, subset: string) =>
    virtualService(name, ns, `  hosts: [${host}]\n  http: [{route: [{destination: {host: ${host}, subset: ${subset}}}]}]\n`);
  const entry = (name: string, ns: string, host: string, exportTo = "") =>
    istio("ServiceEntry", name, ns, `${exportTo}  hosts: ["${host}"]\n  resolution: DNS\n  ports: [{number: 9080, name: http, protocol: HTTP}]\n`);
  const rule = (name: string, ns: string, host: string, subsets: string[], exportTo = "") =>
    destinationRule(name, ns, `  host: "${host}"\n${exportTo}  subsets:\n${subsetLines(subsets)}`);
  it.each([
    ["a Service and a ServiceEntry for one host: clients in the entry's namespace prefer it", clients +
      service("reviews", "a", ["v1", "v2"]) + entry("reviews", "c", "reviews.a.svc.cluster.local") +
      rule("reviews", "a", "reviews", ["v1"]) + rule("reviews-c", "c", "reviews.a.svc.cluster.local", ["v2"]) + route("r", "b", "reviews.a.svc.cluster.local", "v2")],
    ["a DestinationRule of the service's namespace exported to one namespace", clients +
      service("reviews", "a", ["v1", "v2"]) + rule("reviews", "a", "reviews", ["v1"], '  exportTo: ["c"]\n') +
      rule("root", "istio-system", "*.local", ["v2"]) + route("r", "b", "reviews.a.svc.cluster.local", "v1")],
    ["a DestinationRule in a client namespace", clients +
      service("reviews", "a", ["v1", "v2"]) + rule("reviews", "a", "reviews", ["v1"]) + rule("mine", "d", "reviews.a.svc.cluster.local", ["v2"]) +
      route("r", "a", "reviews", "v1")],
    ["a ServiceEntry exported to some namespaces, a wildcard entry for others", clients +
      entry("wide", "b", "*.a.svc.cluster.local", '  exportTo: ["c"]\n') +
      entry("reviews", "a", "reviews.a.svc.cluster.local", '  exportTo: [".", "b"]\n') + rule("wide", "b", "*.a.svc.cluster.local", ["v1"], '  exportTo: ["*"]\n') +
      route("r", "b", "reviews.a.svc.cluster.local", "v1")],
    ["an unknown host with DestinationRules in some namespaces", clients +
      rule("ghost", "a", "ghost.a.svc.cluster.local", ["v1"]) + rule("ghost-b", "b", "ghost.a.svc.cluster.local", ["v2"], '  exportTo: ["."]\n') +
      route("r", "c", "ghost.a.svc.cluster.local", "v2")],
  ])("%s", (_, yaml) => expectOneByOneAnswers(yaml));

  it("200 random meshes", () => {
    for (let seed = 0; seed < 200; seed++) expectOneByOneAnswers(randomMesh(seed), `random mesh ${seed}`);
  });
});
