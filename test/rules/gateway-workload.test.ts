import { describe, expect, it } from "vitest";
import { lintRule } from "../helpers.js";

const RULE = "gateway-workload";

/** Runs the rule on one manifest; each message as `line:column messageId istioCode`. */
async function run(yaml: string, args: string[] = []): Promise<string[]> {
  const { messages } = await lintRule(RULE, yaml, [...args, "input.yaml"]);
  return messages.map((message) => `${message.line}:${message.column} ${message.messageId} ${message.istioCode ?? "-"}`);
}

function gateway(selector: string, ports: number[], name = "gw"): string {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ${name}}
spec:
  selector: ${selector}
  servers:
${ports.map((port) => `  - port: {number: ${port}, name: p${port}, protocol: HTTP}\n    hosts: ["*"]`).join("\n")}
---
`;
}

const CUSTOM = `apiVersion: apps/v1
kind: Deployment
metadata: {name: edge, namespace: edge}
spec:
  selector: {matchLabels: {app: edge}}
  template:
    metadata: {labels: {app: edge}}
    spec:
      containers:
      - name: istio-proxy
        image: auto
        ports: [{containerPort: 8443, name: https-port}]
---
apiVersion: v1
kind: Service
metadata: {name: edge, namespace: edge}
spec:
  selector: {app: edge}
  ports:
  - {name: http2, port: 80, targetPort: 8080}
  - {name: https, port: 443, targetPort: https-port}
  - {name: dns, port: 53, protocol: UDP}
`;

describe(RULE, () => {
  const valid: [string, string, string[]?][] = [
    ["default ingress gateway, service port", gateway("{istio: ingressgateway}", [80, 443])],
    ["default ingress gateway, target port", gateway("{istio: ingressgateway}", [8080, 8443])],
    ["custom gateway in another namespace: service port, numeric and named target ports", gateway("{app: edge}", [80, 8080, 443, 8443]) + CUSTOM],
    ["no selector applies to every gateway proxy", gateway("{}", [80])],
    ["egress gateway of the demo profile", gateway("{istio: egressgateway}", [443]), ["--install", "demo"]],
  ];
  it.each(valid)("valid: %s", async (_, yaml, args) => {
    expect(await run(yaml, args)).toEqual([]);
  });

  const invalid: [string, string, string[], string[]?][] = [
    ["selector matching nothing", gateway("{istio: ingresstypo}", [80]), ["5:14 noWorkloadSuggest IST0101"]],
    ["selector matching nothing, nothing close", gateway("{team: payments}", [80]), ["5:14 noWorkload IST0101"]],
    // A value the API server rejects (the schema rule says so) matches no workload; it is not dropped from the selector (the nearest workload is still suggested).
    ["a list as a selector value matches nothing", gateway("{istio: [ingressgateway]}", [80]), ["5:14 noWorkloadSuggest IST0101"]],
    ["a mapping as a selector value matches nothing", gateway("{istio: {name: ingressgateway}}", [80]), ["5:14 noWorkloadSuggest IST0101"]],
    ["port not on the Service", gateway("{istio: ingressgateway}", [80, 8004]), ["9:12 portNotOnService IST0162"]],
    ["UDP service port does not count", gateway("{app: edge}", [53]) + CUSTOM, ["7:12 portNotOnService IST0162"]],
    [
      "gateway workload without a Service",
      gateway("{app: bare}", [80]) +
        `apiVersion: v1
kind: Pod
metadata: {name: bare, labels: {app: bare}}
spec:
  containers: [{name: istio-proxy, image: auto}]
`,
      ["7:12 noService IST0162"],
    ],
  ];
  it.each(invalid)("invalid: %s", async (_, yaml, expected, args) => {
    expect(await run(yaml, args)).toEqual(expected);
  });

  it("--install none: the default selector matches nothing", async () => {
    expect(await run(gateway("{istio: ingressgateway}", [80]), ["--install", "none"])).toEqual(["5:14 noWorkload IST0101"]);
  });
});
