import { describe, expect, it } from "vitest";
import { destinationRule as dr, ingressGateway, ingressServer, virtualService as vs } from "../fixtures/manifests.js";
import { graphOf, routesOf, service } from "./helpers.js";

const FQDN = (name: string, ns: string) => `${name}.${ns}.svc.cluster.local`;

describe("names as istioctl proxy-config shows them", () => {
  const g = graphOf(service("reviews", "default", 9080, ["v1", "v2"]) + service("db", "default", 3306, ["v1"], "tcp-mysql") +
    dr("reviews", "default", "  host: reviews\n  subsets:\n  - {name: v1, labels: {version: v1}}\n  - {name: v2, labels: {version: v2}}\n"));
  const proxy = g.proxy("default/reviews-v1")!;
  const config = g.proxyConfig(proxy);
  it("outbound HTTP listener 0.0.0.0_<port> with route configuration <port>", () => {
    const listener = config.listeners.find((l) => l.port === 9080)!;
    expect(listener.name).toBe("0.0.0.0_9080");
    expect(listener.routeConfigName).toBe("9080");
  });
  it("outbound TCP listener 0.0.0.0_<port> when the service has no cluster IP", () => {
    expect(config.listeners.map((l) => l.name)).toContain("0.0.0.0_3306");
  });
  it("virtual host <fqdn>:<port> with short names valid from the client namespace", () => {
    const vh = g.outboundScope("default").virtualHost(FQDN("reviews", "default"), 9080)!;
    expect(vh.name).toBe("reviews.default.svc.cluster.local:9080");
    expect(vh.domains).toEqual(expect.arrayContaining(["reviews", "reviews.default", "reviews.default.svc", "reviews.default.svc.cluster.local:9080"]));
    expect(g.outboundScope("other").virtualHost(FQDN("reviews", "default"), 9080)!.domains).not.toContain("reviews");
  });
  it("clusters outbound|port||host and one per subset; inbound|port||; special clusters", () => {
    const names = config.clusters.map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "outbound|9080||reviews.default.svc.cluster.local",
        "outbound|9080|v1|reviews.default.svc.cluster.local",
        "outbound|9080|v2|reviews.default.svc.cluster.local",
        "outbound|3306||db.default.svc.cluster.local",
        "inbound|9080||",
        "BlackHoleCluster",
        "PassthroughCluster",
      ]),
    );
  });
  it("virtualInbound listener on 15006 with a filter chain per target port", () => {
    const inbound = config.listeners.find((l) => l.name === "virtualInbound")!;
    expect(inbound.port).toBe(15006);
    expect(inbound.filterChains.map((c) => c.match.destinationPort)).toEqual([9080]);
  });
  it("endpoints are the selected workloads ∩ subset labels", () => {
    const scope = g.outboundScope("default");
    const v2 = scope.cluster("outbound|9080|v2|reviews.default.svc.cluster.local")!;
    expect(v2.endpoints().map((e) => e.workload?.name)).toEqual(["reviews-v2"]);
    expect(scope.cluster("outbound|9080||reviews.default.svc.cluster.local")!.endpoints()).toHaveLength(2);
  });
});

