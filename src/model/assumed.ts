import type { MeshSettings } from "./mesh.js";
import { asArray, asRecord, toResource, type Resource } from "./resource.js";

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

/** The demo profile's ingress gateway: the default one plus the TCP port of Istio's TCP tasks and the SNI port. */
const DEMO_INGRESS: ComponentInstall = {
  ...INGRESS,
  ports: [...INGRESS.ports, { name: "tcp", port: 31400, targetPort: 31400 }, { name: "tls", port: 15443, targetPort: 15443 }],
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
 * Whether the input relies on the standard egress gateway that the demo profile (or an install
 * enabling `egressGateways`) adds: a Gateway selecting `istio: egressgateway`, or a VirtualService
 * route or DestinationRule for `istio-egressgateway.<root namespace>`. Manifests written that way are
 * applied to a mesh that has it, as those of Istio's egress tasks are.
 */
function referencesEgressGateway(resources: Resource[], rootNamespace: string): boolean {
  const names = new Set([`${EGRESS.name}.${rootNamespace}`, `${EGRESS.name}.${rootNamespace}.svc`, `${EGRESS.name}.${rootNamespace}.svc.cluster.local`]);
  const isEgress = (host: unknown, namespace: string | undefined) => typeof host === "string" && (names.has(host) || (host === EGRESS.name && namespace === rootNamespace));
  for (const resource of resources) {
    if (!resource.group.endsWith("istio.io")) continue;
    const spec = resource.spec;
    if (resource.kind === "Gateway" && asRecord(spec.selector).istio === EGRESS.istioLabel) return true;
    if (resource.kind === "DestinationRule" && isEgress(spec.host, resource.namespace)) return true;
    if (resource.kind !== "VirtualService") continue;
    for (const kind of ["http", "tcp", "tls"]) {
      for (const route of asArray(spec[kind])) {
        const entry = asRecord(route);
        const destinations = [...asArray(entry.route), ...asArray(entry.mirrors)].map((d) => asRecord(asRecord(d).destination).host);
        if ([...destinations, asRecord(entry.mirror).host].some((host) => isEgress(host, resource.namespace))) return true;
      }
    }
  }
  return false;
}

/**
 * The parts of Istio's installation that manifests repositories rarely contain, as the chosen
 * profile installs them (`istioctl analyze` adds a dummy ingress gateway for the same reason): the
 * ingress gateway and istiod, and the egress gateway for the demo profile or when the input relies on
 * it. Assumed resources feed the analysis and are never reported on.
 */
export function assumedInstallation(resources: Resource[], mesh: MeshSettings): Resource[] {
  if (mesh.install === "none") return [];
  const present = istioLabels(resources);
  const installs: ComponentInstall[] = [];
  if (!present.has(INGRESS.istioLabel)) installs.push(mesh.install === "demo" ? DEMO_INGRESS : INGRESS);
  if (!present.has(EGRESS.istioLabel) && (mesh.install === "demo" || referencesEgressGateway(resources, mesh.rootNamespace))) installs.push(EGRESS);
  if (!present.has(ISTIOD.istioLabel)) installs.push(ISTIOD);
  return installs.flatMap((install) =>
    componentObjects(install, mesh.rootNamespace).map((object) =>
      toResource(object, { defaultNamespace: mesh.rootNamespace, origin: "assumed" }),
    ),
  );
}
