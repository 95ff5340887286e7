import { describe, expect, it } from "vitest";
import { kubernetesProblems } from "../src/schema/kubernetes.js";

type O = Record<string, unknown>;
interface Invalid {
  name: string;
  object: O;
  message: string;
  path: (string | number)[];
}

const svc = (spec: O, name = "reviews"): O => ({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: "default" }, spec });
const pod = { metadata: { labels: { app: "reviews" } }, spec: { containers: [{ name: "app", image: "img", ports: [{ containerPort: 9080, name: "http" }] }] } };
const deploy = (spec: O, kind = "Deployment", name = "reviews"): O => ({ apiVersion: "apps/v1", kind, metadata: { name }, spec });

const valid: [string, O][] = [
  ["service", svc({ selector: { app: "reviews" }, ports: [{ port: 9080, name: "http", targetPort: 9080 }] })],
  ["service named targetPort", svc({ ports: [{ port: 80, name: "http", targetPort: "http-web", appProtocol: "kubernetes.io/h2c" }, { port: 443, name: "https", protocol: "TCP" }] })],
  ["single unnamed port", svc({ ports: [{ port: 80 }] })],
  ["headless", svc({ clusterIP: "None", selector: { app: "a" } })],
  ["external name", svc({ type: "ExternalName", externalName: "db.example.com" })],
  ["deployment", deploy({ selector: { matchLabels: { app: "reviews" } }, template: pod })],
  ["statefulset expressions", deploy({ selector: { matchExpressions: [{ key: "app", operator: "In", values: ["reviews"] }] }, template: pod }, "StatefulSet")],
  ["pod", { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: pod.spec }],
  ["job", { apiVersion: "batch/v1", kind: "Job", metadata: { name: "j" }, spec: { template: pod } }],
  ["cronjob", { apiVersion: "batch/v1", kind: "CronJob", metadata: { name: "c" }, spec: { schedule: "* * * * *", jobTemplate: { spec: { template: pod } } } }],
  ["namespace", { apiVersion: "v1", kind: "Namespace", metadata: { name: "bookinfo", labels: { "istio-injection": "enabled" } } }],
  ["configmap", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "istio.v1" }, data: {} }],
  ["configmap with string data and annotations", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", annotations: { a: "yes" } }, data: { enabled: "true", empty: null } }],
  ["endpointslice", { apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", metadata: { name: "s" }, addressType: "IPv4", ports: [{ name: "http", port: 80 }], endpoints: [{ addresses: ["10.0.0.1"] }] }],
  ["endpoints", { apiVersion: "v1", kind: "Endpoints", metadata: { name: "e" }, subsets: [{ addresses: [{ ip: "10.0.0.1" }], ports: [{ port: 80 }] }] }],
  ["unknown kind ignored", { apiVersion: "v1", kind: "Secret", metadata: { name: "BAD NAME" } }],
];

const invalid: Invalid[] = [
  { name: "port range", object: svc({ ports: [{ port: 70000 }] }), message: "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive", path: ["spec", "ports", 0, "port"] },
  { name: "port required", object: svc({ ports: [{ name: "http" }] }), message: "spec.ports[0].port: Required value", path: ["spec", "ports", 0, "port"] },
  { name: "targetPort range", object: svc({ ports: [{ port: 80, targetPort: 0 }] }), message: "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive", path: ["spec", "ports", 0, "targetPort"] },
  { name: "targetPort name too long", object: svc({ ports: [{ port: 80, targetPort: "a-very-long-port-name" }] }), message: 'spec.ports[0].targetPort: Invalid value: "a-very-long-port-name": must be no more than 15 characters', path: ["spec", "ports", 0, "targetPort"] },
  { name: "targetPort name no letter", object: svc({ ports: [{ port: 80, targetPort: "8080" }] }), message: "must contain at least one letter (a-z)", path: ["spec", "ports", 0, "targetPort"] },
  { name: "protocol", object: svc({ ports: [{ port: 80, protocol: "HTTP" }] }), message: 'spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"', path: ["spec", "ports", 0, "protocol"] },
  { name: "name required with several ports", object: svc({ ports: [{ port: 80, name: "http" }, { port: 81 }] }), message: "spec.ports[1].name: Required value", path: ["spec", "ports", 1, "name"] },
  { name: "duplicate port name", object: svc({ ports: [{ port: 80, name: "http" }, { port: 81, name: "http" }] }), message: 'spec.ports[1].name: Duplicate value: "http"', path: ["spec", "ports", 1, "name"] },
  { name: "port name label", object: svc({ ports: [{ port: 80, name: "Http_Web" }] }), message: 'spec.ports[0].name: Invalid value: "Http_Web": a lowercase RFC 1123 label', path: ["spec", "ports", 0, "name"] },
  { name: "service type", object: svc({ type: "Internal", ports: [{ port: 80 }] }), message: 'spec.type: Unsupported value: "Internal"', path: ["spec", "type"] },
  { name: "externalName required", object: svc({ type: "ExternalName" }), message: "spec.externalName: Required value", path: ["spec", "externalName"] },
  { name: "selector label value", object: svc({ selector: { app: "bad value" }, ports: [{ port: 80 }] }), message: 'spec.selector[app]: Invalid value: "bad value": a valid label must be an empty string', path: ["spec", "selector", "app"] },
  { name: "selector label key", object: svc({ selector: { "-app": "a" }, ports: [{ port: 80 }] }), message: 'Invalid value: "-app": name part must consist of alphanumeric characters', path: ["spec", "selector", "-app"] },
  { name: "service name dns-1035", object: svc({ ports: [{ port: 80 }] }, "1reviews"), message: 'metadata.name: Invalid value: "1reviews": a DNS-1035 label', path: ["metadata", "name"] },
  { name: "service name dot", object: svc({ ports: [{ port: 80 }] }, "reviews.v1"), message: "a DNS-1035 label", path: ["metadata", "name"] },
  { name: "selector does not match", object: deploy({ selector: { matchLabels: { app: "ratings" } }, template: pod }), message: "`selector` does not match template `labels`", path: ["spec", "template", "metadata", "labels"] },
  { name: "selector required", object: deploy({ template: pod }), message: "spec.selector: Required value", path: ["spec", "selector"] },
  { name: "empty selector", object: deploy({ selector: {}, template: pod }, "DaemonSet"), message: "empty selector is invalid for deployment", path: ["spec", "selector"] },
  { name: "containers required", object: deploy({ selector: { matchLabels: { app: "a" } }, template: { metadata: { labels: { app: "a" } }, spec: { containers: [] } } }), message: "spec.template.spec.containers: Required value", path: ["spec", "template", "spec", "containers"] },
  { name: "container name required", object: deploy({ selector: { matchLabels: { app: "a" } }, template: { metadata: { labels: { app: "a" } }, spec: { containers: [{ image: "x" }] } } }), message: "spec.template.spec.containers[0].name: Required value", path: ["spec", "template", "spec", "containers", 0, "name"] },
  { name: "containerPort range", object: deploy({ selector: { matchLabels: { app: "a" } }, template: { metadata: { labels: { app: "a" } }, spec: { containers: [{ name: "c", image: "x", ports: [{ containerPort: 0 }] }] } } }), message: "spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 0: must be between 1 and 65535, inclusive", path: ["spec", "template", "spec", "containers", 0, "ports", 0, "containerPort"] },
  { name: "container port name", object: deploy({ selector: { matchLabels: { app: "a" } }, template: { metadata: { labels: { app: "a" } }, spec: { containers: [{ name: "c", image: "x", ports: [{ containerPort: 80, name: "http--web" }] }] } } }), message: "must not contain consecutive hyphens", path: ["spec", "template", "spec", "containers", 0, "ports", 0, "name"] },
  { name: "container port protocol", object: { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "x", ports: [{ containerPort: 80, protocol: "http" }] }] } }, message: 'spec.containers[0].ports[0].protocol: Unsupported value: "http"', path: ["spec", "containers", 0, "ports", 0, "protocol"] },
  { name: "template label value", object: deploy({ selector: { matchLabels: { app: "a" } }, template: { metadata: { labels: { app: "a", v: "-x" } }, spec: pod.spec } }), message: 'spec.template.metadata.labels[v]: Invalid value: "-x"', path: ["spec", "template", "metadata", "labels", "v"] },
  { name: "job template", object: { apiVersion: "batch/v1", kind: "Job", metadata: { name: "j" }, spec: { template: { spec: { containers: [{ name: "C", image: "x" }] } } } }, message: 'spec.template.spec.containers[0].name: Invalid value: "C"', path: ["spec", "template", "spec", "containers", 0, "name"] },
  { name: "cronjob template", object: { apiVersion: "batch/v1", kind: "CronJob", metadata: { name: "c" }, spec: { schedule: "* * * * *", jobTemplate: { spec: { template: { spec: { containers: [{ name: "c", image: "x", ports: [{ containerPort: 99999 }] }] } } } } } }, message: "spec.jobTemplate.spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 99999", path: ["spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "ports", 0, "containerPort"] },
  { name: "deployment name", object: deploy({ selector: { matchLabels: { app: "reviews" } }, template: pod }, "Deployment", "Reviews"), message: 'metadata.name: Invalid value: "Reviews": a lowercase RFC 1123 subdomain', path: ["metadata", "name"] },
  { name: "namespace name", object: { apiVersion: "v1", kind: "Namespace", metadata: { name: "my.ns" } }, message: 'metadata.name: Invalid value: "my.ns": a lowercase RFC 1123 label', path: ["metadata", "name"] },
  { name: "endpointslice address", object: { apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", metadata: { name: "s" }, addressType: "IPv4", endpoints: [{ addresses: ["fd00::1"] }] }, message: "must be a valid IPv4 address", path: ["endpoints", 0, "addresses", 0] },
  { name: "endpoints port name required", object: { apiVersion: "v1", kind: "Endpoints", metadata: { name: "e" }, subsets: [{ ports: [{ port: 80, name: "a" }, { port: 81 }] }] }, message: "subsets[0].ports[1].name: Required value", path: ["subsets", 0, "ports", 1, "name"] },
  { name: "annotation value not a string (yes read as true)", object: { ...deploy({ selector: { matchLabels: { app: "reviews" } }, template: pod }), metadata: { name: "reviews", annotations: { "sidecar.istio.io/inject": true } } }, message: "json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.annotations of type string", path: ["metadata", "annotations", "sidecar.istio.io/inject"] },
  { name: "configmap data value not a string", object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { enabled: true } }, message: "json: cannot unmarshal bool into Go struct field ConfigMap.data of type string", path: ["data", "enabled"] },
  { name: "configmap data not a map", object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: ["a"] }, message: "json: cannot unmarshal array into Go struct field ConfigMap.data of type map[string]string", path: ["data"] },
  { name: "label value not a string", object: { apiVersion: "v1", kind: "Namespace", metadata: { name: "n", labels: { "istio-injection": true } } }, message: "json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string", path: ["metadata", "labels", "istio-injection"] },
  { name: "name not a string", object: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: 42 } }, message: "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string", path: ["metadata", "name"] },
  { name: "selector expression values", object: deploy({ selector: { matchExpressions: [{ key: "app", operator: "In" }] }, template: pod }), message: "spec.selector.matchExpressions[0].values: Required value", path: ["spec", "selector", "matchExpressions", 0, "values"] },
];