describe("host names and scoping", () => {
  const base = service("reviews", "default") + service("reviews", "prod");
  const cases: { name: string; yaml: string; ns: string; host: string; expected: string[] }[] = [
    {
      name: "a short destination host resolves against the VirtualService's namespace",
      yaml: base + vs("r", "prod", "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews}\n"),
      ns: "prod",
      host: FQDN("reviews", "prod"),
      expected: ['{} -> outbound|9080||reviews.prod.svc.cluster.local@100'],
    },
    {
      name: "a short VirtualService host in another namespace names a different service",
      yaml: base + vs("r", "prod", "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews}\n"),
      ns: "default",
      host: FQDN("reviews", "default"),
      expected: ['{"uri":{"prefix":"/"}} -> outbound|9080||reviews.default.svc.cluster.local@100'],
    },
    {
      name: "a VirtualService exported only to its namespace does not apply elsewhere",
      yaml: base + vs("r", "prod", "  hosts: [reviews.default.svc.cluster.local]\n  exportTo: [.]\n  http:\n  - route:\n    - destination: {host: reviews.prod.svc.cluster.local}\n"),
      ns: "default",
      host: FQDN("reviews", "default"),
      expected: ['{"uri":{"prefix":"/"}} -> outbound|9080||reviews.default.svc.cluster.local@100'],
    },
    {
      name: "… but does in its own namespace",
      yaml: base + vs("r", "prod", "  hosts: [reviews.default.svc.cluster.local]\n  exportTo: [.]\n  http:\n  - route:\n    - destination: {host: reviews.prod.svc.cluster.local}\n"),
      ns: "prod",
      host: FQDN("reviews", "default"),
      expected: ['{} -> outbound|9080||reviews.prod.svc.cluster.local@100'],
    },
  ];
  it.each(cases)("$name", ({ yaml, ns, host, expected }) => {
    expect(routesOf(graphOf(yaml), ns, host, 9080)).toEqual(expected);
  });

  it("a Service annotated networking.istio.io/exportTo: '.' is invisible to other namespaces", () => {
    const g = graphOf(service("reviews", "prod").replace("metadata: {name: reviews, namespace: prod}", 'metadata: {name: reviews, namespace: prod, annotations: {networking.istio.io/exportTo: "."}}'));
    expect(g.outboundScope("prod").service(FQDN("reviews", "prod"))).toBeDefined();
    expect(g.outboundScope("default").service(FQDN("reviews", "prod"))).toBeUndefined();
  });
});

describe("sidecars: several VirtualServices for one host do not merge; the first wins", () => {
  const two = (t1: string, t2: string) =>
    service("reviews", "default", 9080, ["v1", "v2"]) +
    dr("reviews", "default", "  host: reviews\n  subsets:\n  - {name: v1, labels: {version: v1}}\n  - {name: v2, labels: {version: v2}}\n") +
    vs("b-second", "default", "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, subset: v2}\n", `, creationTimestamp: "${t2}"`) +
    vs("a-first", "default", "  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, subset: v1}\n", `, creationTimestamp: "${t1}"`);
  it("ordered by creation time", () => {
    const g = graphOf(two("2024-01-01T00:00:00Z", "2023-01-01T00:00:00Z"));
    expect(routesOf(g, "default", FQDN("reviews", "default"), 9080)).toEqual(["{} -> outbound|9080|v2|reviews.default.svc.cluster.local@100"]);
    expect(g.outboundScope("default").droppedVirtualServices().map((d) => `${d.virtualService.name}<${d.winner.name}`)).toEqual(["a-first<b-second"]);
  });
  it("then by name", () => {
    const g = graphOf(two("2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z"));
    expect(routesOf(g, "default", FQDN("reviews", "default"), 9080)).toEqual(["{} -> outbound|9080|v1|reviews.default.svc.cluster.local@100"]);
  });
  it("a VirtualService private to the client namespace comes before public ones", () => {
    const yaml =
      service("reviews", "default", 9080, ["v1"]) + service("reviews", "client", 9080, ["v1"]) +
      vs("a-public", "default", "  hosts: [reviews.default.svc.cluster.local]\n  http:\n  - route:\n    - destination: {host: reviews.default.svc.cluster.local}\n") +
      vs("z-private", "client", "  hosts: [reviews.default.svc.cluster.local]\n  exportTo: [.]\n  http:\n  - route:\n    - destination: {host: reviews.client.svc.cluster.local}\n");
    expect(routesOf(graphOf(yaml), "client", FQDN("reviews", "default"), 9080)).toEqual(["{} -> outbound|9080||reviews.client.svc.cluster.local@100"]);
  });
});

