import { describe, expect, it } from "vitest";
import { virtualServiceClients, virtualServiceUsers, type VirtualServiceClient } from "../../src/graph/clients.js";
import type { MeshGraph, OutboundScope, Proxy, VirtualServiceInfo } from "../../src/graph/index.js";
import { gatewayVirtualServices } from "../../src/graph/outbound.js";
import { serverHostsFor } from "../../src/graph/proxies.js";
import { destinationRule as dr, ingressGateway, istio, sleepClient, virtualService as vs } from "../fixtures/manifests.js";
import { randomMesh } from "../fixtures/random-mesh.js";
import { graphOf, service } from "./helpers.js";

function clientsOf(yaml: string): Record<string, string[]> {
  const graph = graphOf(yaml);
  const out: Record<string, string[]> = {};
  for (const [vs, clients] of virtualServiceClients(graph)) {
    out[`${vs.namespace}/${vs.name}`] = clients.map((c) => `${c.namespace}${c.scope.sidecar ? `+${c.scope.sidecar.resource.name}` : ""}@${c.gateway}`).sort();
  }
  return out;
}

describe("virtualServiceClients: who uses a VirtualService's routes", () => {
  it("sidecar scopes where it wins a host; not those where an older one wins or it is not exported", () => {
    const clients = clientsOf(
      service("reviews", "default") + service("web", "shop") + service("admin", "ops") +
        vs("a-old", "default", "  hosts: [reviews]\n  http: [{route: [{destination: {host: reviews}}]}]\n", ", creationTimestamp: '2024-01-01T00:00:00Z'") +
        vs("b-new", "default", "  hosts: [reviews]\n  http: [{route: [{destination: {host: reviews}}]}]\n", ", creationTimestamp: '2024-02-01T00:00:00Z'") +
        vs("private", "ops", '  hosts: [admin]\n  exportTo: ["."]\n  http: [{route: [{destination: {host: admin}}]}]\n'),
    );
    expect(clients["default/a-old"]).toEqual(["default@mesh", "ops@mesh", "shop@mesh"]);
    expect(clients["default/b-new"]).toBeUndefined();
    expect(clients["ops/private"]).toEqual(["ops@mesh"]);
  });

  it("gateway proxies serving a bound Gateway with one of its hosts (the assumed ingress gateway included)", () => {
    const clients = clientsOf(
      service("web", "shop") +
        ingressGateway("public", "shop", "[shop.example.com]") +
        vs("edge", "shop", "  hosts: [shop.example.com]\n  gateways: [public]\n  http: [{route: [{destination: {host: web}}]}]\n") +
        vs("other-host", "shop", "  hosts: [admin.example.com]\n  gateways: [public]\n  http: [{route: [{destination: {host: web}}]}]\n"),
    );
    expect(clients["shop/edge"]).toEqual(["istio-system@shop/public"]);
    expect(clients["shop/other-host"]).toBeUndefined();
  });

  it("a delegate is used by the clients of its root", () => {
    const clients = clientsOf(
      service("web", "shop") +
        vs("root", "shop", "  hosts: [web]\n  http: [{match: [{uri: {prefix: /api}}], delegate: {name: api, namespace: shop}}]\n") +
        vs("api", "shop", "  http: [{route: [{destination: {host: web}}]}]\n"),
    );
    expect(clients["shop/api"]).toEqual(clients["shop/root"]);
    expect(clients["shop/api"]).toEqual(["shop@mesh"]);
  });
});

describe("DestinationRuleIndex.forClient with its host index", () => {
  const graph = graphOf(
    service("reviews", "default") +
      dr("exact", "default", "  host: reviews\n  subsets: [{name: v1, labels: {version: v1}}]\n") +
      dr("wide", "default", '  host: "*.default.svc.cluster.local"\n  subsets: [{name: w, labels: {version: w}}]\n') +
      dr("more", "default", "  host: reviews.default.svc.cluster.local\n  subsets: [{name: v2, labels: {version: v2}}, {name: v1, labels: {version: other}}]\n") +
      dr("root", "istio-system", '  host: "*.local"\n  subsets: [{name: r, labels: {version: r}}]\n'),
  );
  it("an exact host beats a wildcard; rules for the same host merge, first subset definition wins", () => {
    const rule = graph.destinationRules.forClient("default", "reviews.default.svc.cluster.local", "default")!;
    expect(rule.rules.map((r) => r.name)).toEqual(["exact", "more"]);
    expect([...rule.subsets.keys()]).toEqual(["v1", "v2"]);
    expect(rule.subsets.get("v1")!.labels).toEqual({ version: "v1" });
  });
  it("the longest wildcard when no exact host; the root namespace's rules last", () => {
    expect(graph.destinationRules.forClient("default", "ratings.default.svc.cluster.local", "default")!.rules.map((r) => r.name)).toEqual(["wide"]);
    const fromElsewhere = graph.destinationRules.forClient("other", "details.other.svc.cluster.local", "other")!;
    expect(fromElsewhere.scope).toBe("root");
    expect(fromElsewhere.rules.map((r) => r.name)).toEqual(["root"]);
  });
  it("clients with the same outcome share one merged rule", () => {
    const a = graph.destinationRules.forClient("a", "reviews.default.svc.cluster.local", "default");
    const b = graph.destinationRules.forClient("b", "reviews.default.svc.cluster.local", "default");
    expect(a).toBe(b);
    expect(a!.scope).toBe("service");
  });
});

