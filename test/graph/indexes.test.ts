import { describe, expect, it } from "vitest";
import { SharedByIndex, sharedPath } from "../../src/graph/types.js";
import { sidecarFor, sidecarsByNamespace, type SidecarInfo } from "../../src/graph/sidecars.js";
import { LabelIndex, SelectorIndex, selects, sidecarInjection } from "../../src/graph/workloads.js";
import type { MeshGraph } from "../../src/graph/index.js";
import { istio, virtualService } from "../fixtures/manifests.js";
import { graphOf, service } from "./helpers.js";

/**
 * The indexes of the graph answer exactly what a scan with `selects` answers, in the same order:
 * each case compares the index with the scan.
 */

type Labels = Record<string, string>;
const item = (name: string, labels: Labels) => ({ name, labels });

const ITEMS = [
  item("a", { app: "reviews", version: "v1" }),
  item("b", { app: "reviews", version: "v2" }),
  item("c", { app: "ratings", version: "v1" }),
  item("d", { app: "reviews" }),
  item("e", {}),
  item("f", { version: "v1", tier: "db" }),
  item("g", { app: "1" }),
];

describe("LabelIndex: the items a selector selects", () => {
  const selectors: [string, Record<string, unknown> | undefined][] = [
    ["absent selector: all", undefined],
    ["empty selector: all", {}],
    ["one key", { app: "reviews" }],
    ["two keys", { app: "reviews", version: "v1" }],
    ["first key absent from some items", { version: "v1" }],
    ["no item has the value", { app: "details" }],
    ["no item has the key", { zone: "a" }],
    ["second key narrows to none", { app: "reviews", version: "v9" }],
    ["a number never equals a label (labels are strings)", { app: 1 }],
    ["null value", { app: null }],
    ["inherited property name", { constructor: "x" }],
  ];
  it.each(selectors)("%s", (_, selector) => {
    const index = new LabelIndex(ITEMS);
    const scan = ITEMS.filter((i) => selects(selector as Labels, i.labels)).map((i) => i.name);
    expect(index.selected(selector as Labels).map((i) => i.name)).toEqual(scan);
    // asked again (the per-key index is built once)
    expect(index.selected(selector as Labels).map((i) => i.name)).toEqual(scan);
  });

  it("returns a new array each time (callers may change it)", () => {
    const index = new LabelIndex(ITEMS);
    const first = index.selected({ app: "reviews" });
    first.pop();
    expect(index.selected({ app: "reviews" })).toHaveLength(3);
    expect(index.selected(undefined)).not.toBe(index.selected(undefined));
  });
});

describe("SelectorIndex: the items whose selector selects some labels", () => {
  const selectors = [
    item("s-app", { app: "reviews" }),
    item("s-app-v1", { app: "reviews", version: "v1" }),
    item("s-version", { version: "v1" }),
    item("s-none", undefined as unknown as Labels),
    item("s-empty", {}),
    item("s-ratings", { app: "ratings" }),
    item("s-number", { app: 1 } as unknown as Labels),
    item("s-tier", { tier: "db", version: "v1" }),
  ].map(({ name, labels }) => ({ name, selector: labels as Labels | undefined }));
  const labelSets: [string, Labels][] = [
    ["matches several first keys (merged in list order)", { app: "reviews", version: "v1" }],
    ["one first key", { app: "ratings" }],
    ["no labels: only selectors that select everything", {}],
    ["a value no selector has", { app: "details", version: "v2" }],
    ["string of a number selector value", { app: "1" }],
    ["other keys", { tier: "db", version: "v1" }],
  ];
  it.each(labelSets)("%s", (_, labels) => {
    const index = new SelectorIndex(selectors, (s) => s.selector);
    const scan = selectors.filter((s) => selects(s.selector, labels)).map((s) => s.name);
    expect(index.selecting(labels).map((s) => s.name)).toEqual(scan);
  });
});

const selectingService = (name: string, selector: string, port: number) => `---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: prod}
spec:
  selector: ${selector}
  ports: [{name: http, port: ${port}}]
`;
const httpGateway = (name: string, selector: string) =>
  istio("Gateway", name, "prod", `  selector: ${selector}\n  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]\n`);