describe("routes: order, port and gateway matches, weights, subsets", () => {
  const yaml =
    service("reviews", "default", 9080, ["v1", "v2", "v3"]) +
    dr("reviews", "default", "  host: reviews\n  subsets:\n  - {name: v1, labels: {version: v1}}\n  - {name: v2, labels: {version: v2}}\n") +
    vs(
      "reviews",
      "default",
      `  hosts: [reviews]
  http:
  - match:
    - headers: {end-user: {exact: jason}}
    route:
    - destination: {host: reviews, subset: v2}
  - match:
    - port: 9999
    route:
    - destination: {host: reviews, subset: v1}
  - match:
    - gateways: [istio-system/ingress]
    route:
    - destination: {host: reviews, subset: v1}
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 80
    - destination: {host: reviews, subset: v3}
      weight: 20
`,
    );
  const g = graphOf(yaml);
  it("routes keep VirtualService order; routes matching another port or only a gateway are left out for sidecars", () => {
    expect(routesOf(g, "default", FQDN("reviews", "default"), 9080)).toEqual([
      '{"headers":{"end-user":{"exact":"jason"}}} -> outbound|9080|v2|reviews.default.svc.cluster.local@100',
      "{} -> outbound|9080|v1|reviews.default.svc.cluster.local@80,outbound|9080|v3|reviews.default.svc.cluster.local@20!NC",
    ]);
  });
  it("a subset the DestinationRule does not define has no cluster (503 NC)", () => {
    expect(g.outboundScope("default").cluster("outbound|9080|v3|reviews.default.svc.cluster.local")).toBeUndefined();
  });
});

describe("DestinationRules: client namespace, then service namespace, then root; merging", () => {
  const svc = service("reviews", "prod", 9080, ["v1", "v2"]);
  const subsets = (names: string[]) => `  subsets:\n${names.map((n) => `  - {name: ${n}, labels: {version: ${n}}}`).join("\n")}\n`;
  const cases: { name: string; yaml: string; client: string; expected: { ns: string; subsets: string[] } | undefined }[] = [
    {
      name: "the service namespace's rule applies to clients elsewhere",
      yaml: svc + dr("r", "prod", "  host: reviews\n" + subsets(["v1"])),
      client: "web",
      expected: { ns: "prod", subsets: ["v1"] },
    },
    {
      name: "a rule in the client's namespace takes precedence",
      yaml: svc + dr("r", "prod", "  host: reviews\n" + subsets(["v1"])) + dr("r", "web", "  host: reviews.prod.svc.cluster.local\n" + subsets(["v2"])),
      client: "web",
      expected: { ns: "web", subsets: ["v2"] },
    },
    {
      name: "a rule exported only to its own namespace does not serve other clients",
      yaml: svc + dr("r", "prod", "  host: reviews\n  exportTo: [.]\n" + subsets(["v1"])),
      client: "web",
      expected: undefined,
    },
    {
      name: "a short host in another namespace's rule names a different service",
      yaml: svc + dr("r", "web", "  host: reviews\n" + subsets(["v1"])),
      client: "web",
      expected: undefined,
    },
    {
      name: "rules in other namespaces are ignored even when exported",
      yaml: svc + dr("r", "elsewhere", "  host: reviews.prod.svc.cluster.local\n" + subsets(["v1"])),
      client: "web",
      expected: undefined,
    },
    {
      name: "the root namespace's rule applies last",
      yaml: svc + dr("r", "istio-system", '  host: "*.local"\n  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}\n'),
      client: "web",
      expected: { ns: "istio-system", subsets: [] },
    },
    {
      name: "rules for one host in one namespace merge their subsets (the first definition of a name wins)",
      yaml: svc + dr("a", "prod", "  host: reviews\n" + subsets(["v1"])) + dr("b", "prod", "  host: reviews\n" + subsets(["v1", "v2"])),
      client: "web",
      expected: { ns: "prod", subsets: ["v1", "v2"] },
    },
  ];
  it.each(cases)("$name", ({ yaml, client, expected }) => {
    const g = graphOf(yaml);
    const rule = g.destinationRules.forClient(client, FQDN("reviews", "prod"), "prod");
    expect(rule ? { ns: rule.namespace, subsets: [...rule.subsets.keys()] } : undefined).toEqual(expected);
  });
  it("merged subsets keep the first definition", () => {
    const g = graphOf(svc + dr("a", "prod", "  host: reviews\n  subsets:\n  - {name: v1, labels: {version: v1}}\n") + dr("b", "prod", "  host: reviews\n  subsets:\n  - {name: v1, labels: {version: v2}}\n"));
    const rule = g.destinationRules.forClient("prod", FQDN("reviews", "prod"), "prod")!;
    expect(rule.subsets.get("v1")!.labels).toEqual({ version: "v1" });
  });
});

