import { describe, expect, it } from "vitest";
import { lintRule } from "../helpers.js";

const RULE = "port-protocol";

async function run(yaml: string): Promise<string[]> {
  const { messages } = await lintRule(RULE, yaml);
  return messages.map((message) => `${message.line}:${message.column} ${message.messageId} ${message.istioCode}`);
}

/** A Service with one port (the port's first key on line 8). */
function service(port: string, extra: { namespace?: string; labels?: string; type?: string } = {}): string {
  return `apiVersion: v1
kind: Service
metadata: {name: svc, namespace: ${extra.namespace ?? "default"}, labels: ${extra.labels ?? "{}"}}
spec:
  type: ${extra.type ?? "ClusterIP"}
  externalName: ext.example.com
  ports:
  - ${port}
`;
}

describe(RULE, () => {
  const valid: [string, string][] = [
    ["name prefix", service("{name: http-web, port: 80}")],
    ["name is the protocol", service("{name: grpc, port: 80}")],
    ["grpc-web", service("{name: grpc-web-ui, port: 80}")],
    ["case-insensitive", service("{name: HTTP2-api, port: 80}")],
    ["appProtocol overrides the name", service("{name: web, appProtocol: http, port: 80}")],
    ["kubernetes.io/h2c", service("{name: web, appProtocol: kubernetes.io/h2c, port: 80}")],
    ["UDP", service("{name: dns, port: 5353, protocol: UDP}")],
    ["well-known port (MySQL)", service("{port: 3306}")],
    ["kube-system", service("{port: 8080}", { namespace: "kube-system" })],
    ["kube-node-lease", service("{port: 8080}", { namespace: "kube-node-lease" })],
    ["Istio control plane (istio label)", service("{port: 8080}", { namespace: "istio-system", labels: "{istio: pilot}" })],
    ["Istio control plane (release: istio)", service("{port: 8080}", { labels: "{release: istio}" })],
    ["waypoint managed by istiod", service("{name: mesh, port: 15008, appProtocol: hbone}", { labels: "{gateway.istio.io/managed: istio.io-mesh-controller}" })],
    ["ExternalName with https", service("{name: https, port: 443}", { type: "ExternalName" })],
    ["ExternalName with a tcp- prefix", service("{name: tcp-db, port: 5432}", { type: "ExternalName" })],
  ];
  it.each(valid)("valid: %s", async (_, yaml) => {
    expect(await run(yaml)).toEqual([]);
  });

  const invalid: [string, string, string[]][] = [
    ["unnamed", service("{port: 8080}"), ["8:5 unnamed IST0118"]],
    ["unknown prefix", service("{name: foo, port: 8080}"), ["8:6 unknownName IST0118"]],
    ["near miss", service("{name: grcp-api, port: 8080}"), ["8:6 unknownNameSuggest IST0118"]],
    ["h2c is no port-name prefix", service("{name: h2c-api, port: 8080}"), ["8:6 unknownName IST0118"]],
    ["unknown appProtocol wins over a good name", service("{name: http, appProtocol: websocket, port: 8080}"), ["8:18 unknownAppProtocol IST0118"]],
    ["istio-system is not skipped without the label", service("{port: 8080}", { namespace: "istio-system" }), ["8:5 unnamed IST0118"]],
    ["ExternalName named tcp", service("{name: tcp, port: 443}", { type: "ExternalName" }), ["8:6 externalName IST0150"]],
    ["ExternalName unnamed", service("{port: 443}", { type: "ExternalName" }), ["8:5 externalName IST0150"]],
  ];
  it.each(invalid)("invalid: %s", async (_, yaml, expected) => {
    expect(await run(yaml)).toEqual(expected);
  });
});
