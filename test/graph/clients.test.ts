import { describe, expect, it } from "vitest";
import { virtualServiceClients } from "../../src/graph/clients.js";
import { destinationRule as dr, ingressGateway, virtualService as vs } from "../fixtures/manifests.js";
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
