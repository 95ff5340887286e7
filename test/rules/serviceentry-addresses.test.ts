import { describe, expect, it } from "vitest";
import { lintRule } from "../helpers.js";

const RULE = "serviceentry-addresses";

async function run(yaml: string, mesh?: string): Promise<string[]> {
  const { messages } = await lintRule(RULE, { "input.yaml": yaml, ...(mesh ? { "mesh.yaml": mesh } : {}) }, [...(mesh ? ["--mesh-config", "mesh.yaml"] : []), "input.yaml"]);
  return messages.map((message) => `${message.line}:${message.column} ${message.messageId} ${message.istioCode}`);
}

/** A ServiceEntry; its single port on line 10. */
function entry(port: string, extra = ""): string {
  return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: ext
spec:
  hosts: [ext.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports:
  - ${port}
${extra}`;
}

const AUTO = `defaultConfig:
  proxyMetadata:
    ISTIO_META_DNS_CAPTURE: "true"
    ISTIO_META_DNS_AUTO_ALLOCATE: "true"
`;

describe(RULE, () => {
  const valid: [string, string, string?][] = [
    ["HTTPS", entry("{number: 443, name: https, protocol: HTTPS}")],
    ["TLS", entry("{number: 443, name: tls, protocol: TLS}")],
    ["HTTP", entry("{number: 80, name: http, protocol: HTTP}")],
    ["addresses", entry("{number: 5432, name: tcp, protocol: TCP}", "  addresses: [10.0.0.1]\n")],
    ["addresses allocated in the status", entry("{number: 5432, name: tcp, protocol: TCP}", "status:\n  addresses:\n  - value: 240.240.0.1\n")],
    ["DNS capture with auto-allocation", entry("{number: 5432, name: tcp, protocol: TCP}"), AUTO],
    ["DNS capture with PILOT_ENABLE_IP_AUTOALLOCATE", entry("{number: 5432, name: tcp}"), `defaultConfig:\n  proxyMetadata:\n    ISTIO_META_DNS_CAPTURE: "true"\n    PILOT_ENABLE_IP_AUTOALLOCATE: "true"\n`],
    ["the mesh config inside the istio ConfigMap", entry("{number: 5432, name: tcp}"), `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n${AUTO.replace(/^/gm, "    ")}`],
  ];
  it.each(valid)("valid: %s", async (_, yaml, mesh) => {
    expect(await run(yaml, mesh)).toEqual([]);
  });

  const invalid: [string, string, string[], string?][] = [
    ["TCP", entry("{number: 5432, name: tcp, protocol: TCP}"), ["10:31 tcp IST0134"]],
    ["tcp, lower case", entry("{number: 5432, name: tcp, protocol: tcp}"), ["10:31 tcp IST0134"]],
    ["no protocol", entry("{number: 5432, name: db}"), ["10:6 unset IST0134"]],
    ["empty protocol", entry('{number: 5432, name: db, protocol: ""}'), ["10:6 unset IST0134"]],
    ["auto-allocation without DNS capture does not count", entry("{number: 5432, name: tcp, protocol: TCP}"), ["10:31 tcp IST0134"], `defaultConfig:\n  proxyMetadata:\n    ISTIO_META_DNS_AUTO_ALLOCATE: "true"\n`],
  ];
  it.each(invalid)("invalid: %s", async (_, yaml, expected, mesh) => {
    expect(await run(yaml, mesh)).toEqual(expected);
  });
});
