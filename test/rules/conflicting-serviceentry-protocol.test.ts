import { describe, expect, it } from "vitest";
import { lintRule } from "../helpers.js";

const RULE = "conflicting-serviceentry-protocol";

async function run(yaml: string): Promise<string[]> {
  const { messages } = await lintRule(RULE, yaml);
  return messages.map((message) => `${message.line}:${message.column} ${message.messageId} ${message.resource?.namespace}/${message.resource?.name}`);
}

/** A ServiceEntry of 9 lines (+ `---`); its port on line 8. */
function entry(name: string, namespace: string, port: string, exportTo = "['*']", host = "api.example.com"): string {
  return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  hosts: [${host}]
  exportTo: ${exportTo}
  ports:
  - ${port}
  resolution: DNS
---
`;
}

describe(RULE, () => {
  const valid: [string, string][] = [
    ["same protocol", entry("a", "default", "{number: 443, name: https, protocol: HTTPS}") + entry("b", "default", "{number: 443, name: https-2, protocol: https}")],
    ["different ports", entry("a", "default", "{number: 443, name: https, protocol: HTTPS}") + entry("b", "default", "{number: 80, name: http, protocol: HTTP}")],
    ["different hosts", entry("a", "default", "{number: 443, name: https, protocol: HTTPS}") + entry("b", "default", "{number: 443, name: tls, protocol: TLS}", "['*']", "other.example.com")],
    ["private to different namespaces", entry("a", "ns1", "{number: 443, name: https, protocol: HTTPS}", "['.']") + entry("b", "ns2", "{number: 443, name: tls, protocol: TLS}", "['.']")],
    ["exported to different namespaces", entry("a", "ns1", "{number: 443, name: https, protocol: HTTPS}", "[ns3]") + entry("b", "ns2", "{number: 443, name: tls, protocol: TLS}", "[ns4]")],
  ];
  it.each(valid)("valid: %s", async (_, yaml) => {
    expect(await run(yaml)).toEqual([]);
  });

  const invalid: [string, string, string[]][] = [
    [
      "HTTP and HTTPS",
      entry("se-https", "default", "{number: 13835, name: https, protocol: HTTPS}") + entry("se-http", "default", "{number: 13835, name: http, protocol: HTTP}"),
      ["8:34 conflict default/se-https", "18:33 conflict default/se-http"],
    ],
    [
      "unset and TCP",
      entry("a", "default", "{number: 5432, name: db}") + entry("b", "default", "{number: 5432, name: tcp, protocol: TCP}"),
      ["8:6 conflict default/a", "18:31 conflict default/b"],
    ],
    [
      "a public entry and one private to a namespace",
      entry("a", "ns1", "{number: 443, name: https, protocol: HTTPS}", "['.']") + entry("b", "ns2", "{number: 443, name: tls, protocol: TLS}"),
      ["8:32 conflictAcrossNamespaces ns1/a", "18:30 conflictAcrossNamespaces ns2/b"],
    ],
  ];
  it.each(invalid)("invalid: %s", async (_, yaml, expected) => {
    expect(await run(yaml)).toEqual(expected);
  });
});