describe("mTLS: client cluster TLS and server inbound mode", () => {
  const pa = (name: string, ns: string, body: string) => `---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: ${name}, namespace: ${ns}}
spec:
${body}`;
  const tlsOf = (yaml: string, clientNs = "default") => {
    const g = graphOf(yaml);
    const cluster = g.outboundScope(clientNs).cluster("outbound|9080||reviews.prod.svc.cluster.local")!;
    return `${cluster.tls!.mode}/${cluster.tls!.source}`;
  };
  const svc = service("reviews", "prod");
  it.each([
    { name: "auto mTLS without policy: Istio mTLS", yaml: svc, expected: "ISTIO_MUTUAL/auto" },
    { name: "auto mTLS infers DISABLE from the namespace policy", yaml: svc + pa("p", "prod", "  mtls: {mode: DISABLE}\n"), expected: "DISABLE/auto" },
    { name: "auto mTLS infers DISABLE from the mesh policy", yaml: svc + pa("p", "istio-system", "  mtls: {mode: DISABLE}\n"), expected: "DISABLE/auto" },
    {
      name: "a workload-level policy is ignored by the inference",
      yaml: svc + pa("p", "prod", "  selector: {matchLabels: {app: reviews}}\n  mtls: {mode: DISABLE}\n"),
      expected: "ISTIO_MUTUAL/auto",
    },
    {
      name: "an explicit DestinationRule tls is used as is",
      yaml: svc + dr("r", "prod", "  host: reviews\n  trafficPolicy: {tls: {mode: DISABLE}}\n"),
      expected: "DISABLE/destination-rule",
    },
    {
      name: "port-level tls beats top-level",
      yaml: svc + dr("r", "prod", "  host: reviews\n  trafficPolicy:\n    tls: {mode: DISABLE}\n    portLevelSettings:\n    - port: {number: 9080}\n      tls: {mode: ISTIO_MUTUAL}\n"),
      expected: "ISTIO_MUTUAL/destination-rule",
    },
  ])("$name", ({ yaml, expected }) => {
    expect(tlsOf(yaml)).toBe(expected);
  });

  const server = (yaml: string, port = 9080) => {
    const g = graphOf(yaml);
    const workload = g.workloads.find((w) => w.name === "reviews-v1")!;
    const mtls = g.peerAuthentications.effective(workload, port);
    return `${mtls.mode}/${mtls.level}`;
  };
  it.each([
    { name: "no policy: PERMISSIVE", yaml: svc, expected: "PERMISSIVE/default" },
    { name: "mesh-level STRICT", yaml: svc + pa("m", "istio-system", "  mtls: {mode: STRICT}\n"), expected: "STRICT/mesh" },
    { name: "namespace beats mesh", yaml: svc + pa("m", "istio-system", "  mtls: {mode: STRICT}\n") + pa("n", "prod", "  mtls: {mode: PERMISSIVE}\n"), expected: "PERMISSIVE/namespace" },
    { name: "UNSET inherits", yaml: svc + pa("m", "istio-system", "  mtls: {mode: STRICT}\n") + pa("n", "prod", "  mtls: {mode: UNSET}\n"), expected: "STRICT/mesh" },
    {
      name: "workload beats namespace",
      yaml: svc + pa("n", "prod", "  mtls: {mode: STRICT}\n") + pa("w", "prod", "  selector: {matchLabels: {app: reviews}}\n  mtls: {mode: DISABLE}\n"),
      expected: "DISABLE/workload",
    },
    {
      name: "port-level (by target port) beats workload",
      yaml: svc + pa("w", "prod", "  selector: {matchLabels: {app: reviews}}\n  mtls: {mode: STRICT}\n  portLevelMtls:\n    9080: {mode: DISABLE}\n"),
      expected: "DISABLE/port",
    },
  ])("server: $name", ({ yaml, expected }) => {
    expect(server(yaml)).toBe(expected);
  });
});

