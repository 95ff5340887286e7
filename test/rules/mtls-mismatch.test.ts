import { describe, expect, it } from "vitest";
import { lineOf, lintRule } from "../helpers.js";

const RULE = "mtls-mismatch";

interface Options {
  config?: string;
  args?: string[];
  files?: Record<string, string>;
}

/** Runs the rule on one manifest; each message as `line:column messageId`, and the texts. */
async function run(yaml: string, options: Options = {}): Promise<{ ids: string[]; texts: string[] }> {
  const files: Record<string, string> = { "input.yaml": yaml };
  if (options.config) files[".mesh-lint.yaml"] = options.config;
  Object.assign(files, options.files ?? {});
  const { messages, stderr } = await lintRule(RULE, files, [...(options.args ?? []), "input.yaml"]);
  expect(stderr).toBe("");
  return {
    ids: messages.map((message) => `${message.line}:${message.column} ${message.messageId}`),
    texts: messages.map((message) => message.message),
  };
}

/** A Service with one Deployment; `inject: false` opts the pods out of the sidecar. */
function app(name: string, namespace: string, options: { port?: number; targetPort?: number; version?: string; inject?: boolean } = {}): string {
  const port = options.port ?? 8080;
  const target = options.targetPort ?? port;
  const version = options.version ?? "v1";
  const injectLabel = options.inject === false ? `, sidecar.istio.io/inject: "false"` : "";
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  selector: {app: ${name}}
  ports: [{name: http, port: ${port}, targetPort: ${target}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}-${version}, namespace: ${namespace}}
spec:
  selector: {matchLabels: {app: ${name}, version: ${version}}}
  template:
    metadata: {labels: {app: ${name}, version: ${version}${injectLabel}}}
    spec:
      containers: [{name: app, image: example/${name}, ports: [{containerPort: ${target}}]}]
---
`;
}

function client(name: string, namespace: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers: [{name: app, image: example/${name}}]
---
`;
}

function pa(name: string, namespace: string, body: string): string {
  return `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: ${name}, namespace: ${namespace}}
spec:
${body}---
`;
}

function dr(name: string, namespace: string, body: string): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}, namespace: ${namespace}}
spec:
${body}---
`;
}

const STRICT_NS = pa("default", "prod", "  mtls: {mode: STRICT}\n");
const DISABLE_DR = dr("reviews", "prod", "  host: reviews\n  trafficPolicy:\n    tls: {mode: DISABLE}\n");
/** A VirtualService in prod sending all requests for reviews to its subset v1. */
const ROUTE_TO_V1 = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: prod}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
`;
const MUTUAL_DR = dr("reviews", "prod", "  host: reviews\n  trafficPolicy:\n    tls: {mode: ISTIO_MUTUAL}\n");
/** A Gateway for the default ingress gateway and a VirtualService sending the traffic for `host` to `service` in prod. */
const ingressTo = (service: string, host: string) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: prod}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [${host}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ingress, namespace: prod}
spec:
  hosts: [${host}]
  gateways: [gw]
  http:
  - route:
    - destination: {host: ${service}}
