import { describe, expect, it } from "vitest";
import { effectiveMtlsProvenance } from "../../src/graph/peer-authentication.js";
import { peerAuthentication as pa } from "../fixtures/manifests.js";
import { graphOf, service } from "./helpers.js";

describe("PeerAuthentication: what Istio's ComposePeerAuthentication does", () => {
  it("a policy with a selector in the root namespace is not a workload-level policy (ignored)", () => {
    const yaml = service("probe", "istio-system") + pa("w", "istio-system", "  selector: {matchLabels: {app: probe}}\n  mtls: {mode: STRICT}\n");
    const g = graphOf(yaml);
    const workload = g.workloads.find((w) => w.name === "probe-v1")!;
    const mtls = g.peerAuthentications.effective(workload, 9080);
    expect(`${mtls.mode}/${mtls.level}`).toBe("PERMISSIVE/default");
  });

  it("a root-namespace policy without selector is the mesh policy, also for root-namespace workloads", () => {
    const yaml = service("probe", "istio-system") + pa("mesh", "istio-system", "  mtls: {mode: STRICT}\n");
    const g = graphOf(yaml);
    const workload = g.workloads.find((w) => w.name === "probe-v1")!;
    const mtls = g.peerAuthentications.effective(workload, 9080);
    expect(`${mtls.mode}/${mtls.level}`).toBe("STRICT/mesh");
  });

  it("the deciding YAML node: the portLevelMtls entry for a port-level mode, else mtls.mode", () => {
    const yaml = service("reviews", "prod") + pa("w", "prod", "  selector: {matchLabels: {app: reviews}}\n  mtls: {mode: STRICT}\n  portLevelMtls:\n    9080: {mode: DISABLE}\n");
    const g = graphOf(yaml);
    const workload = g.workloads.find((w) => w.name === "reviews-v1")!;
    const port = g.peerAuthentications.effective(workload, 9080);
    expect(effectiveMtlsProvenance(port, 9080)?.path).toEqual(["spec", "portLevelMtls", "9080", "mode"]);
    const other = g.peerAuthentications.effective(workload, 8080);
    expect(effectiveMtlsProvenance(other, 8080)?.path).toEqual(["spec", "mtls", "mode"]);
    expect(effectiveMtlsProvenance(g.peerAuthentications.effective({ namespace: "x", labels: {} }, 1))).toBeUndefined();
  });

  it("auto mTLS for a namespace-level DISABLE records the inferring policy", () => {
    const yaml = service("reviews", "prod") + pa("default", "prod", "  mtls: {mode: DISABLE}\n");
    const g = graphOf(yaml);
    const tls = g.outboundScope("prod").cluster("outbound|9080||reviews.prod.svc.cluster.local")!.tls!;
    expect(tls.source).toBe("auto");
    expect(tls.inferredFrom?.policy?.name).toBe("default");
    expect(effectiveMtlsProvenance(tls.inferredFrom!)?.path).toEqual(["spec", "mtls", "mode"]);
  });
});

describe("DestinationRules: a root-namespace wildcard host", () => {
  it('host "*.local" in the root namespace applies to clients of every namespace, after their own and the service\'s', () => {
    const dr = (name: string, ns: string, body: string) => `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}, namespace: ${ns}}
spec:
${body}`;
    const yaml = service("reviews", "prod") + dr("default", "istio-system", '  host: "*.local"\n  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}\n');
    const g = graphOf(yaml);
    const rule = g.destinationRules.forClient("front", "reviews.prod.svc.cluster.local", "prod");
    expect(rule?.scope).toBe("root");
    expect(g.outboundScope("front").cluster("outbound|9080||reviews.prod.svc.cluster.local")!.tls!.source).toBe("destination-rule");
    const own = graphOf(yaml + dr("reviews", "front", "  host: reviews.prod.svc.cluster.local\n"));
    expect(own.destinationRules.forClient("front", "reviews.prod.svc.cluster.local", "prod")?.scope).toBe("client");
  });
});

describe("PeerAuthenticationIndex.namespaceLevelMode: namespace policy, else the mesh policy, else PERMISSIVE (one answer per namespace)", () => {
  const mesh = (mode: string) => pa("mesh", "istio-system", `  mtls: {mode: ${mode}}\n`);
  const ns = (namespace: string, mode: string, name = "default", selector = "") => pa(name, namespace, `${selector}  mtls: {mode: ${mode}}\n`);
  it.each([
    ["no policy", "", { prod: "PERMISSIVE/default", "istio-system": "PERMISSIVE/default" }],
    ["mesh STRICT", mesh("STRICT"), { prod: "STRICT/mesh", test: "STRICT/mesh", "istio-system": "STRICT/mesh" }],
    ["namespace DISABLE under mesh STRICT", mesh("STRICT") + ns("prod", "DISABLE"), { prod: "DISABLE/namespace", test: "STRICT/mesh" }],
    ["namespace UNSET inherits the mesh", mesh("PERMISSIVE") + ns("prod", "UNSET"), { prod: "PERMISSIVE/mesh" }],
    ["a policy with a selector is not namespace-level", ns("prod", "STRICT", "w", "  selector: {matchLabels: {app: reviews}}\n"), { prod: "PERMISSIVE/default" }],
  ])("%s", (_, yaml, expected) => {
    const g = graphOf(service("reviews", "prod") + yaml);
    for (const [namespace, mode] of Object.entries(expected)) {
      const found = g.peerAuthentications.namespaceLevelMode(namespace);
      expect(`${found.mode}/${found.level}`, namespace).toBe(mode);
      expect(g.peerAuthentications.namespaceLevelMode(namespace)).toBe(found);
    }
  });
});
