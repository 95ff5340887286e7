import { describe, expect, it } from "vitest";
import { lintRule } from "../helpers.js";

const RULE = "subset-no-endpoints";

interface Found {
  at: string;
  severity: number;
  message: string;
  resource?: string;
  istioCode?: string;
}

async function run(files: Record<string, string>, args: string[] = Object.keys(files)): Promise<Found[]> {
  const { messages, stderr } = await lintRule(RULE, files, args);
  expect(stderr).toBe("");
  return messages.map((message) => ({
    at: `${message.line}:${message.column} ${message.messageId}`,
    severity: message.severity,
    message: message.message,
    resource: message.resource ? `${message.resource.kind} ${message.resource.name}` : undefined,
    istioCode: message.istioCode,
  }));
}

const lineOf = (text: string, needle: string, from = 0) => {
  const lines = text.split("\n");
  for (let i = from; i < lines.length; i++) if (lines[i].includes(needle)) return i + 1;
  throw new Error(`no ${needle}`);
};

const service = (name: string, versions: string[], podLabels: (v: string) => string = (v) => `{app: ${name}, version: ${v}}`) =>
  `---
apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec:
  selector: {app: ${name}}
  ports: [{name: http, port: 9080}]
` +
  versions
    .map(
      (v) => `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}-${v}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: ${podLabels(v)}}
    spec: {containers: [{name: app, image: "example/${name}:${v}"}]}
`,
    )
    .join("");

const serviceOnly = (name: string) => `---
apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec:
  selector: {app: ${name}}
  ports: [{name: http, port: 9080}]
`;

const dr = (name: string, subsets: string) => `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}}
spec:
  host: ${name}
  subsets:
${subsets}`;

const route = (name: string, subset: string) => `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}}
spec:
  hosts: [${name}]
  http:
  - route:
    - destination: {host: ${name}, subset: ${subset}}
`;

