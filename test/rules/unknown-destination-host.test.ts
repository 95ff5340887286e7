import { describe, expect, it } from "vitest";
import { tlsServiceEntry } from "../fixtures/manifests.js";
import { lintRule } from "../helpers.js";

const RULE = "unknown-destination-host";

/** Runs the rule on one manifest; each message as `line:column messageId istioCode`. */
async function run(yaml: string): Promise<string[]> {
  const { messages } = await lintRule(RULE, yaml);
  return messages.map((message) => `${message.line}:${message.column} ${message.messageId} ${message.istioCode ?? "-"}`);
}

const SERVICES = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  ports: [{name: http, port: 80}, {name: https, port: 443}]
---
apiVersion: v1
kind: Service
metadata:
  name: hello
  namespace: hello
  annotations: {networking.istio.io/exportTo: "hello1,."}
spec:
  ports: [{name: http, port: 9080}]
---
${tlsServiceEntry("eu", "default", '["*.eu.example.com"]')}---
${tlsServiceEntry("private", "other", "[private.example.com]", '["."]')}---
${tlsServiceEntry("shared", "other", "[shared.example.com]", "[default]")}---
`;
const BASE = SERVICES.split("\n").length - 1;

/** A VirtualService after the services; `line` numbers in the cases count from the VirtualService's first line. */
function vs(body: string): string {
  return SERVICES + body;
}
const at = (line: number, column: number, rest: string) => `${line + BASE}:${column} ${rest}`;

describe(RULE, () => {
  const valid: [string, string][] = [
    [
      "short name, FQDN, the wildcard host of a ServiceEntry, ServiceEntry exported to the namespace, mirrors",
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ok, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
    - destination: {host: reviews.default.svc.cluster.local, port: {number: 9080}}
    mirror: {host: web, port: {number: 80}}
    mirrors:
    - destination: {host: reviews}
  tls:
  - match: [{sniHosts: [a.eu.example.com]}]
    route:
    - destination: {host: "*.eu.example.com"}
  tcp:
  - route:
    - destination: {host: shared.example.com}
`,
    ],
    [
      "Service exported by annotation to the VirtualService's namespace",
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: hello, namespace: hello1}
spec:
  hosts: [hello.hello.svc.cluster.local]
  http:
  - route:
    - destination: {host: hello.hello.svc.cluster.local}
`,
    ],
    [
      "VirtualService exportTo list: visible from one of its namespaces",
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: hello, namespace: elsewhere}
spec:
  exportTo: [hello1, other]
  hosts: [hello.hello.svc.cluster.local]
  http:
  - route:
    - destination: {host: hello.hello.svc.cluster.local}
`,
    ],
    [
      "gateway route with a subset; mesh route without subsets",
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: mesh, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge, namespace: default}
spec:
  hosts: [reviews.example.com]
  gateways: [istio-system/public]
  http:
  - route:
    - destination: {host: reviews}
`,
    ],
  ];
  it.each(valid)("valid: %s", async (_, body) => {
    expect(await run(vs(body))).toEqual([]);
  });

  const invalid: [string, string, string[]][] = [
    [
      "unknown host in route, mirror, mirrors and tcp route",
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bogus, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews-bogus}
    mirror: {host: nothing}
    mirrors:
    - destination: {host: nothing-either}
  tcp:
  - route:
    - destination: {host: db.example.com}
`,
      [
        at(8, 21, "unknownHost IST0101"),
        at(9, 14, "unknownHost IST0101"),
        at(11, 21, "unknownHost IST0101"),
        at(14, 21, "unknownHost IST0101"),
      ],
    ],
    [
      // istioctl analyze accepts these (IST0101 matches wildcards); istiod has no cluster named after them.
      "hosts only a wildcard ServiceEntry host covers (no istioCode: the analyzer does not report them)",
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: wild, namespace: default}
spec:
  hosts: [a.eu.example.com]
  tls:
  - match: [{sniHosts: [a.eu.example.com]}]
    route:
    - destination: {host: a.eu.example.com}
  tcp:
  - route:
    - destination: {host: "*.b.eu.example.com"}
`,
      [at(9, 21, "wildcardOnly -"), at(12, 21, "wildcardOnly -")],
    ],
    [
      "ServiceEntry private to another namespace",
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: other, namespace: default}
spec:
  hosts: [reviews]
  tls:
  - match: [{sniHosts: [private.example.com]}]
    route:
    - destination: {host: private.example.com}
`,
      [at(9, 21, "notExported IST0101")],
    ],
    [
      "port the service does not have; several ports and none named",
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ports, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination:
        host: reviews
        port: {number: 999}
  - route:
    - destination: {host: web}
`,
      [at(10, 16, "unknownPort IST0101"), at(12, 21, "portRequired IST0112")],
    ],
    [
      "VirtualService exported only where the service is not",
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bogus-export, namespace: hello}
spec:
  exportTo: [bogus]
  hosts: [hello]
  http:
  - route:
    - destination: {host: hello.hello.svc.cluster.local}
`,
      [at(9, 21, "notExported IST0101")],
    ],
    [
      "service not exported to the namespace of the gateway's proxies",
      `apiVersion: v1
kind: Service
metadata:
  name: local
  namespace: default
  annotations: {networking.istio.io/exportTo: "."}
spec:
  ports: [{name: http, port: 80}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [local.example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge, namespace: default}
spec:
  hosts: [local.example.com]
  gateways: [public]
  http:
  - route:
    - destination: {host: local}
`,
      [at(27, 21, "notVisibleToGateway -")],
    ],
    [
      "gateway route without subset to a host the mesh VirtualService splits by subset",
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: mesh, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge, namespace: default}
spec:
  hosts: [reviews.example.com]
  gateways: [istio-system/public]
  http:
  - route:
    - destination: {host: reviews.default.svc.cluster.local}
`,
      [at(18, 21, "subsetBypassed IST0140")],
    ],
  ];
  it.each(invalid)("invalid: %s", async (_, body, expected) => {
    expect(await run(vs(body))).toEqual(expected);
  });
});

describe(`${RULE}: the control plane of the assumed installation`, () => {
  // An east-west gateway passing istiod's port through, as multicluster setups expose it.
  const EXPOSE_ISTIOD = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: istiod, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [eastwest]
  tls:
  - match: [{port: 15012, sniHosts: ["*"]}]
    route:
    - destination: {host: istiod.istio-system.svc.cluster.local, port: {number: 15012}}
`;
  it.each([
    ["istiod is assumed in the root namespace (default profile)", [], []],
    ["--install none assumes nothing", ["--install", "none"], ["10:21 unknownHost IST0101"]],
  ])("%s", async (_, args, expected) => {
    const { messages } = await lintRule(RULE, EXPOSE_ISTIOD, ["input.yaml", ...args]);
    expect(messages.map((m) => `${m.line}:${m.column} ${m.messageId} ${m.istioCode ?? "-"}`)).toEqual(expected);
  });
});