---
`;
const INGRESS_TO_LEGACY = ingressTo("legacy", "legacy.example.com");

describe(RULE, () => {
  const valid: [string, string, Options?][] = [
    ["DISABLE to a PERMISSIVE server (no policy)", app("reviews", "prod") + DISABLE_DR],
    ["ISTIO_MUTUAL to sidecars without any PeerAuthentication", app("reviews", "prod") + MUTUAL_DR],
    ["auto mTLS to a STRICT namespace", app("reviews", "prod") + client("web", "front") + STRICT_NS],
    ["auto mTLS to a workload without sidecar in a STRICT namespace (plaintext, accepted)", app("reviews", "prod", { inject: false }) + client("web", "front") + STRICT_NS],
    [
      "auto mTLS to a workload whose port is DISABLE (endpoint marked plaintext)",
      app("reviews", "prod") + client("web", "front") + STRICT_NS + pa("w", "prod", "  selector: {matchLabels: {app: reviews}}\n  mtls: {mode: DISABLE}\n"),
    ],
    [
      "a DestinationRule in a namespace that is neither the client's, the service's nor the root is ignored",
      app("reviews", "prod") + client("web", "front") + STRICT_NS + dr("reviews", "other", "  host: reviews.prod.svc.cluster.local\n  trafficPolicy:\n    tls: {mode: DISABLE}\n"),
    ],
    [
      "namespace DISABLE, workload PERMISSIVE: auto mTLS sends plaintext, accepted",
      app("reviews", "prod") + client("web", "front") + pa("default", "prod", "  mtls: {mode: DISABLE}\n") + pa("w", "prod", "  selector: {matchLabels: {app: reviews}}\n  mtls: {mode: PERMISSIVE}\n"),
    ],
    [
      "mesh DISABLE, namespace STRICT: the inference uses the namespace",
      app("reviews", "prod") + client("web", "front") + pa("mesh", "istio-system", "  mtls: {mode: DISABLE}\n") + STRICT_NS,
    ],
    [
      "SIMPLE to a PERMISSIVE server (the sidecar passes the TLS through)",
      app("reviews", "prod") + dr("reviews", "prod", "  host: reviews\n  trafficPolicy:\n    tls: {mode: SIMPLE, caCertificates: /etc/ca.pem}\n"),
    ],
    [
      "ISTIO_MUTUAL for a subset no route uses",
      app("reviews", "prod", { inject: false }) + dr("reviews", "prod", "  host: reviews\n  subsets:\n  - name: v1\n    labels: {version: v1}\n    trafficPolicy:\n      tls: {mode: ISTIO_MUTUAL}\n") + client("web", "prod"),
    ],
    [
      "a DestinationRule exported only to its own namespace does not configure other namespaces",
      app("reviews", "prod", { inject: false }) + client("web", "front") + dr("reviews", "prod", "  host: reviews\n  exportTo: [.]\n  trafficPolicy:\n    tls: {mode: ISTIO_MUTUAL}\n"),
    ],
    [
      "ambient workloads are not judged",
      `apiVersion: v1\nkind: Namespace\nmetadata: {name: prod, labels: {istio.io/dataplane-mode: ambient}}\n---\n` + app("reviews", "prod") + client("web", "front") + MUTUAL_DR,
    ],
    [
      "the ingress gateway (root namespace) uses the service namespace's DestinationRule before a root *.local one",
      app("legacy", "prod", { inject: false }) +
        dr("default", "istio-system", '  host: "*.local"\n  trafficPolicy:\n    tls: {mode: ISTIO_MUTUAL}\n') +
        dr("legacy", "prod", "  host: legacy\n  trafficPolicy:\n    tls: {mode: DISABLE}\n") +
        INGRESS_TO_LEGACY,
    ],
  ];
  it.each(valid)("valid: %s", async (_, yaml, options) => {
    expect((await run(yaml, options)).ids).toEqual([]);
  });

  it("DISABLE to a STRICT namespace: at the DestinationRule's tls.mode, naming clients, server and port", async () => {
    const yaml = app("reviews", "prod") + client("web", "front") + client("api", "shop") + STRICT_NS + DISABLE_DR;
    const { ids, texts } = await run(yaml);
    expect(ids).toEqual([`${lineOf(yaml, "tls: {mode: DISABLE}")}:11 plaintextToStrict`]);
    expect(texts[0]).toBe(
      'tls mode DISABLE makes the sidecars in namespaces front, prod and shop send plaintext to reviews.prod.svc.cluster.local port 8080, but workload reviews-v1 accepts only mutual TLS there (STRICT from PeerAuthentication prod/default, namespace-level): the server\'s sidecar resets the connection and clients get 503 "upstream connect error or disconnect/reset before headers". Remove this tls setting so that auto mTLS sends Istio mTLS, or set mode ISTIO_MUTUAL.',
    );
  });

  it("the DestinationRule of the client's namespace wins over the service's", async () => {
    const yaml = app("reviews", "prod") + client("web", "front") + STRICT_NS + DISABLE_DR +
      dr("reviews", "front", "  host: reviews.prod.svc.cluster.local\n  trafficPolicy:\n    tls: {mode: ISTIO_MUTUAL}\n");
    const { texts } = await run(yaml);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain("tls mode DISABLE makes the sidecars in namespace prod send plaintext");
  });

  it("DISABLE to a mesh-wide STRICT policy", async () => {
    const yaml = app("reviews", "prod") + pa("default", "istio-system", "  mtls: {mode: STRICT}\n") + DISABLE_DR;
    const { texts } = await run(yaml);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain("STRICT from PeerAuthentication istio-system/default, mesh-level");
  });

  it("ISTIO_MUTUAL to a workload without sidecar", async () => {
    const yaml = app("reviews", "prod", { inject: false }) + client("web", "front") + MUTUAL_DR;
    const { ids, texts } = await run(yaml);
    expect(ids).toEqual([`${lineOf(yaml, "tls: {mode: ISTIO_MUTUAL}")}:11 istioMutualToPlaintext`]);
    expect(texts[0]).toContain("the sidecars in namespace front send Istio mutual TLS to reviews.prod.svc.cluster.local port 8080, but workload reviews-v1 runs without a sidecar (pod label sidecar.istio.io/inject=false) and accepts plaintext only");
  });

  it("ISTIO_MUTUAL to a namespace without injection", async () => {
    const yaml = `apiVersion: v1\nkind: Namespace\nmetadata: {name: legacy}\n---\n` + app("reviews", "legacy") + client("web", "front") +
      dr("reviews", "legacy", "  host: reviews\n  trafficPolicy:\n    tls: {mode: ISTIO_MUTUAL}\n");
    const { texts } = await run(yaml);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain("runs without a sidecar (namespace legacy has no istio-injection label)");
  });

  it("a root-namespace *.local ISTIO_MUTUAL DestinationRule applies mesh-wide", async () => {
    const yaml = app("reviews", "prod", { inject: false }) + client("web", "front") + dr("default", "istio-system", '  host: "*.local"\n  trafficPolicy:\n    tls: {mode: ISTIO_MUTUAL}\n');
    const { ids, texts } = await run(yaml);
    expect(ids).toEqual([`${lineOf(yaml, "tls: {mode: ISTIO_MUTUAL}")}:11 istioMutualToPlaintext`]);
    expect(texts[0]).toContain("the sidecars in namespace front");
  });

  it("ISTIO_MUTUAL to a port-level DISABLE (keyed by the target port)", async () => {
    const yaml = app("reviews", "prod", { port: 80, targetPort: 9080 }) + client("web", "front") + MUTUAL_DR +
      pa("w", "prod", "  selector: {matchLabels: {app: reviews}}\n  mtls: {mode: STRICT}\n  portLevelMtls:\n    9080: {mode: DISABLE}\n");
    const { texts } = await run(yaml);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain("port 80 (target port 9080), but workload reviews-v1 accepts plaintext only there (DISABLE from PeerAuthentication prod/w, port-level)");
  });

  it("a port-level policy for another port does not apply", async () => {
    const yaml = app("reviews", "prod", { port: 80, targetPort: 9080 }) + client("web", "front") + MUTUAL_DR +
      pa("w", "prod", "  selector: {matchLabels: {app: reviews}}\n  portLevelMtls:\n    80: {mode: DISABLE}\n");
    expect((await run(yaml)).ids).toEqual([]);
  });

  it("UNSET at port level inherits the workload's STRICT", async () => {
    const yaml = app("reviews", "prod") + client("web", "front") + DISABLE_DR +
      pa("w", "prod", "  selector: {matchLabels: {app: reviews}}\n  mtls: {mode: STRICT}\n  portLevelMtls:\n    8080: {mode: UNSET}\n");
    const { texts } = await run(yaml);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain("STRICT from PeerAuthentication prod/w, workload-level");
  });

  it("auto mTLS inferring DISABLE from the namespace while the workload is STRICT: at the namespace policy", async () => {
    const yaml = app("reviews", "prod") + client("web", "front") + pa("default", "prod", "  mtls: {mode: DISABLE}\n") +
      pa("w", "prod", "  selector: {matchLabels: {app: reviews}}\n  mtls: {mode: STRICT}\n");
    const { ids, texts } = await run(yaml);
    expect(ids).toEqual([`${lineOf(yaml, "mtls: {mode: DISABLE}")}:10 inferredPlaintextToStrict`]);
    expect(texts[0]).toContain("mTLS mode DISABLE at namespace level makes auto mTLS send plaintext from the sidecars in namespaces front and prod to reviews.prod.svc.cluster.local port 8080");
  });

  it("auto mTLS inferring DISABLE from the mesh policy", async () => {
    const yaml = app("reviews", "prod") + client("web", "front") + pa("default", "istio-system", "  mtls: {mode: DISABLE}\n") +
      pa("w", "prod", "  selector: {matchLabels: {app: reviews}}\n  mtls: {mode: STRICT}\n");
    const { ids } = await run(yaml);
    expect(ids).toEqual([`${lineOf(yaml, "mtls: {mode: DISABLE}")}:10 inferredPlaintextToStrict`]);
  });

  it("SIMPLE to a STRICT server", async () => {
    const yaml = app("reviews", "prod") + client("web", "front") + STRICT_NS +
      dr("reviews", "prod", "  host: reviews\n  trafficPolicy:\n    tls: {mode: SIMPLE, caCertificates: /etc/ca.pem}\n");
    const { ids, texts } = await run(yaml);
    expect(ids).toEqual([`${lineOf(yaml, "tls: {mode: SIMPLE")}:11 tlsToStrict`]);
    expect(texts[0]).toContain("tls mode SIMPLE makes the sidecars in namespaces front and prod originate TLS");
  });

  it("auto mTLS off (enableAutoMtls: false) and STRICT: at the PeerAuthentication", async () => {
    const yaml = app("reviews", "prod") + client("web", "front") + STRICT_NS;
    const { ids } = await run(yaml, { config: "mesh:\n  enableAutoMtls: false\n" });
    expect(ids).toEqual([`${lineOf(yaml, "mtls: {mode: STRICT}")}:10 noAutoMtlsToStrict`]);
  });

  it("a portLevelSettings entry without tls still sends plaintext under a top-level DISABLE (istiod marks the endpoints plaintext)", async () => {
    const yaml = app("reviews", "prod") + client("web", "front") + STRICT_NS +
      dr("reviews", "prod", "  host: reviews\n  trafficPolicy:\n    tls: {mode: DISABLE}\n    portLevelSettings:\n    - port: {number: 8080}\n      connectionPool: {tcp: {maxConnections: 10}}\n");
    const { ids } = await run(yaml);
    expect(ids).toEqual([`${lineOf(yaml, "tls: {mode: DISABLE}")}:11 plaintextToStrict`]);
  });

  it("a portLevelSettings entry's own tls wins over the top-level tls", async () => {
    const yaml = app("reviews", "prod") + client("web", "front") + STRICT_NS +
      dr("reviews", "prod", "  host: reviews\n  trafficPolicy:\n    tls: {mode: ISTIO_MUTUAL}\n    portLevelSettings:\n    - port: {number: 8080}\n      tls: {mode: DISABLE}\n");
    const { ids } = await run(yaml);
    expect(ids).toEqual([`${lineOf(yaml, "tls: {mode: DISABLE}")}:13 plaintextToStrict`]);
  });

  // istiod: a tls block's mode defaults to DISABLE; a portLevelSettings entry replaces the policy for
  // the cluster (MergeSubsetTrafficPolicy), while EDS marks endpoints from the mode the rule has for
  // the port (tlsModeForDestinationRule), where an entry without tls hides nothing.
  it.each([
    {
      name: "a tls block without mode is DISABLE: plaintext to STRICT, at the block",
      policy: "    tls: {sni: reviews.prod.svc.cluster.local}\n",
      at: "tls: {sni:",
      column: 5,
      id: "plaintextToStrict",
      text: "tls without a mode (mode DISABLE, its default) makes the sidecars in namespaces front and prod send plaintext",
    },
    {
      name: "a port-level tls block without mode is DISABLE too",
      policy: "    tls: {mode: ISTIO_MUTUAL}\n    portLevelSettings:\n    - port: {number: 8080}\n      tls: {sni: reviews.prod.svc.cluster.local}\n",
      at: "tls: {sni:",
      column: 7,
      id: "plaintextToStrict",
      text: "tls without a mode (mode DISABLE, its default) makes",
    },
    {
      name: "SIMPLE above a port-level entry without tls: the cluster falls back to auto mTLS, which marks the endpoints plaintext",
      policy: "    tls: {mode: SIMPLE}\n    portLevelSettings:\n    - port: {number: 8080}\n      connectionPool: {tcp: {maxConnections: 10}}\n",
      at: "tls: {mode: SIMPLE}",
      column: 11,
      id: "plaintextToStrict",
      text: "tls mode SIMPLE, which a portLevelSettings entry without tls leaves out of the cluster (auto mTLS then marks the endpoints plaintext, as this mode is not ISTIO_MUTUAL), makes the sidecars",
    },
  ])("$name", async ({ policy, at, column, id, text }) => {
    const yaml = app("reviews", "prod") + client("web", "front") + STRICT_NS + dr("reviews", "prod", `  host: reviews\n  trafficPolicy:\n${policy}`);
    const { ids, texts } = await run(yaml);
    expect(ids).toEqual([`${lineOf(yaml, at)}:${column} ${id}`]);
    expect(texts[0]).toContain(text);
  });

  it("ISTIO_MUTUAL above a port-level entry without tls still marks every endpoint for Istio mTLS, also without a sidecar", async () => {
    const yaml = app("reviews", "prod", { inject: false }) + client("web", "front") +
      dr("reviews", "prod", "  host: reviews\n  trafficPolicy:\n    tls: {mode: ISTIO_MUTUAL}\n    portLevelSettings:\n    - port: {number: 8080}\n      connectionPool: {tcp: {maxConnections: 10}}\n");
    const { ids } = await run(yaml);
    expect(ids).toEqual([`${lineOf(yaml, "tls: {mode: ISTIO_MUTUAL}")}:11 istioMutualToPlaintext`]);
  });

  it("ISTIO_MUTUAL above a port-level entry without tls sends plaintext when the namespace policy is DISABLE (auto mTLS infers DISABLE)", async () => {
    const yaml = app("reviews", "prod") + client("web", "front") + pa("default", "prod", "  mtls: {mode: DISABLE}\n") +
      pa("w", "prod", "  selector: {matchLabels: {app: reviews}}\n  mtls: {mode: STRICT}\n") +
      dr("reviews", "prod", "  host: reviews\n  trafficPolicy:\n    tls: {mode: ISTIO_MUTUAL}\n    portLevelSettings:\n    - port: {number: 8080}\n      connectionPool: {tcp: {maxConnections: 10}}\n");
    const { ids } = await run(yaml);
    expect(ids).toEqual([`${lineOf(yaml, "mtls: {mode: DISABLE}")}:10 inferredPlaintextToStrict`]);
  });

  it("ISTIO_MUTUAL without a port-level entry is the cluster's own: the namespace's DISABLE does not matter", async () => {
    const yaml = app("reviews", "prod") + client("web", "front") + pa("default", "prod", "  mtls: {mode: DISABLE}\n") +
      pa("w", "prod", "  selector: {matchLabels: {app: reviews}}\n  mtls: {mode: STRICT}\n") + MUTUAL_DR;
    const { ids } = await run(yaml);
    expect(ids).toEqual([]);
  });

  it("a subset's port-level entry without tls hides the subset's and the rule's tls from the cluster, but the subset's ISTIO_MUTUAL still marks the endpoints", async () => {
    const yaml = app("reviews", "prod", { inject: false }) + client("web", "prod") +
      dr("reviews", "prod", "  host: reviews\n  trafficPolicy:\n    tls: {mode: DISABLE}\n  subsets:\n  - name: v1\n    labels: {version: v1}\n    trafficPolicy:\n      tls: {mode: ISTIO_MUTUAL}\n      portLevelSettings:\n      - port: {number: 8080}\n        connectionPool: {tcp: {maxConnections: 10}}\n") +
      ROUTE_TO_V1;
    const { ids } = await run(yaml);
    expect(ids).toEqual([`${lineOf(yaml, "tls: {mode: ISTIO_MUTUAL}")}:13 istioMutualToPlaintext`]);
  });

  it("the root namespace's default Sidecar with ./* lets each namespace's sidecars see their own namespace", async () => {
    const rootSidecar = `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: istio-system}
