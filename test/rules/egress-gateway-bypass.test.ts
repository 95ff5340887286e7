import { describe, expect, it } from "vitest";
import { lineOf, lintRule } from "../helpers.js";

interface Options {
  config?: string;
  args?: string[];
}

/** Runs a rule on one manifest; each message as `line:column messageId`, and the texts. */
async function run(rule: string, yaml: string, options: Options = {}): Promise<{ ids: string[]; texts: string[]; severities: number[] }> {
  const files: Record<string, string> = { "input.yaml": yaml };
  if (options.config) files[".mesh-lint.yaml"] = options.config;
  const { messages, stderr } = await lintRule(rule, files, [...(options.args ?? []), "input.yaml"]);
  expect(stderr).toBe("");
  return {
    ids: messages.map((message) => `${message.line}:${message.column} ${message.messageId}`),
    texts: messages.map((message) => message.message),
    severities: messages.map((message) => message.severity),
  };
}

const DEMO = { args: ["--install", "demo"] };

const CLIENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: curl, namespace: default}
spec:
  selector: {matchLabels: {app: curl}}
  template:
    metadata: {labels: {app: curl}}
    spec:
      containers: [{name: curl, image: curlimages/curl}]
---
`;

const SERVICE_ENTRY = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: cnn, namespace: default}
spec:
  hosts: [edition.cnn.com]
  ports:
  - {number: 80, name: http-port, protocol: HTTP}
  - {number: 443, name: tls, protocol: TLS}
  resolution: DNS
---
`;

const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: istio-egressgateway, namespace: default}
spec:
  selector: {istio: egressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [edition.cnn.com]
  - port: {number: 443, name: tls, protocol: TLS}
    hosts: [edition.cnn.com]
    tls: {mode: PASSTHROUGH}
---
`;

const HTTP_MESH_LEG = `  - match:
    - {gateways: [mesh], port: 80}
    route:
    - destination: {host: istio-egressgateway.istio-system.svc.cluster.local, port: {number: 80}}
`;
const HTTP_GATEWAY_LEG = `  - match:
    - {gateways: [istio-egressgateway], port: 80}
    route:
    - destination: {host: edition.cnn.com, port: {number: 80}}
`;
const TLS_MESH_LEG = `  - match:
    - {gateways: [mesh], port: 443, sniHosts: [edition.cnn.com]}
    route:
    - destination: {host: istio-egressgateway.istio-system.svc.cluster.local, port: {number: 443}}
`;
const TLS_GATEWAY_LEG = `  - match:
    - {gateways: [istio-egressgateway], port: 443, sniHosts: [edition.cnn.com]}
    route:
    - destination: {host: edition.cnn.com, port: {number: 443}}
`;

function virtualService(http: string, tls: string): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: cnn-through-egress, namespace: default}
spec:
  hosts: [edition.cnn.com]
  gateways: [istio-egressgateway, mesh]
${http ? `  http:\n${http}` : ""}${tls ? `  tls:\n${tls}` : ""}`;
}

const COMPLETE = CLIENT + SERVICE_ENTRY + GATEWAY + virtualService(HTTP_MESH_LEG + HTTP_GATEWAY_LEG, TLS_MESH_LEG + TLS_GATEWAY_LEG);