describe("ServiceEntries and gateways", () => {
  it("a ServiceEntry host is a service with its own clusters; DNS resolution is STRICT_DNS", () => {
    const g = graphOf(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: stripe, namespace: payments}
spec:
  hosts: [api.stripe.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 443, name: https, protocol: TLS}]
`);
    const cluster = g.outboundScope("payments").cluster("outbound|443||api.stripe.com")!;
    expect(cluster.type).toBe("STRICT_DNS");
    expect(cluster.tls?.mode).toBe("DISABLE");
  });
  it("gateway routes merge across VirtualServices bound to the same gateway and host (catch-all routes move to the end)", () => {
    const yaml =
      service("a", "default") + service("b", "default") + ingressGateway("gw", "default", '["shop.example.com"]') +
      vs("one", "default", "  hosts: [shop.example.com]\n  gateways: [gw]\n  http:\n  - route:\n    - destination: {host: a}\n", ', creationTimestamp: "2023-01-01T00:00:00Z"') +
      vs("two", "default", "  hosts: [shop.example.com]\n  gateways: [gw]\n  http:\n  - match:\n    - uri: {prefix: /b}\n    route:\n    - destination: {host: b}\n", ', creationTimestamp: "2024-01-01T00:00:00Z"');
    const g = graphOf(yaml);
    const gateway = g.gatewayProxy(g.proxy("istio-system/istio-ingressgateway")!);
    expect(gateway.listeners().map((l) => l.name)).toEqual(["0.0.0.0_8080"]);
    const config = gateway.routeConfig("http.8080")!;
    expect(config.virtualHosts.map((vh) => vh.name)).toEqual(["shop.example.com:80"]);
    expect(config.virtualHosts[0].routes.map((r) => `${r.virtualService!.name}:${r.action.kind === "route" ? r.action.clusters[0].name : ""}`)).toEqual([
      "two:outbound|9080||b.default.svc.cluster.local",
      "one:outbound|9080||a.default.svc.cluster.local",
    ]);
  });
  it("HTTPS servers get route configuration https.<port>.<port name>.<gateway>.<namespace>", () => {
    const g = graphOf(`apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: shop}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https-shop, protocol: HTTPS}
    hosts: ["shop.example.com"]
    tls: {mode: SIMPLE, credentialName: shop-cert}
`);
    const gateway = g.gatewayProxy(g.proxy("istio-system/istio-ingressgateway")!);
    expect(gateway.listeners().map((l) => l.name)).toEqual(["0.0.0.0_8443"]);
    expect(gateway.routeConfigs().map((c) => c.name)).toEqual(["https.443.https-shop.gw.shop"]);
  });
  it("a gRPC-Web server gets an HTTP route configuration", () => {
    const g = graphOf(service("a", "default") + ingressServer("gw", "default", "{number: 80, name: grpc-web, protocol: GRPC-Web}", "[web.example.com]") +
      vs("web", "default", "  hosts: [web.example.com]\n  gateways: [gw]\n  http:\n  - route: [{destination: {host: a}}]\n"));
    const gateway = g.gatewayProxy(g.proxy("istio-system/istio-ingressgateway")!);
    expect(gateway.routeConfigs().map((c) => c.name)).toEqual(["http.8080"]);
  });
  it.each([
    ["a TLS server that terminates TLS forwards by the tcp route", "{mode: SIMPLE, credentialName: db-cert}", "outbound|9080||b.default.svc.cluster.local"],
    ["a PASSTHROUGH server forwards by the tls route", "{mode: PASSTHROUGH}", "outbound|9080||a.default.svc.cluster.local"],
    ["an AUTO_PASSTHROUGH server takes no VirtualService route", "{mode: AUTO_PASSTHROUGH}", undefined],
  ])("%s", (_, tls, cluster) => {
    const g = graphOf(
      service("a", "default") + service("b", "default") + ingressServer("gw", "default", "{number: 443, name: tls, protocol: TLS}", "[db.example.com]", tls) +
        vs("db", "default", "  hosts: [db.example.com]\n  gateways: [gw]\n  tls:\n  - match: [{sniHosts: [db.example.com]}]\n    route: [{destination: {host: a}}]\n  tcp:\n  - route: [{destination: {host: b}}]\n"),
    );
    const gateway = g.gatewayProxy(g.proxy("istio-system/istio-ingressgateway")!);
    const chains = gateway.listeners().flatMap((l) => l.filterChains);
    expect(chains.flatMap((c) => c.clusters ?? []).map((c) => c.name)[0]).toBe(cluster);
  });
});

describe("Sidecar scoping", () => {
  const yaml =
    service("a", "team-a") + service("b", "team-b") +
    `---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: team-a}
