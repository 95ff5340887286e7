import { describe, expect, it } from "vitest";
import { parseSource } from "../../src/load/parse.js";
import { buildModel } from "../../src/model/index.js";
import { DEFAULT_MESH } from "../../src/model/mesh.js";
import { resolveHost } from "../../src/model/hosts.js";
import { isNamespaced, kindInfo, splitApiVersion } from "../../src/model/kinds.js";
import { hasKeys, stringMap, toResource } from "../../src/model/resource.js";

describe("stringMap: labels and annotations as strings", () => {
  const cases: [string, unknown, Record<string, string>][] = [
    ["absent", undefined, {}],
    ["null", null, {}],
    ["a list", ["a"], {}],
    ["a string", "app=x", {}],
    ["strings", { app: "reviews", version: "v1" }, { app: "reviews", version: "v1" }],
    ["numbers and booleans written unquoted", { port: 9080, canary: true, app: "x" }, { port: "9080", canary: "true", app: "x" }],
    ["other values dropped", { app: "x", list: ["a"], map: { a: 1 }, none: null }, { app: "x" }],
    ["empty", {}, {}],
  ];
  it.each(cases)("%s", (_, value, expected) => {
    expect(stringMap(value)).toEqual(expected);
  });

  it("a mapping of strings is used as it is; any other value gives a copy", () => {
    const labels = { app: "reviews" };
    expect(stringMap(labels)).toBe(labels);
    const mixed = { app: "reviews", port: 80 };
    expect(stringMap(mixed)).not.toBe(mixed);
    expect(mixed).toEqual({ app: "reviews", port: 80 });
  });

  it("a `__proto__` key (an own key in parsed YAML) is dropped, as a copy drops it", () => {
    const parsed = JSON.parse('{"__proto__": "x", "app": "y"}') as Record<string, unknown>;
    const map = stringMap(parsed);
    expect(Object.keys(map)).toEqual(["app"]);
    expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
  });
});

describe("kinds", () => {
  it.each([
    ["v1", "", "v1"],
    ["apps/v1", "apps", "v1"],
    ["networking.istio.io/v1beta1", "networking.istio.io", "v1beta1"],
    ["a/b/v1", "a/b", "v1"],
    ["", "", ""],
  ])("splitApiVersion(%j)", (apiVersion, group, version) => {
    expect(splitApiVersion(apiVersion)).toEqual({ group, version });
    expect(splitApiVersion(apiVersion)).toBe(splitApiVersion(apiVersion));
  });

  it.each([
    ["networking.istio.io", "VirtualService", true, true],
    ["", "Service", true, true],
    ["", "Namespace", true, false],
    ["apps", "Deployment", true, true],
    ["apps", "Service", false, true],
    ["", "VirtualService", false, true],
    ["rbac.authorization.k8s.io", "ClusterRole", false, false],
    ["example.com", "Widget", false, true],
    ["", "apps/Deployment", false, true],
    ["networking.istio.io/x", "VirtualService", false, true],
  ])("kindInfo(%j, %j) modeled %s, namespaced %s", (group, kind, modeled, namespaced) => {
    expect(kindInfo(group, kind) !== undefined).toBe(modeled);
    expect(isNamespaced(group, kind)).toBe(namespaced);
  });

  it("toResource: namespace defaulting, key and modeled kind", () => {
    const service = toResource({ apiVersion: "v1", kind: "Service", metadata: { name: "a", labels: { app: "a" } } }, { defaultNamespace: "dev", origin: "lint" });
    expect([service.namespace, service.namespaceGiven, service.key, service.modeled, service.group, service.version]).toEqual(["dev", false, "Service dev/a", true, "", "v1"]);
    expect(service.annotations).toEqual({});
    const role = toResource({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "r", namespace: "x" } }, { defaultNamespace: "dev", origin: "lint" });
    expect([role.namespace, role.key, role.modeled]).toEqual(["", "ClusterRole r", false]);
  });
});

describe("resolveHost", () => {
  it.each([
    ["reviews", "default", undefined, "reviews.default.svc.cluster.local"],
    ["reviews", "prod", undefined, "reviews.prod.svc.cluster.local"],
    ["reviews", "prod", "example.org", "reviews.prod.svc.example.org"],
    ["reviews.prod", "default", undefined, "reviews.prod"],
    ["*.example.com", "default", undefined, "*.example.com"],
    ["*", "default", undefined, "*"],
    ["10.0.0.1", "default", undefined, "10.0.0.1"],
    ["::1", "default", undefined, "::1"],
    ["", "default", undefined, ""],
  ])("%j in %j (suffix %j)", (host, namespace, suffix, expected) => {
    expect(resolveHost(host, namespace, suffix)).toBe(expected);
    expect(resolveHost(host, namespace, suffix)).toBe(expected);
  });
});

describe("record helpers", () => {
  it("hasKeys is Object.keys(record).length > 0", () => {
    for (const record of [{}, { a: 1 }, Object.create({ inherited: 1 }), JSON.parse('{"__proto__": 1}')]) {
      expect(hasKeys(record)).toBe(Object.keys(record).length > 0);
    }
  });
});