/** A mesh with workloads and services in two namespaces, WorkloadEntries, gateways and Sidecars. */
const MESH =
  service("reviews", "prod") +
  service("ratings", "prod") +
  service("reviews", "test") +
  selectingService("all-reviews", "{app: reviews}", 80) +
  selectingService("by-version", "{version: v1}", 81) +
  `---
apiVersion: v1
kind: Service
metadata: {name: external, namespace: prod}
spec: {type: ExternalName, externalName: example.com}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm-reviews, namespace: prod}
spec: {address: 10.0.0.9, labels: {app: reviews, version: v1}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ingress, namespace: istio-system}
spec:
  template:
    metadata: {labels: {istio: ingressgateway, app: istio-ingressgateway}}
    spec: {containers: [{name: istio-proxy, image: auto}]}
` +
  istio(
    "ServiceEntry",
    "vm",
    "prod",
    "  hosts: [vm.example.com]\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  workloadSelector: {labels: {app: reviews}}\n",
  ) +
  httpGateway("gw", "{istio: ingressgateway}") +
  httpGateway("nothing", "{istio: none}") +
  istio("Sidecar", "reviews-only", "prod", '  workloadSelector: {labels: {app: reviews}}\n  egress: [{hosts: ["./*"]}]\n') +
  istio("Sidecar", "default", "prod", '  egress: [{hosts: ["./*"]}]\n') +
  istio("Sidecar", "default", "istio-system", '  egress: [{hosts: ["*/*"]}]\n');

describe("MeshGraph look-ups through indexes: the same answers as scans", () => {
  const graph: MeshGraph = graphOf(MESH);

  it("workloadsOf: a Service's pods in its namespace; a ServiceEntry's also WorkloadEntries", () => {
    for (const svc of graph.services.services) {
      const scan = svc.selector
        ? graph.workloadsIn(svc.namespace).filter(
            (w) => selects(svc.selector, w.labels) && (svc.origin === "ServiceEntry" || w.kind !== "WorkloadEntry"),
          )
        : [];
      expect(graph.workloadsOf(svc), svc.hostname).toEqual(scan);
    }
    const vm = graph.services.exact("vm.example.com")[0];
    expect(graph.workloadsOf(vm).map((w) => w.name)).toContain("vm-reviews");
    expect(graph.workloadsOf(graph.services.exact("all-reviews.prod.svc.cluster.local")[0]).map((w) => w.name)).not.toContain("vm-reviews");
  });

  it("servicesOf: the Services and ServiceEntries of the workload's namespace that select it", () => {
    for (const workload of graph.workloads) {
      const scan = graph.services.services.filter((s) => s.selector && s.namespace === workload.namespace && selects(s.selector, workload.labels));
      expect(graph.servicesOf(workload), `${workload.namespace}/${workload.name}`).toEqual(scan);
    }
    const reviews = graph.workloads.find((w) => w.namespace === "prod" && w.name === "reviews-v1")!;
    expect(graph.servicesOf(reviews).map((s) => s.name)).toEqual(["reviews", "all-reviews", "by-version", "vm"]);
  });

  it("gatewayWorkloads and selectedWorkloads: any namespace, or one", () => {
    for (const gateway of graph.gateways) {
      const scan = Object.keys(gateway.selector).length === 0 ? [] : graph.workloads.filter((w) => selects(gateway.selector, w.labels));
      expect(graph.gatewayWorkloads(gateway)).toEqual(scan);
    }
    expect(graph.gatewayWorkloads(graph.gateway("prod/gw")!).map((w) => w.name)).toEqual(["ingress"]);
    for (const [selector, namespace] of [
      [{ app: "reviews" }, undefined],
      [{ app: "reviews" }, "prod"],
      [{ version: "v1" }, "test"],
      [{}, "prod"],
      [undefined, undefined],
      [{ app: "reviews" }, "nowhere"],
    ] as [Labels | undefined, string | undefined][]) {
      const candidates = namespace === undefined ? graph.workloads : graph.workloadsIn(namespace);
      expect(graph.selectedWorkloads(selector, namespace)).toEqual(candidates.filter((w) => selects(selector, w.labels)));
    }
  });

  it("sidecarOf and sidecarFor over the list or by namespace: selected, else the namespace's default, else the root's", () => {
    const byNamespace = sidecarsByNamespace(graph.sidecars);
    const probes: { namespace: string; labels: Labels }[] = [...graph.workloads, { namespace: "test", labels: {} }, { namespace: "elsewhere", labels: { app: "reviews" } }];
    for (const workload of probes) {
      const expected = sidecarFromList(graph.sidecars, workload, "istio-system");
      expect(sidecarFor(byNamespace, workload, "istio-system")).toBe(expected);
      expect(graph.sidecarOf(workload)).toBe(expected);
    }
    const name = (namespace: string, labels: Labels) => {
      const sidecar = graph.sidecarOf({ namespace, labels });
      return sidecar && `${sidecar.namespace}/${sidecar.name}`;
    };
    expect(name("prod", { app: "reviews" })).toBe("prod/reviews-only");
    expect(name("prod", { app: "ratings" })).toBe("prod/default");
    expect(name("test", {})).toBe("istio-system/default");
  });

  it("proxy: the first proxy with the id", () => {
    for (const proxy of graph.proxies()) expect(graph.proxy(proxy.id)).toBe(graph.proxies().find((p) => p.id === proxy.id));
    expect(graph.proxy("prod/none")).toBeUndefined();
  });
});

