import { describe, expect, it } from "vitest";
import { lintRule } from "../helpers.js";

const RULE = "tls-no-ca";

async function run(yaml: string): Promise<string[]> {
  const { messages } = await lintRule(RULE, yaml);
  return messages.map((message) => `${message.line}:${message.column} ${message.messageId} ${message.istioCode ?? "-"}`);
}

/** A DestinationRule; `body` is the spec after `host` (starting on line 7). */
function rule(body: string): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: db
spec:
  host: db.example.com
${body}`;
}

describe(RULE, () => {
  const valid: [string, string][] = [
    ["caCertificates", rule("  trafficPolicy:\n    tls: {mode: SIMPLE, caCertificates: /etc/ca.pem}\n")],
    ["ISTIO_MUTUAL", rule("  trafficPolicy:\n    tls: {mode: ISTIO_MUTUAL}\n")],
    ["DISABLE", rule("  trafficPolicy:\n    tls: {mode: DISABLE}\n")],
    ["credentialName with a workloadSelector", rule("  workloadSelector:\n    matchLabels: {istio: egressgateway}\n  trafficPolicy:\n    tls: {mode: SIMPLE, credentialName: db-ca}\n")],
    ["port level with caCertificates", rule("  trafficPolicy:\n    portLevelSettings:\n    - port: {number: 443}\n      tls: {mode: MUTUAL, caCertificates: /etc/ca.pem, clientCertificate: /c, privateKey: /k}\n")],
  ];
  it.each(valid)("valid: %s", async (_, yaml) => {
    expect(await run(yaml)).toEqual([]);
  });

  const invalid: [string, string, string[]][] = [
    ["SIMPLE at destination level", rule("  trafficPolicy:\n    tls:\n      mode: SIMPLE\n"), ["9:7 destination IST0128"]],
    ["MUTUAL at port level", rule("  trafficPolicy:\n    portLevelSettings:\n    - port: {number: 443}\n      tls:\n        mode: MUTUAL\n"), ["11:9 port IST0129"]],
    [
      "both levels",
      rule("  trafficPolicy:\n    tls:\n      mode: MUTUAL\n    portLevelSettings:\n    - port: {number: 443}\n      tls:\n        mode: SIMPLE\n"),
      ["9:7 destination IST0128", "13:9 port IST0129"],
    ],
    ["credentialName without a workloadSelector", rule("  trafficPolicy:\n    tls:\n      mode: SIMPLE\n      credentialName: db-ca\n"), ["9:7 credentialNameIgnored IST0128"]],
    ["insecureSkipVerify", rule("  trafficPolicy:\n    tls:\n      mode: SIMPLE\n      insecureSkipVerify: true\n"), ["9:7 skipVerify IST0128"]],
    ["subset level (no Istio code)", rule("  subsets:\n  - name: v1\n    labels: {version: v1}\n    trafficPolicy:\n      tls:\n        mode: SIMPLE\n"), ["12:9 subset -"]],
  ];
  it.each(invalid)("invalid: %s", async (_, yaml, expected) => {
    expect(await run(yaml)).toEqual(expected);
  });
});
