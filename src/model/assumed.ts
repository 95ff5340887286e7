import type { MeshSettings } from "./mesh.js";
import { toResource, type Resource } from "./resource.js";

interface GatewayInstall {
  name: string;
  istioLabel: string;
  ports: { name: string; port: number; targetPort: number }[];
}

const INGRESS: GatewayInstall = {
  name: "istio-ingressgateway",
  istioLabel: "ingressgateway",
  ports: [
    { name: "status-port", port: 15021, targetPort: 15021 },
    { name: "http2", port: 80, targetPort: 8080 },
    { name: "https", port: 443, targetPort: 8443 },
  ],
};

const EGRESS: GatewayInstall = {
  name: "istio-egressgateway",
  istioLabel: "egressgateway",
  ports: [
    { name: "http2", port: 80, targetPort: 8080 },
    { name: "https", port: 443, targetPort: 8443 },
  ],
};

function gatewayObjects(install: GatewayInstall, namespace: string): Record<string, unknown>[] {
  const labels = { app: install.name, istio: install.istioLabel };
  return [
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: install.name, namespace, labels },
      spec: {
        type: install.istioLabel === "ingressgateway" ? "LoadBalancer" : "ClusterIP",
        selector: labels,
        ports: install.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: "TCP" })),
      },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: install.name, namespace, labels },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels: { ...labels, "sidecar.istio.io/inject": "false" } },
          spec: {
            containers: [
              {
                name: "istio-proxy",
                image: "auto",
                ports: install.ports.map((p) => ({ containerPort: p.targetPort, protocol: "TCP" })),
              },
            ],
          },
        },
      },
    },
  ];
}

/**
 * The `istio` labels of the gateway workloads of the input: on Pods and Services, and on the pod
 * templates of any kind (one pass over the resources, whichever gateways are asked about).
 */
function gatewayIstioLabels(resources: Resource[]): Set<unknown> {
  const found = new Set<unknown>();
  for (let i = 0; i < resources.length; i++) {
    const resource = resources[i];
    if (resource.kind === "Pod" || resource.kind === "Service") found.add(resource.labels.istio);
    const template = resource.spec.template as { metadata?: { labels?: Record<string, unknown> } } | null | undefined;
    found.add(template?.metadata?.labels?.istio);
  }
  return found;
}

/**
 * The parts of Istio's installation that manifests repositories rarely contain, as the chosen
 * profile installs them (`istioctl analyze` adds a dummy ingress gateway for the same reason).
 * Assumed resources feed the analysis and are never reported on.
 */
export function assumedInstallation(resources: Resource[], mesh: MeshSettings): Resource[] {
  if (mesh.install === "none") return [];
  const present = gatewayIstioLabels(resources);
  const installs: GatewayInstall[] = [];
  if (!present.has(INGRESS.istioLabel)) installs.push(INGRESS);
  if (mesh.install === "demo" && !present.has(EGRESS.istioLabel)) installs.push(EGRESS);
  return installs.flatMap((install) =>
    gatewayObjects(install, mesh.rootNamespace).map((object) =>
      toResource(object, { defaultNamespace: mesh.rootNamespace, origin: "assumed" }),
    ),
  );
}
