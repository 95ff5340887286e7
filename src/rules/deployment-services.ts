import type { MeshService, ServicePort, Workload } from "../graph/types.js";
import { asArray, asRecord, asString, hasKeys } from "../model/resource.js";
import { distinct, workloadName } from "./sidecar-selector.js";
import { ruleUrl, type Rule } from "./types.js";

/** Waypoint proxies are Deployments istiod manages itself (`gateway.istio.io/managed: istio.io-mesh-controller`). */
function isWaypoint(workload: Workload): boolean {
  const managed = "istio.io-mesh-controller";
  return workload.resource.labels["gateway.istio.io/managed"] === managed || workload.labels["gateway.istio.io/managed"] === managed;
}

/** The Kubernetes Services (same namespace, non-empty selector) that select a workload's pods. */
function selectingServices(services: readonly MeshService[]): MeshService[] {
  const selecting: MeshService[] = [];
  for (let i = 0; i < services.length; i++) {
    const service = services[i];
    if (service.origin === "Service" && service.resolution !== "ExternalName" && service.selector !== undefined && hasKeys(service.selector)) selecting.push(service);
  }
  return selecting;
}

/** The Kubernetes `protocol` field of a Service port as written (default TCP). */
function transportProtocol(port: ServicePort): string {
  const raw = asString(asRecord(asArray(port.provenance.resource.spec.ports)[port.provenance.path[2] as number]).protocol);
  return raw ?? "TCP";
}

/**
 * The protocol a Service port declares, as Istio serves it: the port name prefix or `appProtocol`
 * (`http`, `grpc`, `tcp`...). Undefined for a port whose protocol Istio sniffs (it agrees with any
 * other) and for UDP and SCTP ports, which the sidecar does not proxy (`dns-tcp`/`dns-udp` on port 53
 * is fine).
 */
function declaredProtocol(port: ServicePort): string | undefined {
  const transport = transportProtocol(port).toUpperCase();
  if (transport === "UDP" || transport === "SCTP") return undefined;
  return port.explicitProtocol ? port.protocol : undefined;
}

/** The container port a Service port sends to: a number, or a port name resolved against the workload. */
function targetPortOf(port: ServicePort, workload: Workload): string {
  const target = port.targetPort;
  if (target === undefined || target === 0 || target === "") return String(port.port);
  if (typeof target === "number") return String(target);
  const named = workload.containerPorts.find((containerPort) => containerPort.name === target);
  return named ? String(named.port) : target;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function quoteList(names: Iterable<string>): string {
  return [...new Set(names)]
    .sort()
    .map((name) => `"${name}"`)
    .join(", ");
}

/**
 * `deployment-services`: Services that select the same workload but disagree on a port's protocol
 * or on which service port exposes a container port (Istio's `deployment.ServiceAssociationAnalyzer`).
 */
export const deploymentServices: Rule = {
  meta: {
    id: "deployment-services",
    description: "Services selecting the same workload with one port number for different protocols, or one target port under different port numbers",
    severity: "warn",
    url: ruleUrl("deployment-services"),
    istioCodes: ["IST0116", "IST0137"],
    inputs: ["Service", "Namespace", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"],
    messages: {
      protocolConflict:
        "Services {{services}} select {{workload}} with port {{port}} but different protocols ({{protocols}}): Istio needs one protocol per port of a workload, and its sidecar serves the port with only one of them. Give the port the same protocol (name prefix or appProtocol) in every Service.",
      targetPortConflict:
        "Services {{services}} select {{workload}} and send its target port {{targetPort}} from different service ports ({{ports}}): Istio needs every Service to expose a container port under the same port number. Use one port number for target port {{targetPort}}.",
    },
  },
  check(context) {
    const { graph } = context;
    const workloads = distinct(graph.workloads, (item) => item.resource.key);
    for (let w = 0; w < workloads.length; w++) {
      const workload = workloads[w];
      // Istio's analyzer considers workloads that run a sidecar; Services do not select WorkloadEntries here.
      if (workload.kind === "WorkloadEntry" || !workload.sidecar.injected || isWaypoint(workload)) continue;
      const selecting = selectingServices(graph.servicesOf(workload));
      if (selecting.length < 2) continue;
      const services = distinct(selecting, (service) => service.resource.key);
      if (services.length < 2) continue;

      // Port number -> declared protocol -> services.
      const protocolsByPort = new Map<number, Map<string, string[]>>();
      // Target (container) port -> service port number -> services.
      const portsByTarget = new Map<string, Map<number, string[]>>();
      for (const service of services) {
        for (const port of service.ports) {
          const protocol = declaredProtocol(port);
          if (protocol !== undefined) {
            let protocols = protocolsByPort.get(port.port);
            if (!protocols) protocolsByPort.set(port.port, (protocols = new Map()));
            push(protocols, protocol, service.name);
          }
          const target = targetPortOf(port, workload);
          let ports = portsByTarget.get(target);
          if (!ports) portsByTarget.set(target, (ports = new Map()));
          push(ports, port.port, service.name);
        }
      }

      for (const [port, protocols] of [...protocolsByPort].sort((a, b) => a[0] - b[0])) {
        if (protocols.size < 2) continue;
        context.report({
          messageId: "protocolConflict",
          data: {
            services: quoteList([...protocols.values()].flat()),
            workload: workloadName(workload),
            port,
            protocols: [...protocols.keys()].sort().join(", "),
          },
          resource: workload.resource,
          path: ["metadata", "name"],
          istioCode: "IST0116",
        });
      }
      for (const [targetPort, ports] of portsByTarget) {
        if (ports.size < 2) continue;
        context.report({
          messageId: "targetPortConflict",
          data: {
            services: quoteList([...ports.values()].flat()),
            workload: workloadName(workload),
            targetPort,
            ports: [...ports.keys()].sort((a, b) => a - b).join(", "),
          },
          resource: workload.resource,
          path: ["metadata", "name"],
          istioCode: "IST0137",
        });
      }
    }
  },
};
