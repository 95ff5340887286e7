import { describe, expect, it } from "vitest";
import { documents as doc } from "../fixtures/manifests.js";
import { lintRule } from "../helpers.js";

const RULE = "policy-selector";

async function findings(yaml: string, meshConfig?: string): Promise<string[]> {
  const files: Record<string, string> = { "input.yaml": yaml };
  const args = ["input.yaml"];
  if (meshConfig) {
    files["mesh.yaml"] = meshConfig;
    args.unshift("--mesh-config", "mesh.yaml");
  }
  const { messages, stderr } = await lintRule(RULE, files, args);
  expect(stderr).toBe("");
  return messages.map((message) => `${message.line}:${message.column} ${message.istioCode} ${message.resource?.kind} ${message.resource?.namespace}/${message.resource?.name}: ${message.message}`);
}

function namespace(name: string, labels: Record<string, string> = { "istio-injection": "enabled" }): string {
  const lines = Object.entries(labels)
    .map(([k, v]) => `    ${k}: ${v}`)
    .join("\n");
  return `apiVersion: v1
kind: Namespace
metadata:
  name: ${name}
${lines ? `  labels:\n${lines}\n` : ""}`;
}

function deployment(name: string, ns: string, labels: Record<string, string> = { app: name }): string {
  const lines = Object.entries(labels)
    .map(([k, v]) => `        ${k}: "${v}"`)
    .join("\n");
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
${lines}
    spec:
      containers:
      - name: app
        image: app:1.0
`;
}

function policy(kind: string, name: string, ns: string, selector?: Record<string, string>, rest = ""): string {
  const group = kind === "Telemetry" ? "telemetry.istio.io" : kind === "WasmPlugin" ? "extensions.istio.io" : "security.istio.io";
  const version = kind === "WasmPlugin" ? "v1alpha1" : "v1";
  const sel = selector
    ? `  selector:\n    matchLabels:\n${Object.entries(selector)
        .map(([k, v]) => `      ${k}: "${v}"`)
        .join("\n")}\n`
    : "";
  const body = sel + rest;
  return `apiVersion: ${group}/${version}
kind: ${kind}
metadata:
  name: ${name}
  namespace: ${ns}
spec:${body ? `\n${body}` : " {}\n"}`;
}

describe("policy-selector: valid", () => {
  it.each([
    ["a mesh-wide AuthorizationPolicy without selector", doc(policy("AuthorizationPolicy", "deny-all", "istio-system"))],
    [
      "a namespace-wide AuthorizationPolicy in a namespace with a sidecar workload",
      doc(namespace("shop"), deployment("cart", "shop"), policy("AuthorizationPolicy", "allow-nothing", "shop")),
    ],
    [
      "a root-namespace selector matching a workload of another namespace",
      doc(namespace("shop"), deployment("cart", "shop"), policy("PeerAuthentication", "cart-strict", "istio-system", { app: "cart" }, "  mtls:\n    mode: STRICT\n")),
    ],
    [
      "a selector matching an ambient workload",
      doc(namespace("shop", { "istio.io/dataplane-mode": "ambient" }), deployment("cart", "shop"), policy("AuthorizationPolicy", "cart", "shop", { app: "cart" })),
    ],
    [
      "a selector matching a WorkloadEntry",
      doc(
        `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: vm
  namespace: vms
spec:
  address: 10.0.0.9
  labels:
    app: legacy
`,
        policy("RequestAuthentication", "jwt", "vms", { app: "legacy" }, "  jwtRules:\n  - issuer: https://issuer.example.com\n"),
      ),
    ],
    [
      "a policy attached with targetRefs",
      doc(
        policy(
          "AuthorizationPolicy",
          "waypoint",
          "shop",
          undefined,
          "  targetRefs:\n  - kind: Gateway\n    group: gateway.networking.k8s.io\n    name: waypoint\n",
        ),
      ),
    ],
    [
      "source namespaces that exist, as patterns",
      doc(
        namespace("shop"),
        namespace("prod-payments"),
        deployment("cart", "shop"),
        policy(
          "AuthorizationPolicy",
          "cart",
          "shop",
          { app: "cart" },
          '  rules:\n  - from:\n    - source:\n        namespaces: ["prod-*", "*-payments", "*", "shop"]\n        notNamespaces: ["istio-system"]\n',
        ),
      ),
    ],
    [
      "a namespace-wide PeerAuthentication in an empty namespace (harmless default)",
      doc(policy("PeerAuthentication", "default", "empty", undefined, "  mtls:\n    mode: STRICT\n")),
    ],
    [
      "one Telemetry default per namespace, and a Telemetry per workload",
      doc(
        deployment("cart", "shop"),
        policy("Telemetry", "default", "shop", undefined, "  tracing:\n  - randomSamplingPercentage: 10\n"),
        policy("Telemetry", "cart", "shop", { app: "cart" }, "  tracing:\n  - randomSamplingPercentage: 100\n"),
      ),
    ],
  ])("%s", async (_, yaml) => {
    expect(await findings(yaml)).toEqual([]);
  });
});

describe("policy-selector: invalid", () => {
  it("a mesh-wide selector that matches no workload anywhere", async () => {
    expect(await findings(doc(deployment("cart", "shop"), policy("AuthorizationPolicy", "v9", "istio-system", { version: "v9" })))).toEqual([
      "27:7 IST0127 AuthorizationPolicy istio-system/v9: No workload in the mesh matches selector version=v9: this AuthorizationPolicy applies to no proxy.",
    ]);
  });

  it("the root namespace comes from MeshConfig", async () => {
    const got = await findings(
      doc(deployment("cart", "shop"), policy("AuthorizationPolicy", "cart", "mesh-root", { app: "cart" }), policy("AuthorizationPolicy", "cart", "istio-system", { app: "cart" })),
      "rootNamespace: mesh-root\n",
    );
    expect(got).toEqual([
      "37:7 IST0127 AuthorizationPolicy istio-system/cart: No workload in namespace istio-system matches selector app=cart: this AuthorizationPolicy applies to no proxy. Deployment cart in namespace shop matches, but outside the root namespace (mesh-root) a policy only selects workloads of its own namespace.",
    ]);
  });

  it("a namespace-wide AuthorizationPolicy in a namespace without workloads", async () => {
    expect(await findings(policy("AuthorizationPolicy", "deny", "empty", undefined, "  action: DENY\n  rules:\n  - {}\n"))).toEqual([
      "4:3 IST0127 AuthorizationPolicy empty/deny: Namespace empty has no workload with an Istio proxy: this namespace-wide AuthorizationPolicy applies to no proxy.",
    ]);
  });

  it("a WasmPlugin selecting a workload that opted out of injection", async () => {
    const got = await findings(
      doc(
        namespace("shop"),
        deployment("cart", "shop", { app: "cart", "sidecar.istio.io/inject": "false" }),
        policy("WasmPlugin", "headers", "shop", { app: "cart" }, "  url: oci://registry.example.com/headers:1.0\n"),
      ),
    );
    expect(got).toEqual([
      "34:5 IST0127 WasmPlugin shop/headers: Selector app=cart matches only workloads without an Istio proxy (Deployment cart: pod label sidecar.istio.io/inject=false): this WasmPlugin is not enforced on them.",
    ]);
  });

  it("unknown source namespaces, with a suggestion", async () => {
    const got = await findings(
      doc(
        namespace("checkout"),
        deployment("cart", "checkout"),
        policy(
          "AuthorizationPolicy",
          "cart",
          "checkout",
          { app: "cart" },
          '  rules:\n  - from:\n    - source:\n        namespaces: ["chekout"]\n    - source:\n        notNamespaces: ["bogus-*"]\n',
        ),
      ),
    );
    expect(got).toEqual([
      '38:22 IST0101 AuthorizationPolicy checkout/cart: No namespace matches namespaces entry "chekout": this source matches no request from it. Did you mean "checkout"?',
      '40:25 IST0101 AuthorizationPolicy checkout/cart: No namespace matches notNamespaces entry "bogus-*": this exclusion excludes nothing.',
    ]);
  });

  it("Telemetries competing for a workload, and two Telemetry defaults", async () => {
    const got = await findings(
      doc(
        deployment("cart", "shop"),
        policy("Telemetry", "a", "shop", { app: "cart" }),
        policy("Telemetry", "b", "shop", { app: "cart" }),
        policy("Telemetry", "one", "shop"),
        policy("Telemetry", "two", "shop"),
      ),
    );
    expect(got.map((line) => line.split(": ")[0])).toEqual([
      "26:5 IST0159 Telemetry shop/a",
      "36:5 IST0159 Telemetry shop/b",
      "42:3 IST0160 Telemetry shop/one",
      "49:3 IST0160 Telemetry shop/two",
    ]);
    expect(got[0]).toContain('Telemetries "a", "b" in namespace shop all select Deployment cart');
  });
});

describe("policy-selector: one object given twice", () => {
  it("a Telemetry does not conflict with itself", async () => {
    const telemetry = policy("Telemetry", "cart", "shop", { app: "cart" });
    const defaults = policy("Telemetry", "default", "shop");
    expect(await findings(doc(deployment("cart", "shop"), telemetry, telemetry, defaults, defaults))).toEqual([]);
  });
});