describe("kubernetesProblems", () => {
  for (const [name, object] of valid) {
    it(`valid: ${name}`, () => {
      expect(kubernetesProblems(object)).toEqual([]);
    });
  }
  for (const c of invalid) {
    it(`invalid: ${c.name}`, () => {
      const problems = kubernetesProblems(c.object);
      const hit = problems.find((p) => p.message.includes(c.message));
      expect(hit, `expected "${c.message}" in ${JSON.stringify(problems, null, 1)}`).toBeDefined();
      expect(hit!.path).toEqual(c.path);
      expect(hit!.severity).toBe(2);
      expect(hit!.source).toBe("apiserver");
    });
  }
});

describe("kubernetesProblems malformed input", () => {
  const kinds: [string, string][] = [
    ["v1", "Service"], ["v1", "Pod"], ["v1", "Namespace"], ["v1", "Endpoints"], ["apps/v1", "Deployment"], ["apps/v1", "StatefulSet"],
    ["batch/v1", "Job"], ["batch/v1", "CronJob"], ["discovery.k8s.io/v1", "EndpointSlice"],
  ];
  const specs: unknown[] = [
    "string", 5, null, [], { ports: 5, selector: "x" }, { ports: [null, 5, "x", { port: "80", targetPort: [], name: 5 }] },
    { selector: { matchLabels: 5, matchExpressions: [null, { key: 5, operator: 7 }] }, template: "x" },
    { template: { metadata: 5, spec: { containers: [null, 5, { ports: "x" }, { ports: [null, { containerPort: "x" }] }] } } },
    { jobTemplate: { spec: 5 } },
  ];
  for (const [apiVersion, kind] of kinds) {
    it(`never throws: ${kind}`, () => {
      for (const spec of specs) {
        for (const metadata of [5, null, { name: 5, labels: "x" }]) {
          expect(() => kubernetesProblems({ apiVersion, kind, metadata, spec, subsets: spec, endpoints: spec, ports: spec })).not.toThrow();
        }
      }
    });
  }
  it("ignores non-objects", () => {
    expect(kubernetesProblems(5 as unknown as O)).toEqual([]);
  });
});