describe(RULE, () => {
  const valid: [string, string][] = [
    ["every subset selects a workload, routed or not", service("reviews", ["v1", "v2"]) + dr("reviews", "  - {name: v1, labels: {version: v1}}\n  - {name: v2, labels: {version: v2}}\n") + route("reviews", "v2")],
    ["a version nothing routes to and that is not deployed, beside deployed ones", service("reviews", ["v1"]) + dr("reviews", "  - {name: v1, labels: {version: v1}}\n  - {name: v2, labels: {version: v2}}\n") + route("reviews", "v1")],
    ["topology labels come from the node and are not compared", service("reviews", ["v1"]) + dr("reviews", "  - name: v1-east\n    labels: {version: v1, topology.kubernetes.io/zone: us-east-1a, kubernetes.io/hostname: node-1}\n") + route("reviews", "v1-east")],
    ["a subset without labels selects every endpoint", service("reviews", ["v1"]) + dr("reviews", "  - name: all\n") + route("reviews", "all")],
    ["a Service without selector: its endpoints are managed elsewhere", `---
apiVersion: v1
kind: Service
metadata: {name: legacy}
spec:
  ports: [{name: http, port: 9080}]
` + dr("legacy", "  - {name: v1, labels: {version: v1}}\n") + route("legacy", "v1")],
    ["a ServiceEntry without workloadSelector", `---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext}
spec:
  hosts: [api.example.com]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ext}
spec:
  host: api.example.com
  subsets:
  - {name: eu, labels: {region: eu}}
`],
    ["an unknown host is unknown-destinationrule-host's finding", dr("nowhere", "  - {name: v1, labels: {version: v1}}\n")],
  ];
  it.each(valid)("valid: %s", async (_, yaml) => {
    expect(await run({ "a.yaml": yaml })).toEqual([]);
  });

  it("routed to a subset no workload of the input has: error, 503 UH", async () => {
    const yaml = service("ratings", ["v1"]) + dr("ratings", "  - {name: v1, labels: {version: v1}}\n  - name: v2\n    labels: {version: v2}\n") + route("ratings", "v2");
    const found = await run({ "a.yaml": yaml });
    expect(found.map((f) => f.at)).toEqual([`${lineOf(yaml, "version: v2", lineOf(yaml, "name: v2"))}:5 routedNoEndpoints`]);
    expect(found[0]).toMatchObject({ severity: 2, istioCode: "IST0173", resource: "DestinationRule ratings" });
    expect(found[0].message).toBe(
      'Subset "v2" selects none of the workloads of Service default/ratings: no pod of Deployment ratings-v1 (version: v1) has version: v2. VirtualService default/ratings sends traffic to it, so its cluster outbound|9080|v2|ratings.default.svc.cluster.local has no endpoints and Envoy answers 503 UH',
    );
  });

  it("a typo in a label value of a routed subset", async () => {
    const yaml = service("ratings", ["v1"]) + dr("ratings", "  - {name: v1, labels: {version: V1}}\n") + route("ratings", "v1");
    const found = await run({ "a.yaml": yaml });
    expect(found.map((f) => f.at.split(" ")[1])).toEqual(["routedNoEndpoints"]);
    expect(found[0].message).toMatch(/Did you mean version: v1\?$/);
  });

  it("topology labels are mentioned when the rest does not match", async () => {
    const yaml = service("ratings", ["v1"]) + dr("ratings", "  - name: v2\n    labels: {version: v2, topology.kubernetes.io/region: eu}\n") + route("ratings", "v2");
    const found = await run({ "a.yaml": yaml });
    expect(found[0].message).toContain("has version: v2 (topology.kubernetes.io/region comes from the node, not the pod, and was not compared)");
  });

  it("a topology label with an empty value is compared: istiod sets topology labels on endpoints only from non-empty values", async () => {
    const yaml = service("ratings", ["v1"]) + dr("ratings", '  - {name: v1, labels: {version: v1}}\n  - name: no-region\n    labels: {topology.kubernetes.io/region: ""}\n');
    const found = await run({ "a.yaml": yaml });
    expect(found.map((f) => f.at)).toEqual([`${lineOf(yaml, "topology.kubernetes.io/region")}:14 unknownLabelKey`]);
    expect(found[0]).toMatchObject({ severity: 1, istioCode: "IST0173", resource: "DestinationRule ratings" });
    expect(found[0].message).toContain('has a label "topology.kubernetes.io/region" (istiod adds it to endpoints from the node only with a non-empty value');
  });

  it("routed to a subset that asks for an empty topology label: error", async () => {
    const yaml = service("ratings", ["v1"]) + dr("ratings", '  - name: v1\n    labels: {version: v1, topology.kubernetes.io/zone: ""}\n') + route("ratings", "v1");
    const found = await run({ "a.yaml": yaml });
    expect(found.map((f) => f.at)).toEqual([`${lineOf(yaml, "topology.kubernetes.io/zone")}:5 routedNoEndpoints`]);
    expect(found[0].message).toContain('has version: v1, topology.kubernetes.io/zone: "".');
  });

  it("routed, but the service's workloads are not in the input: warning", async () => {
    const yaml = serviceOnly("ratings") + dr("ratings", "  - {name: v1, labels: {version: v1}}\n") + route("ratings", "v1");
    const found = await run({ "a.yaml": yaml });
    expect(found.map((f) => f.at.split(" ")[1])).toEqual(["routedNotInInput"]);
    expect(found[0].severity).toBe(1);
    expect(found[0].message).toContain("Service default/ratings has none here (deployed from elsewhere?)");
    expect(found[0].message).toContain("VirtualService default/ratings sends traffic to it");
  });

  it("nothing routes there and the workloads are not in the input: warning (istioctl's IST0173)", async () => {
    const yaml = serviceOnly("httpbin") + dr("httpbin", "  - {name: fake, labels: {version: v3}}\n");
    const found = await run({ "a.yaml": yaml });
    expect(found.map((f) => f.at.split(" ")[1])).toEqual(["notInInput"]);
    expect(found[0]).toMatchObject({ severity: 1, istioCode: "IST0173" });
    expect(found[0].message).toContain("Nothing routes to the subset");
  });

  it("nothing routes there, but a label key none of the workloads has", async () => {
    const yaml = service("reviews", ["v1", "v2"]) + dr("reviews", "  - {name: v1, labels: {version: v1}}\n  - {name: v2, labels: {verison: v2}}\n");
    const found = await run({ "a.yaml": yaml });
    expect(found.map((f) => f.at)).toEqual([`${lineOf(yaml, "verison")}:25 unknownLabelKey`]);
    expect(found[0].message).toContain('has a label "verison" (did you mean "version"?)');
  });

  it("nothing routes there, and no subset of the DestinationRule selects any workload", async () => {
    const yaml =
      service("reviews", ["v1"], (v) => `{app: reviews, app.kubernetes.io/version: ${v}, version: "1.0"}`) +
      dr("reviews", "  - {name: v1, labels: {version: v1}}\n");
    const found = await run({ "a.yaml": yaml });
    expect(found.map((f) => f.at.split(" ")[1])).toEqual(["noSubsetSelects"]);
    expect(found[0].severity).toBe(1);
  });

  it("a DestinationRule given as context: the error goes to the VirtualService route", async () => {
    const files = {
      "platform.yaml": service("ratings", ["v1"]) + dr("ratings", "  - {name: v2, labels: {version: v2}}\n"),
      "routes.yaml": route("ratings", "v2"),
    };
    const found = await run(files, ["--context", "platform.yaml", "routes.yaml"]);
    expect(found.map((f) => f.at)).toEqual([`${lineOf(files["routes.yaml"], "subset: v2")}:36 routedNoEndpoints`]);
    expect(found[0].resource).toBe("VirtualService ratings");
  });
});