describe("egress-gateway-bypass", () => {
  const RULE = "egress-gateway-bypass";
  const valid: [string, string, Options?][] = [
    ["both legs for every port (HTTP and TLS passthrough)", COMPLETE, DEMO],
    ["no egress gateway in the mesh: direct egress is the intended path", CLIENT + SERVICE_ENTRY],
    ["an egress gateway the input deploys, both legs", COMPLETE.replace(/^/, "") + egressGatewayDeployment()],
    ["MESH_INTERNAL ServiceEntries are not external", CLIENT + SERVICE_ENTRY.replace("resolution: DNS", "resolution: DNS\n  location: MESH_INTERNAL"), DEMO],
    [
      "a ServiceEntry no sidecar of the input sees",
      CLIENT + SERVICE_ENTRY.replace("namespace: default}", "namespace: payments}").replace("resolution: DNS", "resolution: DNS\n  exportTo: [.]"),
      DEMO,
    ],
    [
      // No sidecar in the input: a ServiceEntry exported only inside the root namespace is the egress gateway's own.
      "no sidecar in the input and a ServiceEntry kept to the root namespace",
      SERVICE_ENTRY.replace("namespace: default}", "namespace: istio-system}").replace("resolution: DNS", "resolution: DNS\n  exportTo: [.]"),
      DEMO,
    ],
    [
      // istiod leaves a destination host with a dot as written: `istio-egressgateway.istio-system` names no
      // cluster, so the sidecars answer 503 NC (unknown-destination-host), and nothing leaves directly.
      "a mesh leg to a host with no cluster is no bypass",
      CLIENT + SERVICE_ENTRY + GATEWAY +
        virtualService(HTTP_MESH_LEG + HTTP_GATEWAY_LEG, TLS_MESH_LEG + TLS_GATEWAY_LEG).replaceAll(
          "host: istio-egressgateway.istio-system.svc.cluster.local",
          "host: istio-egressgateway.istio-system",
        ),
      DEMO,
    ],
    [
      // The mesh leg matches every request on port 80: Envoy never reaches the /legacy route after it.
      "a direct route after the mesh leg's catch-all is never used",
      CLIENT + SERVICE_ENTRY + GATEWAY +
        virtualService(
          HTTP_MESH_LEG +
            "  - match:\n    - {gateways: [mesh], uri: {prefix: /legacy}}\n    route:\n    - destination: {host: edition.cnn.com, port: {number: 80}}\n" +
            HTTP_GATEWAY_LEG,
          TLS_MESH_LEG + TLS_GATEWAY_LEG,
        ),
      DEMO,
    ],
    [
      // A mesh VirtualService answering every request itself: nothing leaves the mesh on port 80.
      "a mesh route that answers itself (directResponse) sends nothing out",
      CLIENT + SERVICE_ENTRY.replace("  - {number: 443, name: tls, protocol: TLS}\n", "") +
        virtualService("  - directResponse: {status: 403}\n", "").replace("  gateways: [istio-egressgateway, mesh]\n", ""),
      DEMO,
    ],
    [
      // istiod ignores the source conditions of an HTTP match that names gateways (sourceMatchHTTP).
      "an HTTP mesh leg naming gateways applies whatever its sourceNamespace",
      CLIENT + SERVICE_ENTRY + GATEWAY +
        virtualService(HTTP_MESH_LEG.replace("{gateways: [mesh], port: 80}", "{gateways: [mesh], port: 80, sourceNamespace: payments}") + HTTP_GATEWAY_LEG, TLS_MESH_LEG + TLS_GATEWAY_LEG),
      DEMO,
    ],
  ];
  it.each(valid)("valid: %s", async (_, yaml, options) => {
    expect((await run(RULE, yaml, options)).ids).toEqual([]);
  });

  it("no mesh leg: each port of each host, at the ServiceEntry port", async () => {
    const yaml = CLIENT + SERVICE_ENTRY;
    const { ids, texts, severities } = await run(RULE, yaml, DEMO);
    expect(ids).toEqual([`${lineOf(yaml, "{number: 80")}:5 bypass`, `${lineOf(yaml, "{number: 443")}:5 bypass`]);
    expect(severities).toEqual([2, 2]);
    expect(texts[0]).toBe(
      "Port 80 (http-port) of edition.cnn.com bypasses the egress gateway istio-system/istio-egressgateway: no VirtualService bound to mesh sends this port's traffic to it, so the sidecars in namespace default connect to edition.cnn.com directly. Add a VirtualService for edition.cnn.com with gateways [mesh, <egress Gateway>] routing port 80 (http-port) to istio-egressgateway.istio-system.svc.cluster.local, and one bound to the egress Gateway routing on to edition.cnn.com.",
    );
  });

  it("the input relies on the standard egress gateway: assumed without --install demo, so the ports are judged", async () => {
    const yaml = CLIENT + SERVICE_ENTRY + GATEWAY + virtualService(HTTP_MESH_LEG + HTTP_GATEWAY_LEG, "");
    expect((await run(RULE, yaml)).ids).toEqual([`${lineOf(yaml, "{number: 443")}:5 bypass`]);
    expect((await run(RULE, CLIENT + SERVICE_ENTRY + GATEWAY.replace("istio: egressgateway", "istio: ingressgateway"))).ids).toEqual([]);
    expect((await run("unknown-destination-host", COMPLETE)).ids).toEqual([]);
    expect((await run("gateway-workload", COMPLETE)).ids).toEqual([]);
  });

  it("only the HTTP port has a mesh leg: the TLS port bypasses", async () => {
    const yaml = CLIENT + SERVICE_ENTRY + GATEWAY + virtualService(HTTP_MESH_LEG + HTTP_GATEWAY_LEG, "");
    const { ids } = await run(RULE, yaml, DEMO);
    expect(ids).toEqual([`${lineOf(yaml, "{number: 443")}:5 bypass`]);
  });

  it("tcp routes do not apply to a TLS port: the sidecars use TLS routes only there", async () => {
    // A tcp mesh leg for the TLS port: istiod builds the port's filter chains from tls routes, so the
    // sidecars keep the default (direct) chain.
    const tcpMeshLeg = TLS_MESH_LEG.replace(", sniHosts: [edition.cnn.com]", "");
    const yaml = CLIENT + SERVICE_ENTRY + GATEWAY +
      virtualService(HTTP_MESH_LEG + HTTP_GATEWAY_LEG, TLS_GATEWAY_LEG) + `  tcp:\n${tcpMeshLeg}`;
    const { ids } = await run(RULE, yaml, DEMO);
    expect(ids).toEqual([`${lineOf(yaml, "{number: 443")}:5 bypass`]);
  });

  it("a TLS-terminating egress Gateway server forwards with tcp routes only", async () => {
    // ISTIO_MUTUAL on a TLS server: istiod takes the gateway's route from tcp routes, not tls ones.
    const gateway = GATEWAY.replace("tls: {mode: PASSTHROUGH}", "tls: {mode: ISTIO_MUTUAL}");
    const tls = CLIENT + SERVICE_ENTRY + gateway + virtualService(HTTP_MESH_LEG + HTTP_GATEWAY_LEG, TLS_MESH_LEG + TLS_GATEWAY_LEG);
    expect((await run(RULE, tls, DEMO)).ids).toEqual([
      `${lineOf(tls, "hosts: [edition.cnn.com]", tls.indexOf("tls: {mode: ISTIO_MUTUAL}") - 60)}:13 noGatewayRoute`,
    ]);
    const tcpGatewayLeg = TLS_GATEWAY_LEG.replace(", sniHosts: [edition.cnn.com]", "");
    const tcp = CLIENT + SERVICE_ENTRY + gateway + virtualService(HTTP_MESH_LEG + HTTP_GATEWAY_LEG, TLS_MESH_LEG) + `  tcp:\n${tcpGatewayLeg}`;
    expect((await run(RULE, tcp, DEMO)).ids).toEqual([]);
  });

  it("a Sidecar whose egress hosts omit the egress gateway: the mesh leg still reaches it, and its gateway leg is judged", async () => {
    // istiod adds the destinations of the VirtualServices a Sidecar admits to its scope, so the sidecars
    // have the egress gateway's cluster; the missing Gateway server for port 443 must still be found.
    const sidecar = `---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: default}
spec:
  egress:
  - hosts: ["./*"]
`;
    const gateway = GATEWAY.replace("  - port: {number: 443, name: tls, protocol: TLS}\n    hosts: [edition.cnn.com]\n    tls: {mode: PASSTHROUGH}\n", "");
    const yaml = CLIENT + SERVICE_ENTRY + gateway + virtualService(HTTP_MESH_LEG + HTTP_GATEWAY_LEG, TLS_MESH_LEG + TLS_GATEWAY_LEG) + sidecar;
    const { ids } = await run(RULE, yaml, DEMO);
    expect(ids).toEqual([`${lineOf(yaml, "- destination: {host: istio-egressgateway.istio-system.svc.cluster.local, port: {number: 443}}")}:7 noGatewayServer`]);
    expect((await run(RULE, CLIENT + SERVICE_ENTRY + GATEWAY + virtualService(HTTP_MESH_LEG + HTTP_GATEWAY_LEG, TLS_MESH_LEG + TLS_GATEWAY_LEG) + sidecar, DEMO)).ids).toEqual([]);
  });

  it("a direct route before the mesh leg's catch-all", async () => {
    const yaml = CLIENT + SERVICE_ENTRY + GATEWAY +
      virtualService(
        "  - match:\n    - {gateways: [mesh], uri: {prefix: /legacy}}\n    route:\n    - destination: {host: edition.cnn.com, port: {number: 80}}\n" +
          HTTP_MESH_LEG + HTTP_GATEWAY_LEG,
        TLS_MESH_LEG + TLS_GATEWAY_LEG,
      );
    const { ids } = await run(RULE, yaml, DEMO);
    expect(ids).toEqual([`${lineOf(yaml, "- destination: {host: edition.cnn.com, port: {number: 80}}")}:7 bypassRoute`]);
  });

  it("a TLS mesh leg for another source namespace, or other source labels, is no mesh leg for these sidecars", async () => {
    const ofNamespace = TLS_MESH_LEG.replace("sniHosts: [edition.cnn.com]}", "sniHosts: [edition.cnn.com], sourceNamespace: payments}");
    const yaml = CLIENT + SERVICE_ENTRY + GATEWAY + virtualService(HTTP_MESH_LEG + HTTP_GATEWAY_LEG, ofNamespace + TLS_GATEWAY_LEG);
    const { ids, texts } = await run(RULE, yaml, DEMO);
    expect(ids).toEqual([`${lineOf(yaml, "{number: 443")}:5 bypass`]);
    expect(texts[0]).toContain("the sidecars in namespace default connect to edition.cnn.com directly");

    // Only the curl workload's routes send to the egress gateway; the web workload's go direct.
    const ofLabels = TLS_MESH_LEG.replace("sniHosts: [edition.cnn.com]}", "sniHosts: [edition.cnn.com], sourceLabels: {app: curl}}");
    const web = CLIENT.replaceAll("curl", "web");
    const labelled = CLIENT + web + SERVICE_ENTRY + GATEWAY + virtualService(HTTP_MESH_LEG + HTTP_GATEWAY_LEG, ofLabels + TLS_GATEWAY_LEG);
    expect((await run(RULE, labelled, DEMO)).ids).toEqual([`${lineOf(labelled, "{number: 443")}:5 bypass`]);
    expect((await run(RULE, CLIENT + SERVICE_ENTRY + GATEWAY + virtualService(HTTP_MESH_LEG + HTTP_GATEWAY_LEG, ofLabels + TLS_GATEWAY_LEG), DEMO)).ids).toEqual([]);
  });

  it("a route sending straight to the external host", async () => {
    const yaml = CLIENT + SERVICE_ENTRY + GATEWAY +
      virtualService(HTTP_MESH_LEG.replace("istio-egressgateway.istio-system.svc.cluster.local", "edition.cnn.com") + HTTP_GATEWAY_LEG, TLS_MESH_LEG + TLS_GATEWAY_LEG);
    const { ids, texts } = await run(RULE, yaml, DEMO);
    expect(ids).toEqual([`${lineOf(yaml, "- destination: {host: edition.cnn.com, port: {number: 80}}")}:7 bypassRoute`]);
    expect(texts[0]).toContain("This route sends port 80 (http-port) traffic for edition.cnn.com from the sidecars in namespace default straight to edition.cnn.com");
  });

  it("the mesh leg reaches the egress gateway, which has no server for the host on that port", async () => {
    const gateway = GATEWAY.replace("  - port: {number: 443, name: tls, protocol: TLS}\n    hosts: [edition.cnn.com]\n    tls: {mode: PASSTHROUGH}\n", "");
    const yaml = CLIENT + SERVICE_ENTRY + gateway + virtualService(HTTP_MESH_LEG + HTTP_GATEWAY_LEG, TLS_MESH_LEG + TLS_GATEWAY_LEG);
    const { ids, texts } = await run(RULE, yaml, DEMO);
    expect(ids).toEqual([`${lineOf(yaml, "- destination: {host: istio-egressgateway.istio-system.svc.cluster.local, port: {number: 443}}")}:7 noGatewayServer`]);
    expect(texts[0]).toContain("(port 443), but no Gateway selecting istio-system/istio-egressgateway has a server for edition.cnn.com on port 443: the egress gateway has no route for it (the connection is closed)");
  });

  it("the egress Gateway serves the host, but no VirtualService bound to it routes on", async () => {
    const yaml = CLIENT + SERVICE_ENTRY + GATEWAY + virtualService(HTTP_MESH_LEG, TLS_MESH_LEG + TLS_GATEWAY_LEG);
    const { ids, texts } = await run(RULE, yaml, DEMO);
    expect(ids).toEqual([`${lineOf(yaml, "hosts: [edition.cnn.com]", yaml.indexOf("kind: Gateway"))}:13 noGatewayRoute`]);
    expect(texts[0]).toContain("(404 NR)");
  });

  it("a match's short gateway name means the Gateway of the VirtualService's namespace (as istiod resolves it)", async () => {
    // The Gateway lives in istio-system; the VirtualService (in default) binds it by full name, but its
    // gateway legs match `istio-egressgateway`, which istiod reads as default/istio-egressgateway.
    const gateway = GATEWAY.replace("namespace: default}", "namespace: istio-system}");
    const legs = (name: string) =>
      virtualService(HTTP_MESH_LEG + HTTP_GATEWAY_LEG, TLS_MESH_LEG + TLS_GATEWAY_LEG)
        .replace("  gateways: [istio-egressgateway, mesh]", "  gateways: [istio-system/istio-egressgateway, mesh]")
        .replaceAll("{gateways: [istio-egressgateway]", `{gateways: [${name}]`);
    const short = CLIENT + SERVICE_ENTRY + gateway + legs("istio-egressgateway");
    const { ids } = await run(RULE, short, DEMO);
    expect(ids).toEqual([
      `${lineOf(short, "hosts: [edition.cnn.com]", short.indexOf("kind: Gateway"))}:13 noGatewayRoute`,
      `${lineOf(short, "hosts: [edition.cnn.com]", short.indexOf("tls: {mode: PASSTHROUGH}") - 60)}:13 noGatewayRoute`,
    ]);
    expect((await run(RULE, CLIENT + SERVICE_ENTRY + gateway + legs("istio-system/istio-egressgateway"), DEMO)).ids).toEqual([]);
  });

  it("the ServiceEntry is not exported to the egress gateway's namespace", async () => {
    const yaml = CLIENT + SERVICE_ENTRY.replace("resolution: DNS", "resolution: DNS\n  exportTo: [.]") + GATEWAY +
      virtualService(HTTP_MESH_LEG + HTTP_GATEWAY_LEG, TLS_MESH_LEG + TLS_GATEWAY_LEG);
    const { ids } = await run(RULE, yaml, DEMO);
    expect(ids).toEqual([
      `${lineOf(yaml, "- destination: {host: edition.cnn.com, port: {number: 80}}")}:7 gatewayNoCluster`,
      `${lineOf(yaml, "- destination: {host: edition.cnn.com, port: {number: 443}}")}:7 gatewayNoCluster`,
    ]);
  });

  it("a VirtualService exported only to its namespace is no mesh leg for other namespaces", async () => {
    const yaml = COMPLETE.replace("  gateways: [istio-egressgateway, mesh]", "  exportTo: [.]\n  gateways: [istio-egressgateway, mesh]") +
      "---\n" + CLIENT.replace("namespace: default", "namespace: shop");
    const { texts } = await run(RULE, yaml, DEMO);
    // The egress gateway (istio-system) does not see the VirtualService either: its gateway leg is gone.
    expect(texts.filter((t) => t.startsWith("Port "))).toHaveLength(2);
    expect(texts[0]).toContain("the sidecars in namespace shop connect to edition.cnn.com directly");
  });

  it("required by the configuration, with no egress gateway in the input", async () => {
    const { texts } = await run(RULE, CLIENT + SERVICE_ENTRY, { config: "mesh:\n  requireEgressGateway: true\n" });
    expect(texts).toHaveLength(2);
    expect(texts[0]).toContain("bypasses the egress gateway (the configuration requires one: mesh.requireEgressGateway)");
  });
});