describe("buildModel", () => {
  const modelOf = (yaml: string, install: "default" | "demo" | "none" = "default") =>
    buildModel([parseSource("mesh.yaml", yaml, "lint")], { defaultNamespace: "default", mesh: { ...DEFAULT_MESH, install } });

  it("indexes resources by kind, in input order, assumed ones last", () => {
    const model = modelOf("kind: Service\napiVersion: v1\nmetadata: {name: a}\n---\nkind: Pod\napiVersion: v1\nmetadata: {name: p}\n---\nkind: Service\napiVersion: v1\nmetadata: {name: b}\n");
    expect(model.resources.map((r) => r.key)).toEqual([
      "Service default/a",
      "Pod default/p",
      "Service default/b",
      "Service istio-system/istio-ingressgateway",
      "Deployment istio-system/istio-ingressgateway",
      "Service istio-system/istiod",
      "Deployment istio-system/istiod",
    ]);
    expect([...model.byKind.keys()]).toEqual(["Service", "Pod", "Deployment"]);
    expect(model.byKind.get("Service")!.map((r) => r.name)).toEqual(["a", "b", "istio-ingressgateway", "istiod"]);
  });

  it.each([
    ["no gateway: both assumed (demo), and istiod", "", ["istio-ingressgateway", "istio-egressgateway", "istiod"]],
    ["an ingress gateway pod template", "kind: Deployment\napiVersion: apps/v1\nmetadata: {name: gw}\nspec: {template: {metadata: {labels: {istio: ingressgateway}}}}\n", ["istio-egressgateway", "istiod"]],
    ["an egress gateway Service", "kind: Service\napiVersion: v1\nmetadata: {name: gw, labels: {istio: egressgateway}}\n", ["istio-ingressgateway", "istiod"]],
    ["a Deployment labelled (not its pods) is no gateway", "kind: Deployment\napiVersion: apps/v1\nmetadata: {name: gw, labels: {istio: ingressgateway}}\n", ["istio-ingressgateway", "istio-egressgateway", "istiod"]],
    ["a template of any kind counts", "kind: Rollout\napiVersion: argoproj.io/v1alpha1\nmetadata: {name: gw}\nspec: {template: {metadata: {labels: {istio: egressgateway}}}}\n", ["istio-ingressgateway", "istiod"]],
    ["a template that is not a mapping", "kind: Deployment\napiVersion: apps/v1\nmetadata: {name: gw}\nspec: {template: 3}\n", ["istio-ingressgateway", "istio-egressgateway", "istiod"]],
    ["istiod in the input (its pods labelled istio: pilot)", "kind: Deployment\napiVersion: apps/v1\nmetadata: {name: istiod, namespace: istio-system}\nspec: {template: {metadata: {labels: {app: istiod, istio: pilot}}}}\n", ["istio-ingressgateway", "istio-egressgateway"]],
  ])("assumed installation: %s", (_, yaml, assumed) => {
    const model = modelOf(yaml || "kind: ConfigMap\napiVersion: v1\nmetadata: {name: c}\n", "demo");
    const names = model.resources.filter((r) => r.origin === "assumed" && r.kind === "Service").map((r) => r.name);
    expect(names).toEqual(assumed);
  });

  const egressGateway = "kind: Gateway\napiVersion: networking.istio.io/v1\nmetadata: {name: egress}\nspec: {selector: {istio: egressgateway}}\n";
  const routeTo = (host: string, namespace = "default") =>
    `kind: VirtualService\napiVersion: networking.istio.io/v1\nmetadata: {name: r, namespace: ${namespace}}\nspec:\n  hosts: [a.example.com]\n  tls: [{route: [{destination: {host: ${host}}}]}]\n`;
  it.each([
    ["nothing refers to an egress gateway", "kind: ConfigMap\napiVersion: v1\nmetadata: {name: c}\n", ["istio-ingressgateway", "istiod"]],
    ["a Gateway selecting istio: egressgateway", egressGateway, ["istio-ingressgateway", "istio-egressgateway", "istiod"]],
    ["a route to istio-egressgateway.istio-system.svc.cluster.local", routeTo("istio-egressgateway.istio-system.svc.cluster.local"), ["istio-ingressgateway", "istio-egressgateway", "istiod"]],
    ["a route to the short name in the root namespace", routeTo("istio-egressgateway", "istio-system"), ["istio-ingressgateway", "istio-egressgateway", "istiod"]],
    ["the short name elsewhere is another service", routeTo("istio-egressgateway"), ["istio-ingressgateway", "istiod"]],
    [
      "a DestinationRule for it",
      "kind: DestinationRule\napiVersion: networking.istio.io/v1\nmetadata: {name: d}\nspec: {host: istio-egressgateway.istio-system.svc.cluster.local}\n",
      ["istio-ingressgateway", "istio-egressgateway", "istiod"],
    ],
    ["an egress gateway of the input", egressGateway + "---\nkind: Pod\napiVersion: v1\nmetadata: {name: gw, labels: {istio: egressgateway}}\n", ["istio-ingressgateway", "istiod"]],
  ])("assumed installation, default profile: %s", (_, yaml, assumed) => {
    const model = modelOf(yaml);
    expect(model.resources.filter((r) => r.origin === "assumed" && r.kind === "Service").map((r) => r.name)).toEqual(assumed);
  });

  it("the demo profile's ingress gateway also has the TCP port 31400 and the SNI port 15443", () => {
    const ports = (install: "default" | "demo") => {
      const model = modelOf("kind: ConfigMap\napiVersion: v1\nmetadata: {name: c}\n", install);
      const service = model.resources.find((r) => r.origin === "assumed" && r.name === "istio-ingressgateway" && r.kind === "Service")!;
      return (service.spec.ports as { port: number }[]).map((p) => p.port);
    };
    expect(ports("default")).toEqual([15021, 80, 443]);
    expect(ports("demo")).toEqual([15021, 80, 443, 31400, 15443]);
  });
});