describe("sidecar injection shared between the workloads of a namespace", () => {
  // Quoted: the API server (YAML 1.1) reads a plain on / off as a boolean.
  const yaml = `apiVersion: v1
kind: Namespace
metadata: {name: "on", labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: "off"}
${["on", "off"]
  .flatMap((ns) =>
    [
      ["plain", ""],
      ["label-false", `, labels: {sidecar.istio.io/inject: "false"}`],
      ["label-true", `, labels: {sidecar.istio.io/inject: "true"}`],
      ["annotation-false", `, annotations: {sidecar.istio.io/inject: "false"}`],
    ].map(
      ([name, meta]) => `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: "${ns}"}
spec:
  template:
    metadata: {name: x${meta}}
    spec: {containers: [{name: app, image: app}]}
`,
    ),
  )
  .join("")}`;
  const graph = graphOf(yaml, { install: "none" });

  it("is what sidecarInjection answers for each workload", () => {
    for (const workload of graph.workloads) {
      expect(workload.sidecar, `${workload.namespace}/${workload.name}`).toEqual(
        sidecarInjection(workload.labels, workload.annotations, graph.namespaces.get(workload.namespace)),
      );
    }
    const injected = graph.workloads.map((w) => `${w.namespace}/${w.name}:${w.sidecar.injected}`);
    expect(injected).toEqual([
      "on/plain:true",
      "on/label-false:false",
      "on/label-true:true",
      "on/annotation-false:false",
      "off/plain:false",
      "off/label-false:false",
      "off/label-true:true",
      "off/annotation-false:false",
    ]);
  });
});

describe("shared provenance paths", () => {
  it("one frozen array per node path, the same for every resource", () => {
    const graph = graphOf(
      service("reviews", "prod") +
        service("ratings", "prod") +
        virtualService("a", "prod", "  hosts: [reviews]\n  http: [{route: [{destination: {host: reviews}}, {destination: {host: ratings}}]}]\n") +
        virtualService("b", "prod", "  hosts: [ratings]\n  http: [{route: [{destination: {host: ratings}}]}]\n"),
    );
    const [a, b] = graph.virtualServices;
    expect(a.hosts[0].provenance.path).toEqual(["spec", "hosts", 0]);
    expect(a.hosts[0].provenance.path).toBe(b.hosts[0].provenance.path);
    expect(a.routes[0].destinations[1].provenance.path).toEqual(["spec", "http", 0, "route", 1, "destination"]);
    expect(a.routes[0].destinations[0].provenance.path).toBe(b.routes[0].destinations[0].provenance.path);
    expect(Object.isFrozen(a.routes[0].provenance.path)).toBe(true);
    const ports = graph.services.services.map((s) => s.ports[0].provenance.path);
    expect(ports[0]).toBe(ports[1]);
  });

  it("SharedByIndex makes each value once", () => {
    let made = 0;
    const paths = new SharedByIndex((index) => {
      made++;
      return sharedPath("spec", "x", index);
    });
    expect(paths.at(2)).toEqual(["spec", "x", 2]);
    expect(paths.at(2)).toBe(paths.at(2));
    expect(paths.at(0)).toEqual(["spec", "x", 0]);
    expect(made).toBe(2);
  });
});

/** Istio's Sidecar precedence read straight off the list of Sidecars (in Istio's order): the reference for the index. */
function sidecarFromList(sidecars: readonly SidecarInfo[], workload: { namespace: string; labels: Labels }, rootNamespace: string): SidecarInfo | undefined {
  const inNamespace = (namespace: string) => sidecars.filter((sidecar) => sidecar.namespace === namespace);
  const local = inNamespace(workload.namespace);
  return (
    local.find((sidecar) => sidecar.workloadSelector && selects(sidecar.workloadSelector, workload.labels)) ??
    local.find((sidecar) => !sidecar.workloadSelector) ??
    inNamespace(rootNamespace).find((sidecar) => !sidecar.workloadSelector)
  );
}
