import { describe, expect, it } from "vitest";
import { lintJson, lintRule } from "../helpers.js";

const RULE = "duplicate-resource";

/** A VirtualService for reviews in namespace `ns` routing to `subset`; metadata.name on line 4, column 3. */
function virtualService(ns: string, subset: string, name = "reviews"): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: ${subset}}
`;
}

async function run(files: Record<string, string>, args?: string[]): Promise<string[]> {
  const { messages } = await lintRule(RULE, files, args);
  return messages.map((message) => `${message.line}:${message.column} ${message.message}`);
}

const replaces = (kind: string, name: string, other: string) =>
  `${kind} ${name} is defined more than once: this definition replaces the one at ${other} (kubectl apply keeps the last one applied, and mesh-lint analyzes only this one). Keep one of them; if they are meant for different clusters or environments, lint those separately.`;

describe(RULE, () => {
  const valid: [string, Record<string, string>][] = [
    ["same name in two namespaces", { "a.yaml": virtualService("a", "v1"), "b.yaml": virtualService("b", "v1") }],
    ["same name, different kinds", { "a.yaml": virtualService("a", "v1"), "b.yaml": virtualService("a", "v1").replace("kind: VirtualService", "kind: DestinationRule").replace(/spec:[\s\S]*/, "spec:\n  host: reviews\n") }],
    ["same kind and name in different API groups (Istio's and the Gateway API's Gateway)", {
      "a.yaml": "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: a}\nspec:\n  selector: {istio: ingressgateway}\n  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}]\n",
      "b.yaml": "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: a}\nspec:\n  gatewayClassName: istio\n  listeners: [{name: http, port: 80, protocol: HTTP}]\n",
    }],
  ];
  it.each(valid)("valid: %s", async (_, files) => {
    expect(await run(files)).toEqual([]);
  });

  const invalid: [string, Record<string, string>, string[], string[]?][] = [
    ["the same object in two files: reported at the last one", { "a.yaml": virtualService("shop", "v1"), "b.yaml": virtualService("shop", "v2") }, ["4:3 " + replaces("VirtualService", "shop/reviews", "a.yaml:4:3")]],
    ["in one file", { "a.yaml": virtualService("shop", "v1") + "---\n" + virtualService("shop", "v2") }, ["15:3 " + replaces("VirtualService", "shop/reviews", "a.yaml:4:3")]],
    ["other API versions of one kind are one object", { "a.yaml": virtualService("shop", "v1").replace("/v1\n", "/v1beta1\n"), "b.yaml": virtualService("shop", "v1") }, ["4:3 " + replaces("VirtualService", "shop/reviews", "a.yaml:4:3")]],
    ["a namespace left out is the default one", { "a.yaml": virtualService("default", "v1"), "b.yaml": virtualService("default", "v1").replace("  namespace: default\n", "") }, ["4:3 " + replaces("VirtualService", "default/reviews", "a.yaml:4:3")]],
    [
      "three definitions: the last replaces both",
      { "a.yaml": virtualService("shop", "v1"), "b.yaml": virtualService("shop", "v2"), "c.yaml": virtualService("shop", "v3") },
      ["4:3 " + replaces("VirtualService", "shop/reviews", "a.yaml:4:3"), "4:3 " + replaces("VirtualService", "shop/reviews", "b.yaml:4:3")],
    ],
    [
      "a linted definition replaces a context one, whatever the order",
      { "a.yaml": virtualService("shop", "v1"), "z.yaml": virtualService("shop", "v2") },
      ["4:3 " + replaces("VirtualService", "shop/reviews", "z.yaml:4:3")],
      ["--context", "z.yaml", "a.yaml"],
    ],
  ];
  it.each(invalid)("invalid: %s", async (_, files, expected, args) => {
    expect(await run(files, args)).toEqual(expected);
  });

  it("the analysis sees only the definition that wins", async () => {
    const service = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: shop}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: shop}
spec:
  host: reviews
  subsets: [{name: v1, labels: {version: v1}}]
`;
    // The earlier VirtualService's subset v2 is not defined, but it is replaced: only the later one (v1) is judged.
    const { results } = await lintJson(["."], { cwd: (await import("../helpers.js")).fixture({ "a.yaml": service, "b.yaml": virtualService("shop", "v2"), "c.yaml": virtualService("shop", "v1") }) });
    expect(results.flatMap((result) => result.messages).filter((message) => message.ruleId === "missing-subset")).toEqual([]);
  });
});
