import type { MeshModel, Resource } from "../model/index.js";
import { splitNamespacedHost } from "../model/hosts.js";
import { asArray, asRecord, asString, selectorMap } from "../model/resource.js";
import type { Provenance, Protocol } from "./types.js";
import { parseProtocol } from "./services.js";
import { configOrder } from "./virtual-services.js";

export interface GatewayServerHost {
  /** `*` (any namespace), `.` resolved to the Gateway's namespace, or a namespace name. */
  namespace: string;
  host: string;
  written: string;
  provenance: Provenance;
}

export interface GatewayServer {
  index: number;
  port: { number: number; name: string; protocol: Protocol | undefined; protocolWritten: string; targetPort?: number };
  hosts: GatewayServerHost[];
  tls?: Record<string, unknown>;
  bind?: string;
  provenance: Provenance;
}

export interface GatewayInfo {
  resource: Resource;
  namespace: string;
  name: string;
  /** `namespace/name`, as VirtualServices refer to it. */
  key: string;
  selector: Readonly<Record<string, string>>;
  servers: GatewayServer[];
}

export function gatewayInfo(resource: Resource): GatewayInfo {
  const spec = resource.spec;
  const servers = asArray(spec.servers).flatMap((entry, index) => {
    const server = asRecord(entry);
    const port = asRecord(server.port);
    if (typeof port.number !== "number") return [];
    const protocolWritten = asString(port.protocol) ?? "";
    const hosts = asArray(server.hosts).flatMap((host, i) => {
      if (typeof host !== "string" || !host) return [];
      const split = splitNamespacedHost(host);
      return [
        {
          namespace: split.namespace === "." ? resource.namespace : split.namespace,
          host: split.host,
          written: host,
          provenance: { resource, path: ["spec", "servers", index, "hosts", i] },
        },
      ];
    });
    return [
      {
        index,
        port: {
          number: port.number,
          name: asString(port.name) ?? "",
          protocol: parseProtocol(protocolWritten),
          protocolWritten,
          targetPort: typeof port.targetPort === "number" ? port.targetPort : undefined,
        },
        hosts,
        tls: server.tls ? asRecord(server.tls) : undefined,
        bind: asString(server.bind),
        provenance: { resource, path: ["spec", "servers", index] },
      },
    ];
  });
  return {
    resource,
    namespace: resource.namespace,
    name: resource.name,
    key: `${resource.namespace}/${resource.name}`,
    selector: selectorMap(spec.selector),
    servers,
  };
}

export function collectGateways(model: MeshModel): GatewayInfo[] {
  return (model.byKind.get("Gateway") ?? [])
    .filter((resource) => resource.group === "networking.istio.io")
    .sort(configOrder)
    .map(gatewayInfo);
}