spec:
  egress:
  - hosts: ["./*", "istio-system/*"]
---
`;
    const yaml = rootSidecar + app("reviews", "prod") + client("web", "prod") + client("web", "front") + STRICT_NS + DISABLE_DR;
    const { ids, texts } = await run(yaml);
    expect(ids).toEqual([`${lineOf(yaml, "tls: {mode: DISABLE}")}:11 plaintextToStrict`]);
    expect(texts[0]).toContain("tls mode DISABLE makes the sidecars in namespace prod send plaintext");
  });

  it("a subset's tls, for the subset a route uses", async () => {
    const yaml = app("reviews", "prod", { inject: false }) + client("web", "prod") +
      dr("reviews", "prod", "  host: reviews\n  subsets:\n  - name: v1\n    labels: {version: v1}\n    trafficPolicy:\n      tls: {mode: ISTIO_MUTUAL}\n") +
      ROUTE_TO_V1;
    const { ids } = await run(yaml);
    expect(ids).toEqual([`${lineOf(yaml, "tls: {mode: ISTIO_MUTUAL}")}:13 istioMutualToPlaintext`]);
  });

  it("the ingress gateway is a client of the services its routes reach", async () => {
    const yaml = `apiVersion: v1\nkind: Namespace\nmetadata: {name: prod, labels: {istio-injection: enabled}}\n---\n` + app("reviews", "prod") +
      dr("reviews", "prod", "  host: reviews\n  exportTo: ['*']\n  trafficPolicy:\n    tls: {mode: DISABLE}\n") +
      pa("w", "prod", "  selector: {matchLabels: {app: reviews}}\n  mtls: {mode: STRICT}\n") +
      ingressTo("reviews", "reviews.example.com");
    const { texts } = await run(yaml);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain("tls mode DISABLE makes the sidecars in namespace prod and the gateway istio-system/istio-ingressgateway send plaintext");
  });

  it("a private root-namespace DestinationRule configures the ingress gateway before the service's", async () => {
    const yaml = app("legacy", "prod", { inject: false }) +
      dr("gateway-mtls", "istio-system", '  host: "*.local"\n  exportTo: [.]\n  trafficPolicy:\n    tls: {mode: ISTIO_MUTUAL}\n') +
      dr("legacy", "prod", "  host: legacy\n  trafficPolicy:\n    tls: {mode: DISABLE}\n") +
      INGRESS_TO_LEGACY;
    const { ids, texts } = await run(yaml);
    expect(ids).toEqual([`${lineOf(yaml, "tls: {mode: ISTIO_MUTUAL}")}:11 istioMutualToPlaintext`]);
    expect(texts[0]).toContain("tls mode ISTIO_MUTUAL makes the gateway istio-system/istio-ingressgateway send Istio mutual TLS to legacy.prod.svc.cluster.local port 8080");
  });

  it("a root-namespace DestinationRule selecting the ingress gateway is private to it and wins over the service namespace's", async () => {
    const yaml = app("legacy", "prod") + STRICT_NS +
      dr("gateway-plain", "istio-system", "  host: legacy.prod.svc.cluster.local\n  workloadSelector: {matchLabels: {istio: ingressgateway}}\n  trafficPolicy:\n    tls: {mode: DISABLE}\n") +
      dr("legacy", "prod", "  host: legacy\n  trafficPolicy:\n    loadBalancer: {simple: LEAST_REQUEST}\n") +
      INGRESS_TO_LEGACY;
    const { ids, texts } = await run(yaml);
    expect(ids).toEqual([`${lineOf(yaml, "tls: {mode: DISABLE}")}:11 plaintextToStrict`]);
    expect(texts[0]).toContain("tls mode DISABLE makes the gateway istio-system/istio-ingressgateway send plaintext to legacy.prod.svc.cluster.local port 8080");
  });

  it("a DestinationRule with a workloadSelector configures only the pods it selects", async () => {
    const yaml = app("reviews", "prod") + client("web", "front") + client("batch", "front") + STRICT_NS +
      dr("reviews-batch", "front", "  host: reviews.prod.svc.cluster.local\n  workloadSelector: {matchLabels: {app: batch}}\n  trafficPolicy:\n    tls: {mode: DISABLE}\n");
    const { ids, texts } = await run(yaml);
    expect(ids).toEqual([`${lineOf(yaml, "tls: {mode: DISABLE}")}:11 plaintextToStrict`]);
    expect(texts[0]).toContain("the sidecars in namespace front send plaintext");
  });

  it("one message per deciding node and server host, listing every affected workload", async () => {
    const yaml = app("reviews", "prod") + app("reviews", "prod", { version: "v2" }).split("---\n").slice(1).join("---\n") + client("web", "front") + STRICT_NS + DISABLE_DR;
    const { texts } = await run(yaml);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain("but workloads reviews-v1 and reviews-v2 accept only mutual TLS there");
  });

  it("a deciding node in the context is not reported: the server's side in the input is", async () => {
    const platform = dr("default", "istio-system", '  host: "*.local"\n  trafficPolicy:\n    tls: {mode: ISTIO_MUTUAL}\n');
    const yaml = app("reviews", "prod", { inject: false }) + client("web", "front");
    const { ids, texts } = await run(yaml, { files: { "platform.yaml": platform }, args: ["--context", "platform.yaml"] });
    expect(ids).toEqual([`${lineOf(yaml, "sidecar.istio.io/inject")}:${yaml.split("\n")[lineOf(yaml, "sidecar.istio.io/inject") - 1].indexOf("sidecar.istio.io/inject") + 1} istioMutualToPlaintext`]);
    expect(texts[0]).toContain("tls mode ISTIO_MUTUAL makes the sidecars in namespace front send Istio mutual TLS");
  });
});
