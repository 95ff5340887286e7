import { describe, expect, it } from "vitest";
import { documents as doc } from "../fixtures/manifests.js";
import { lintRule } from "../helpers.js";

const RULE = "deployment-services";

async function findings(yaml: string): Promise<string[]> {
  const { messages, stderr } = await lintRule(RULE, yaml);
  expect(stderr).toBe("");
  return messages.map((message) => `${message.line}:${message.column} ${message.istioCode} ${message.resource?.kind} ${message.resource?.namespace}/${message.resource?.name}: ${message.message}`);
}

function workload(kind: string, name: string, ns: string, options: { labels?: string; ports?: string; metadataLabels?: string } = {}): string {
  return `apiVersion: apps/v1
kind: ${kind}
metadata:
  name: ${name}
  namespace: ${ns}
${options.metadataLabels ?? ""}spec:
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
${options.labels ?? ""}    spec:
      containers:
      - name: app
        image: app:1.0
${options.ports ?? ""}`;
}

function service(name: string, ns: string, app: string, ports: string): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  selector:
    app: ${app}
  ports:
${ports}`;
}

const injected = (name: string) => `apiVersion: v1
kind: Namespace
metadata:
  name: ${name}
  labels:
    istio-injection: enabled
`;

describe("deployment-services: valid", () => {
  it.each([
    [
      "Services of the same name in different namespaces",
      doc(workload("Deployment", "web", "a"), service("web-http", "a", "web", "  - {name: http, port: 8080}\n"), service("web-tcp", "b", "web", "  - {name: tcp, port: 8080}\n")),
    ],
    [
      "a workload outside the mesh",
      doc(
        `apiVersion: v1
kind: Namespace
metadata:
  name: legacy
`,
        workload("Deployment", "web", "legacy"),
        service("web-http", "legacy", "web", "  - {name: http, port: 8080}\n"),
        service("web-tcp", "legacy", "web", "  - {name: tcp, port: 8080}\n"),
      ),
    ],
    [
      "a sniffed port next to an HTTP port",
      doc(workload("Deployment", "web", "a"), service("web", "a", "web", "  - {name: http, port: 8080}\n"), service("web-2", "a", "web", "  - {name: web, port: 8080}\n")),
    ],
    [
      "TCP and UDP on port 53",
      doc(
        workload("Deployment", "dns", "a"),
        service("dns-tcp", "a", "dns", "  - {name: tcp-dns, port: 53}\n"),
        service("dns-udp", "a", "dns", "  - {name: udp-dns, port: 53, protocol: UDP}\n"),
      ),
    ],
    [
      "a Service without selector and one with an empty selector",
      doc(
        workload("Deployment", "web", "a"),
        service("web", "a", "web", "  - {name: http, port: 8080}\n"),
        `apiVersion: v1
kind: Service
metadata:
  name: web-external
  namespace: a
spec:
  selector: {}
  ports:
  - {name: tcp, port: 8080, targetPort: 9000}
`,
      ),
    ],
    [
      "the same port and target port in two Services",
      doc(workload("Deployment", "web", "a"), service("web", "a", "web", "  - {name: http, port: 80, targetPort: 8080}\n"), service("web-canary", "a", "web", "  - {name: http-web, port: 80, targetPort: 8080}\n")),
    ],
    [
      "a waypoint Deployment",
      doc(
        workload("Deployment", "waypoint", "a", { metadataLabels: "  labels:\n    gateway.istio.io/managed: istio.io-mesh-controller\n" }),
        service("waypoint", "a", "waypoint", "  - {name: http, port: 15008}\n"),
        service("waypoint-tcp", "a", "waypoint", "  - {name: tcp, port: 15008}\n"),
      ),
    ],
  ])("%s", async (_, yaml) => {
    expect(await findings(yaml)).toEqual([]);
  });
});

describe("deployment-services: invalid", () => {
  it("appProtocol decides the protocol", async () => {
    const got = await findings(
      doc(
        injected("a"),
        workload("StatefulSet", "db", "a"),
        service("db", "a", "db", "  - {name: main, port: 5432, appProtocol: tcp}\n"),
        service("db-web", "a", "db", "  - {name: main, port: 5432, appProtocol: http}\n"),
      ),
    );
    expect(got).toEqual([
      '11:3 IST0116 StatefulSet a/db: Services "db", "db-web" select StatefulSet db with port 5432 but different protocols (HTTP, TCP): Istio needs one protocol per port of a workload, and its sidecar serves the port with only one of them. Give the port the same protocol (name prefix or appProtocol) in every Service.',
    ]);
  });

  it("a named target port is resolved against the container ports", async () => {
    const got = await findings(
      doc(
        workload("Deployment", "web", "a", { ports: "        ports:\n        - {name: http, containerPort: 8080}\n" }),
        service("web", "a", "web", "  - {name: http, port: 80, targetPort: http}\n"),
        service("web-internal", "a", "web", "  - {name: http, port: 8080}\n"),
      ),
    );
    expect(got).toEqual([
      '4:3 IST0137 Deployment a/web: Services "web", "web-internal" select Deployment web and send its target port 8080 from different service ports (80, 8080): Istio needs every Service to expose a container port under the same port number. Use one port number for target port 8080.',
    ]);
  });

  it("one Service exposing a target port twice", async () => {
    const got = await findings(
      doc(
        workload("Deployment", "web", "a"),
        service("web", "a", "web", "  - {name: http, port: 80, targetPort: 8080}\n  - {name: http-alt, port: 8000, targetPort: 8080}\n"),
        service("web-2", "a", "web", "  - {name: http, port: 80, targetPort: 8080}\n"),
      ),
    );
    expect(got.map((line) => line.split(": ")[0])).toEqual(["4:3 IST0137 Deployment a/web"]);
    expect(got[0]).toContain("from different service ports (80, 8000)");
  });
});

describe("deployment-services: one object given twice", () => {
  it("a Service does not conflict with itself", async () => {
    const svc = service("web", "a", "web", "  - {name: http, port: 80, targetPort: 8080}\n  - {name: tcp-admin, port: 9000}\n");
    expect(await findings(doc(workload("Deployment", "web", "a"), svc, svc))).toEqual([]);
  });
});
