import { describe, expect, it } from "vitest";
import { documents as doc } from "../fixtures/manifests.js";
import { lintRule } from "../helpers.js";
import { distinct } from "../../src/rules/sidecar-selector.js";

const RULE = "sidecar-selector";

async function findings(yaml: string): Promise<string[]> {
  const { messages, stderr } = await lintRule(RULE, yaml);
  expect(stderr).toBe("");
  return messages.map((message) => `${message.line}:${message.column} ${message.istioCode} ${message.resource?.namespace}/${message.resource?.name}: ${message.message}`);
}

function deployment(name: string, namespace: string, labels: Record<string, string>, extra = ""): string {
  const labelLines = Object.entries(labels)
    .map(([k, v]) => `        ${k}: "${v}"`)
    .join("\n");
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  selector:
    matchLabels:
      app: ${labels.app ?? name}
  template:
    metadata:
${extra}      labels:
${labelLines}
    spec:
      containers:
      - name: app
        image: app:1.0
`;
}

function sidecar(name: string, namespace: string, labels?: Record<string, string>): string {
  const selector = labels
    ? `  workloadSelector:\n    labels:\n${Object.entries(labels)
        .map(([k, v]) => `      ${k}: "${v}"`)
        .join("\n")}\n`
    : "";
  return `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
${selector}  egress:
  - hosts: ["./*"]
`;
}

describe("sidecar-selector: valid", () => {
  it.each([
    ["a Sidecar selecting a Deployment's pods", doc(deployment("reviews", "bookinfo", { app: "reviews" }), sidecar("reviews", "bookinfo", { app: "reviews" }))],
    ["one namespace default per namespace", doc(sidecar("default", "a"), sidecar("default", "b"))],
    [
      "a namespace default and a selector Sidecar in one namespace",
      doc(deployment("reviews", "bookinfo", { app: "reviews" }), sidecar("default", "bookinfo"), sidecar("reviews", "bookinfo", { app: "reviews" })),
    ],
    [
      "Sidecars selecting different workloads",
      doc(
        deployment("reviews", "bookinfo", { app: "reviews" }),
        deployment("ratings", "bookinfo", { app: "ratings" }),
        sidecar("reviews", "bookinfo", { app: "reviews" }),
        sidecar("ratings", "bookinfo", { app: "ratings" }),
      ),
    ],
    [
      "a Sidecar selecting a WorkloadEntry",
      doc(
        `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: vm-1
  namespace: vms
spec:
  address: 10.0.0.7
  labels:
    app: legacy
`,
        sidecar("legacy", "vms", { app: "legacy" }),
      ),
    ],
    [
      "an ambient-labelled namespace that also has istio-injection=enabled (sidecar mode wins)",
      doc(
        `apiVersion: v1
kind: Namespace
metadata:
  name: mixed
  labels:
    istio.io/dataplane-mode: ambient
    istio-injection: enabled
`,
        sidecar("default", "mixed"),
      ),
    ],
  ])("%s", async (_, yaml) => {
    expect(await findings(yaml)).toEqual([]);
  });
});

describe("sidecar-selector: invalid", () => {
  it("a selector matching only a workload of another namespace names it", async () => {
    const got = await findings(doc(deployment("reviews", "bookinfo", { app: "reviews" }), sidecar("reviews", "other", { app: "reviews" })));
    expect(got).toEqual([
      '27:7 IST0101 other/reviews: No workload in namespace other matches workloadSelector app=reviews: this Sidecar configures no proxy. Deployment reviews in namespace bookinfo matches, but a Sidecar only selects workloads of its own namespace.',
    ]);
  });

  it("points at the label no workload has", async () => {
    const got = await findings(
      doc(deployment("reviews", "bookinfo", { app: "reviews", version: "v1" }), sidecar("reviews", "bookinfo", { app: "reviews", version: "v3" })),
    );
    expect(got).toEqual([
      '29:7 IST0101 bookinfo/reviews: No workload in namespace bookinfo matches workloadSelector app=reviews,version=v3: this Sidecar configures no proxy. Did you mean "version: v1"?',
    ]);
  });

  it("a selector value the API server rejects (a list) matches no workload, and the suggestion still works", async () => {
    const got = await findings(
      doc(deployment("reviews", "bookinfo", { app: "reviews" }), sidecar("reviews", "bookinfo", { app: "reviews" }).replace('app: "reviews"', "app: [reviews]")),
    );
    expect(got).toEqual([
      '27:7 IST0101 bookinfo/reviews: No workload in namespace bookinfo matches workloadSelector app=["reviews"]: this Sidecar configures no proxy.',
    ]);
  });

  it("reports a Sidecar once per set of competitors, naming all shared workloads", async () => {
    const got = await findings(
      doc(
        deployment("reviews-v1", "bookinfo", { app: "reviews", version: "v1" }),
        deployment("reviews-v2", "bookinfo", { app: "reviews", version: "v2" }),
        sidecar("a", "bookinfo", { app: "reviews" }),
        sidecar("b", "bookinfo", { app: "reviews" }),
      ),
    );
    expect(got.map((line) => line.split(": ")[0])).toEqual(["46:5 IST0110 bookinfo/a", "58:5 IST0110 bookinfo/b"]);
    expect(got[0]).toContain('Sidecars "a", "b" in namespace bookinfo all select Deployment reviews-v1, Deployment reviews-v2');
  });

  it("reports IST0167 instead of IST0110 for workloads in ambient mode", async () => {
    const got = await findings(
      doc(
        `apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    istio.io/dataplane-mode: ambient
`,
        deployment("cart", "shop", { app: "cart" }),
        sidecar("a", "shop", { app: "cart" }),
        sidecar("b", "shop", { app: "cart" }),
      ),
    );
    expect(got).toEqual([
      "33:5 IST0167 shop/a: This Sidecar has no effect on Deployment cart: workloads in ambient mode have no sidecar proxy to configure.",
      "45:5 IST0167 shop/b: This Sidecar has no effect on Deployment cart: workloads in ambient mode have no sidecar proxy to configure.",
    ]);
  });

  it("a pod that opts out of ambient mode keeps its Sidecars", async () => {
    const got = await findings(
      doc(
        `apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    istio.io/dataplane-mode: ambient
`,
        deployment("cart", "shop", { app: "cart", "sidecar.istio.io/inject": "true" }),
        sidecar("a", "shop", { app: "cart" }),
        sidecar("b", "shop", { app: "cart" }),
      ),
    );
    expect(got.map((line) => line.split(": ")[0])).toEqual(["34:5 IST0110 shop/a", "46:5 IST0110 shop/b"]);
  });

  it("the CNI's ambient annotation on a Pod makes its Sidecar ineffective", async () => {
    const got = await findings(
      doc(
        `apiVersion: v1
kind: Pod
metadata:
  name: cart-0
  namespace: shop
  labels:
    app: cart
  annotations:
    ambient.istio.io/redirection: enabled
spec:
  containers:
  - name: cart
    image: cart:1.0
`,
        sidecar("cart", "shop", { app: "cart" }),
      ),
    );
    expect(got).toEqual([
      "22:5 IST0167 shop/cart: This Sidecar has no effect on Pod cart-0: workloads in ambient mode have no sidecar proxy to configure.",
    ]);
  });

  it("several namespace defaults in the root namespace", async () => {
    const got = await findings(doc(sidecar("one", "istio-system"), sidecar("two", "istio-system")));
    expect(got.map((line) => line.split(": ")[0])).toEqual(["4:3 IST0111 istio-system/one", "13:3 IST0111 istio-system/two"]);
  });
});

describe("sidecar-selector: one object given twice", () => {
  it("does not conflict with itself", async () => {
    const twice = doc(deployment("reviews", "bookinfo", { app: "reviews" }), sidecar("reviews", "bookinfo", { app: "reviews" }), sidecar("reviews", "bookinfo", { app: "reviews" }), sidecar("default", "bookinfo"), sidecar("default", "bookinfo"));
    expect(await findings(twice)).toEqual([]);
  });
});

describe("distinct: the first item of each key, in order (the same as filtering with a set of seen keys)", () => {
  const plain = (items: readonly string[]) => items.filter((item, i) => items.findIndex((other) => other[0] === item[0]) === i);
  it.each([
    [[]],
    [["a1"]],
    [["a1", "a2"]],
    [["a1", "b1", "a2", "c1", "b2"]],
    [["a1", "b1", "c1", "d1", "e1", "f1", "g1", "h1"]],
    [["a1", "b1", "c1", "d1", "e1", "f1", "g1", "a2"]],
    [["a1", "b1", "c1", "d1", "e1", "f1", "g1", "h1", "a2", "i1", "h2"]],
    [Array.from({ length: 40 }, (_, i) => `${"abcdefghij"[i % 10]}${i}`)],
  ])("%j", (items) => {
    const found = distinct(items, (item) => item[0]);
    expect(found).toEqual(plain(items));
    expect(found).not.toBe(items);
  });
});