describe("outbound-traffic-policy", () => {
  const RULE = "outbound-traffic-policy";
  it("silent without an egress gateway", async () => {
    expect((await run(RULE, CLIENT + SERVICE_ENTRY)).ids).toEqual([]);
  });

  it("mesh-wide ALLOW_ANY with an egress gateway: a warning on the egress Gateway", async () => {
    const { ids, severities } = await run(RULE, COMPLETE, DEMO);
    expect(ids).toEqual([`${lineOf(COMPLETE, "selector: {istio: egressgateway}")}:3 mesh`]);
    expect(severities).toEqual([1]);
  });

  it("a Sidecar setting REGISTRY_ONLY for every namespace silences the mesh-wide finding", async () => {
    const yaml = COMPLETE + `---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: default}
spec:
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
`;
    expect((await run(RULE, yaml, DEMO)).ids).toEqual([]);
  });

  it("a Sidecar setting ALLOW_ANY", async () => {
    const yaml = CLIENT + `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: default}
spec:
  outboundTrafficPolicy: {mode: ALLOW_ANY}
`;
    const { ids } = await run(RULE, yaml, { args: ["--install", "demo"] });
    expect(ids).toEqual([`${lineOf(yaml, "outboundTrafficPolicy: {mode: ALLOW_ANY}")}:27 sidecar`]);
  });
});

function egressGatewayDeployment(): string {
  return `---
apiVersion: v1
kind: Service
metadata: {name: istio-egressgateway, namespace: istio-system}
spec:
  selector: {istio: egressgateway}
  ports:
  - {name: http2, port: 80, targetPort: 8080}
  - {name: https, port: 443, targetPort: 8443}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: istio-egressgateway, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: egressgateway}}
  template:
    metadata: {labels: {istio: egressgateway, sidecar.istio.io/inject: "false"}}
    spec:
      containers:
      - name: istio-proxy
        image: auto
        ports: [{containerPort: 8080}, {containerPort: 8443}]
`;
}