spec:
  egress:
  - hosts: ["./*", "istio-system/*"]
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
`;
  const g = graphOf(yaml);
  it("egress hosts limit the services a proxy sees", () => {
    const scope = g.scopeOf(g.workloads.find((w) => w.name === "a-v1")!);
    expect(scope.service(FQDN("a", "team-a"))).toBeDefined();
    expect(scope.service(FQDN("b", "team-b"))).toBeUndefined();
    expect(scope.outboundTrafficPolicy).toBe("REGISTRY_ONLY");
  });
  it("other namespaces are not limited", () => {
    const scope = g.scopeOf(g.workloads.find((w) => w.name === "b-v1")!);
    expect(scope.service(FQDN("a", "team-a"))).toBeDefined();
    expect(scope.outboundTrafficPolicy).toBe("ALLOW_ANY");
  });
  it("REGISTRY_ONLY drops PassthroughCluster", () => {
    const config = g.proxyConfig(g.proxy("team-a/a-v1")!);
    expect(config.clusters.map((c) => c.name)).not.toContain("PassthroughCluster");
  });

  // istiod adds the destinations of the VirtualServices a Sidecar's egress hosts select to its scope.
  const route = (name: string, routeBody: string) =>
    vs(name, "team-a", `  hosts: [a]\n  http:\n  - ${routeBody}\n`);
  const egress = (listener: string) => `---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: team-a}
spec:
  egress:
  - ${listener}
`;
  it.each([
    ["a destination of a VirtualService the egress hosts select", egress('hosts: ["./*"]') + route("to-b", `route: [{destination: {host: ${FQDN("b", "team-b")}}}]`), true],
    ["a mirror too", egress('hosts: ["./*"]') + route("to-b", `route: [{destination: {host: a}}]\n    mirror: {host: ${FQDN("b", "team-b")}}`), true],
    ["a destination port the service has", egress('hosts: ["./*"]') + route("to-b", `route: [{destination: {host: ${FQDN("b", "team-b")}, port: {number: 9080}}}]`), true],
    ["not a destination port the service lacks", egress('hosts: ["./*"]') + route("to-b", `route: [{destination: {host: ${FQDN("b", "team-b")}, port: {number: 7070}}}]`), false],
    ["not for a listener port the service lacks", egress('{port: {number: 7070, name: http, protocol: HTTP}, hosts: ["./*"]}') + route("to-b", `route: [{destination: {host: ${FQDN("b", "team-b")}}}]`), false],
    ["not from a route for another source namespace", egress('hosts: ["./*"]') + route("to-b", `match: [{sourceNamespace: team-c}]\n    route: [{destination: {host: ${FQDN("b", "team-b")}}}]`), false],
    ["not from a VirtualService the egress hosts do not select", egress('hosts: ["./b.example.com"]') + route("to-b", `route: [{destination: {host: ${FQDN("b", "team-b")}}}]`), false],
  ])("inferred services: %s", (_, extra, visible) => {
    const g = graphOf(service("a", "team-a") + service("b", "team-b") + extra);
    const scope = g.scopeOf(g.workloads.find((w) => w.name === "a-v1")!);
    expect(scope.service(FQDN("b", "team-b")) !== undefined).toBe(visible);
    expect(g.proxyConfig(g.proxy("team-a/a-v1")!).clusters.some((c) => c.name === `outbound|9080||${FQDN("b", "team-b")}`)).toBe(visible);
  });
  it.each([
    ["the port a route names only", `, port: {number: 9080}`, ["9080"]],
    ["every port when a route names none", "", ["9080", "9443"]],
  ])("an inferred service keeps %s", (_, port, ports) => {
    const twoPorts = service("b", "team-b").replace("ports: [{name: http, port: 9080, targetPort: 9080}]", "ports: [{name: http, port: 9080, targetPort: 9080}, {name: https, port: 9443}]");
    const g = graphOf(service("a", "team-a") + twoPorts + egress('hosts: ["./*"]') + route("to-b", `route: [{destination: {host: ${FQDN("b", "team-b")}${port}}}]`));
    const names = g.proxyConfig(g.proxy("team-a/a-v1")!).clusters.map((c) => c.name).filter((name) => name.endsWith(`||${FQDN("b", "team-b")}`));
    expect(names).toEqual(ports.map((p) => `outbound|${p}||${FQDN("b", "team-b")}`));
  });
});

describe("workloads of other kinds", () => {
  const rollout = (template: string) => `---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: shop, namespace: default}