/** The clients of each VirtualService one by one, scope by scope: what the groups must expand to, in the same order. */
function clientsOneByOne(graph: MeshGraph): Map<VirtualServiceInfo, VirtualServiceClient[]> {
  const clients = new Map<VirtualServiceInfo, VirtualServiceClient[]>();
  const add = (vs: VirtualServiceInfo, client: VirtualServiceClient) => {
    const list = clients.get(vs);
    if (!list) return clients.set(vs, [client]);
    const existing = list.find((c) => c.scope === client.scope && c.gateway === client.gateway);
    if (!existing) return list.push(client);
    const added = client.proxies.filter((proxy) => !existing.proxies.includes(proxy));
    if (added.length > 0) list[list.indexOf(existing)] = { ...existing, proxies: [...existing.proxies, ...added] };
  };
  const byScope = new Map<OutboundScope, Proxy[]>();
  for (const proxy of graph.proxies()) {
    if (proxy.kind !== "sidecar") continue;
    const scope = graph.outboundScope(proxy.namespace, proxy.sidecar);
    byScope.set(scope, [...(byScope.get(scope) ?? []), proxy]);
  }
  for (const [scope, proxies] of byScope) {
    const client = { scope, namespace: scope.namespace, gateway: "mesh", proxies };
    for (const vs of scope.usedVirtualServices()) add(vs, client);
  }
  for (const proxy of graph.proxies()) {
    if (proxy.kind !== "gateway") continue;
    const gatewayProxy = graph.gatewayProxy(proxy);
    for (const gateway of gatewayProxy.gateways()) {
      for (const vs of gatewayProxy.virtualServicesFor(gateway)) {
        if (gateway.servers.some((server) => serverHostsFor(server, vs).length > 0)) add(vs, { scope: gatewayProxy.scope, namespace: proxy.namespace, gateway: gateway.key, proxies: [proxy] });
      }
    }
  }
  for (const [root, rootClients] of [...clients]) {
    for (const route of root.routes) {
      if (!route.delegate) continue;
      const delegate = graph.virtualServices.find((vs) => vs.delegate && vs.namespace === route.delegate!.namespace && vs.name === route.delegate!.name);
      if (delegate) for (const client of rootClients) add(delegate, client);
    }
  }
  return clients;
}

const describeClient = (c: VirtualServiceClient) => `${c.namespace}${c.scope.sidecar ? `+${c.scope.sidecar.name}` : ""}@${c.gateway}[${c.proxies.map((p) => p.id).join(",")}]`;

describe("virtualServiceClients: scope groups expand to the clients scope by scope", () => {
  it("80 random meshes", () => {
    for (let seed = 0; seed < 80; seed++) {
      const graph = graphOf(randomMesh(seed));
      const expected = clientsOneByOne(graph);
      const actual = virtualServiceClients(graph);
      expect([...actual.keys()].map((vs) => vs.resource.key), `random mesh ${seed}`).toEqual([...expected.keys()].map((vs) => vs.resource.key));
      for (const [vs, clients] of expected) expect(actual.get(vs)!.map(describeClient), `random mesh ${seed}`).toEqual(clients.map(describeClient));
    }
  });

  it("groups scopes without a Sidecar that see the same VirtualServices; a Sidecar narrowing egress gets its own", () => {
    const sidecar = istio("Sidecar", "narrow", "c", '  egress:\n  - hosts: ["./*"]\n');
    const graph = graphOf(service("reviews", "a") + service("web", "c") + sleepClient("a") + sleepClient("b") + sleepClient("c") + sidecar +
      vs("reviews", "a", "  hosts: [reviews]\n  http: [{route: [{destination: {host: reviews}}]}]\n") +
      vs("web", "c", "  hosts: [web]\n  http: [{route: [{destination: {host: web}}]}]\n"));
    const users = virtualServiceUsers(graph);
    const groupsOf = (name: string) =>
      [...users].find(([v]) => v.name === name)![1].flatMap((segment) => segment.groups.map((group) => group.clients.map(describeClient).join(" ")));
    expect(groupsOf("reviews")).toEqual(["a@mesh[a/reviews-v1,a/sleep] b@mesh[b/sleep]"]);
    expect(groupsOf("web")).toEqual(["a@mesh[a/reviews-v1,a/sleep] b@mesh[b/sleep]", "c+narrow@mesh[c/web-v1,c/sleep]"]);
  });
});

describe("gatewayVirtualServices: the VirtualServices of a Gateway, from the index by gateway", () => {
  it("60 random meshes: as GatewayProxy.virtualServicesFor", () => {
    for (let seed = 0; seed < 60; seed++) {
      const graph = graphOf(randomMesh(seed));
      for (const proxy of graph.proxies()) {
        if (proxy.kind !== "gateway") continue;
        const gatewayProxy = graph.gatewayProxy(proxy);
        for (const gateway of graph.gateways) {
          expect(gatewayVirtualServices(graph, gateway.key, proxy.namespace), `random mesh ${seed}`).toEqual(gatewayProxy.virtualServicesFor(gateway));
        }
      }
    }
  });
});
