import { describe, expect, it } from "vitest";
import { lintRule } from "../helpers.js";

const RULE = "conflicting-gateways";

/** Runs the rule on one manifest; each message as `line:column messageId resource`. */
async function run(yaml: string): Promise<string[]> {
  const { messages } = await lintRule(RULE, yaml);
  return messages.map((message) => `${message.line}:${message.column} ${message.messageId} ${message.resource?.name} ${message.istioCode}`);
}

/** A Gateway document (a trailing `---`); the first server's hosts are on its line 8. */
function gateway(name: string, selector: string, servers: string[]): string {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ${name}}
spec:
  selector: ${selector}
  servers:
${servers.join("\n")}
---
`;
}
const server = (port: number, protocol: string, hosts: string, tls = "") =>
  `  - port: {number: ${port}, name: p${port}, protocol: ${protocol}}\n    hosts: ${hosts}${tls ? `\n    tls: ${tls}` : ""}`;
const TLS = "{mode: SIMPLE, credentialName: cert}";

const PODS = `apiVersion: v1
kind: Pod
metadata: {name: gw-1, labels: {istio: ingressgateway, app: istio-ingressgateway, team: a}}
spec:
  containers: [{name: istio-proxy, image: auto}]
`;

describe(RULE, () => {
  const valid: [string, string][] = [
    ["different ports", gateway("a", "{istio: ingressgateway}", [server(80, "HTTP", "[foo.bar]")]) + gateway("b", "{istio: ingressgateway}", [server(443, "TCP", "[foo.bar]")])],
    ["different hosts", gateway("a", "{istio: ingressgateway}", [server(443, "HTTPS", "[a.example.com]", TLS)]) + gateway("b", "{istio: ingressgateway}", [server(443, "HTTPS", "[b.example.com]", TLS)])],
    ["overlapping wildcards only", gateway("a", "{istio: ingressgateway}", [server(443, "HTTPS", "['*']", TLS)]) + gateway("b", "{istio: ingressgateway}", [server(443, "HTTPS", "[b.example.com]", TLS)])],
    ["different workloads", gateway("a", "{istio: ingressgateway}", [server(80, "HTTP", "[foo.bar]")]) + gateway("b", "{istio: egressgateway}", [server(80, "HTTP", "[foo.bar]")])],
    ["selectors that share no pod", PODS + "---\n" + gateway("a", "{team: a}", [server(80, "HTTP", "[foo.bar]")]) + gateway("b", "{team: b}", [server(80, "HTTP", "[foo.bar]")])],
  ];
  it.each(valid)("valid: %s", async (_, yaml) => {
    expect(await run(yaml)).toEqual([]);
  });

  const invalid: [string, string, string[]][] = [
    [
      "TCP and HTTP on the same port and host",
      gateway("beta", "{istio: ingressgateway}", [server(80, "TCP", "[foo.bar]")]) + gateway("alpha", "{istio: ingressgateway}", [server(80, "HTTP", "[foo.bar]")]),
      ["8:13 dropped beta IST0145", "17:13 dropped alpha IST0145"],
    ],
    [
      "two plain HTTP servers are merged",
      gateway("a", "{istio: ingressgateway}", [server(80, "HTTP", "[foo.bar]")]) + gateway("b", "{istio: ingressgateway}", [server(80, "HTTP", "[foo.bar, other.bar]")]),
      ["8:13 merged a IST0145", "17:13 merged b IST0145"],
    ],
    [
      "only the server on the shared port",
      gateway("a", "{istio: ingressgateway}", [server(70, "HTTP", "[foo.bar]"), server(90, "HTTP", "[foo.bar]")]) +
        gateway("b", "{istio: ingressgateway}", [server(80, "TCP", "[foo.bar]"), server(90, "TCP", "[foo.bar]")]),
      ["10:13 dropped a IST0145", "21:13 dropped b IST0145"],
    ],
    [
      "different selectors sharing a pod",
      PODS + "---\n" + gateway("a", "{istio: ingressgateway, team: a}", [server(443, "HTTPS", "[foo.bar]", TLS)]) + gateway("b", "{app: istio-ingressgateway}", [server(443, "HTTPS", "[foo.bar]", TLS)]),
      ["14:13 dropped a IST0145", "24:13 dropped b IST0145"],
    ],
    [
      "ns/host and host name the same host",
      gateway("a", "{istio: ingressgateway}", [server(443, "HTTPS", "['*/foo.bar']", TLS)]) + gateway("b", "{istio: ingressgateway}", [server(443, "HTTPS", "[foo.bar]", TLS)]),
      ["8:13 dropped a IST0145", "18:13 dropped b IST0145"],
    ],
  ];
  it.each(invalid)("invalid: %s", async (_, yaml, expected) => {
    expect(await run(yaml)).toEqual(expected);
  });

  it("names the route table as istiod does: http. and the container port behind the server port", async () => {
    const yaml = gateway("a", "{istio: ingressgateway}", [server(80, "HTTP", "[foo.bar]")]) + gateway("b", "{istio: ingressgateway}", [server(80, "HTTP", "[foo.bar]")]);
    const { messages } = await lintRule(RULE, yaml);
    expect(messages.map((message) => /share route table (\S+),/.exec(message.message)?.[1])).toEqual(["http.8080", "http.8080"]);
  });
});
