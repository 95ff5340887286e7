import type { MeshSettings } from "./mesh.js";
import { toResource, type Resource } from "./resource.js";

interface ComponentInstall {
  name: string;
  /** The `istio` label of its pods and Service. */
  istioLabel: string;
  /** The `app` label (the component's name unless given). */
  appLabel?: string;
  serviceType: "LoadBalancer" | "ClusterIP";
  ports: { name: string; port: number; targetPort: number }[];
}

const INGRESS: ComponentInstall = {
  name: "istio-ingressgateway",
  istioLabel: "ingressgateway",
  serviceType: "LoadBalancer",
  ports: [
    { name: "status-port", port: 15021, targetPort: 15021 },
    { name: "http2", port: 80, targetPort: 8080 },
    { name: "https", port: 443, targetPort: 8443 },
  ],
};

const EGRESS: ComponentInstall = {
  name: "istio-egressgateway",
  istioLabel: "egressgateway",
  serviceType: "ClusterIP",
  ports: [
    { name: "http2", port: 80, targetPort: 8080 },
    { name: "https", port: 443, targetPort: 8443 },
  ],
};

/**
 * The control plane as every profile installs it: routes to `istiod.<root namespace>` (multicluster
 * east-west gateways, webhooks) find its Service. Its pods have no sidecar.
 */
const ISTIOD: ComponentInstall = {
  name: "istiod",
  istioLabel: "pilot",
  appLabel: "istiod",
  serviceType: "ClusterIP",
  ports: [
    { name: "grpc-xds", port: 15010, targetPort: 15010 },
    { name: "https-dns", port: 15012, targetPort: 15012 },
    { name: "https-webhook", port: 443, targetPort: 15017 },
    { name: "http-monitoring", port: 15014, targetPort: 15014 },
  ],
};

function componentObjects(install: ComponentInstall, namespace: string): Record<string, unknown>[] {
  const labels = { app: install.appLabel ?? install.name, istio: install.istioLabel };
  return [
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: install.name, namespace, labels },
      spec: {
        type: install.serviceType,
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
                name: install.name === ISTIOD.name ? "discovery" : "istio-proxy",
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
 * The `istio` labels of the workloads of the input: on Pods and Services, and on the pod templates of
 * any kind (one pass over the resources, whichever components are asked about).
 */
function istioLabels(resources: Resource[]): Set<unknown> {
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
  const present = istioLabels(resources);
  const installs: ComponentInstall[] = [];
  if (!present.has(INGRESS.istioLabel)) installs.push(INGRESS);
  if (mesh.install === "demo" && !present.has(EGRESS.istioLabel)) installs.push(EGRESS);
  if (!present.has(ISTIOD.istioLabel)) installs.push(ISTIOD);
  return installs.flatMap((install) =>
    componentObjects(install, mesh.rootNamespace).map((object) =>
      toResource(object, { defaultNamespace: mesh.rootNamespace, origin: "assumed" }),
    ),
  );
}