spec:
${template}`;
  it.each([
    ["an Argo Rollout's pod template", rollout("  template:\n    metadata: {labels: {app: shop}}\n    spec: {containers: [{name: app, image: shop, ports: [{containerPort: 9080}]}]}\n"), ["Rollout shop"]],
    ["a Rollout that refers to a Deployment's template has none of its own", rollout("  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: shop}\n"), []],
    ["a Rollout of another API group is not Argo's", rollout("  template:\n    metadata: {labels: {app: shop}}\n").replace("argoproj.io/v1alpha1", "example.com/v1"), []],
  ])("%s", (_, yaml, expected) => {
    const g = graphOf(yaml);
    expect(g.workloads.filter((w) => w.resource.origin !== "assumed").map((w) => `${w.kind} ${w.name}`)).toEqual(expected);
  });
  it("a Service selecting a Rollout's pods has endpoints", () => {
    const g = graphOf(
      rollout("  template:\n    metadata: {labels: {app: shop}}\n    spec: {containers: [{name: app, image: shop, ports: [{containerPort: 9080}]}]}\n") +
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: shop, namespace: default}\nspec:\n  selector: {app: shop}\n  ports: [{name: http, port: 9080}]\n",
    );
    expect(g.outboundScope("default").cluster("outbound|9080||shop.default.svc.cluster.local")!.endpoints().length).toBe(1);
  });
});

describe("sidecar injection", () => {
  const ns = (name: string, labels: string) => `---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ${name}, labels: {${labels}}}\n`;
  it.each([
    { name: "no Namespace object: assumed", yaml: service("a", "x"), injected: true },
    { name: "istio-injection=enabled", yaml: ns("x", "istio-injection: enabled") + service("a", "x"), injected: true },
    { name: "istio.io/rev", yaml: ns("x", "istio.io/rev: canary") + service("a", "x"), injected: true },
    { name: "Namespace without the label", yaml: ns("x", "team: a") + service("a", "x"), injected: false },
    {
      name: "pod label sidecar.istio.io/inject=false overrides the namespace",
      yaml: ns("x", "istio-injection: enabled") + service("a", "x").replace("labels: {app: a, version: v1}}", 'labels: {app: a, version: v1, sidecar.istio.io/inject: "false"}}'),
      injected: false,
    },
  ])("$name", ({ yaml, injected }) => {
    const g = graphOf(yaml);
    expect(g.workloads.find((w) => w.name === "a-v1")!.sidecar.injected).toBe(injected);
  });
});

describe("sidecar virtual hosts istiod builds from VirtualServices", () => {
  it("a VirtualService host outside the registry gets a virtual host on port 80 when its VirtualService has no registry service", () => {
    const g = graphOf(vs("ext", "default", "  hosts: [api.example.com]\n  http:\n  - route:\n    - destination: {host: api.example.com}\n"));
    const vh = g.outboundScope("default").routeConfig(80).virtualHosts.find((v) => v.name === "api.example.com:80");
    expect(vh?.domains).toEqual(["api.example.com", "api.example.com:80"]);
    expect(g.outboundScope("default").routeConfig(8080).virtualHosts.find((v) => v.name.startsWith("api.example.com"))).toBeUndefined();
  });
  it("... and on the ports of the registry services it also names", () => {
    const g = graphOf(service("reviews", "default") + vs("r", "default", "  hosts: [reviews, reviews.example.com]\n  http:\n  - route:\n    - destination: {host: reviews}\n"));
    const names = g.outboundScope("default").routeConfig(9080).virtualHosts.map((v) => v.name);
    expect(names).toEqual(expect.arrayContaining(["reviews.example.com:9080", "reviews.default.svc.cluster.local:9080"]));
  });
  it("a VirtualService whose every route matches another port leaves the service its default route", () => {
    const g = graphOf(service("reviews", "default") + vs("r", "default", "  hosts: [reviews]\n  http:\n  - match:\n    - port: 8000\n    route:\n    - destination: {host: reviews}\n"));
    expect(routesOf(g, "default", FQDN("reviews", "default"), 9080)).toEqual(['{"uri":{"prefix":"/"}} -> outbound|9080||reviews.default.svc.cluster.local@100']);
  });
});
