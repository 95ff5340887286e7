import type { MeshModel, MeshSettings } from "../model/index.js";
import { DestinationRuleIndex } from "./destination-rules.js";
import { collectGateways, type GatewayInfo } from "./gateways.js";
import { PeerAuthenticationIndex } from "./peer-authentication.js";
import { ServiceRegistry } from "./services.js";
import { OutboundScope } from "./outbound.js";
import { GatewayProxy, collectProxies, proxyConfig, type Proxy, type ProxyConfig } from "./proxies.js";
import { collectSidecars, sidecarFor, sidecarsByNamespace, type SidecarInfo, type SidecarsByNamespace } from "./sidecars.js";
import type { MeshService, Workload } from "./types.js";
import { collectVirtualServices, type VirtualServiceInfo } from "./virtual-services.js";
import { LabelIndex, SelectorIndex, collectNamespaces, collectWorkloads, type NamespaceInfo } from "./workloads.js";

export type { MeshService, ServicePort, Workload, Provenance, Protocol, PortKind } from "./types.js";
export type { VirtualServiceInfo, VirtualServiceRoute, RouteDestination } from "./virtual-services.js";
export type { DestinationRuleInfo, EffectiveDestinationRule, SubsetInfo } from "./destination-rules.js";
export type { GatewayInfo, GatewayServer } from "./gateways.js";
export type { PeerAuthenticationInfo, EffectiveMtls, MtlsMode } from "./peer-authentication.js";
export type { SidecarInfo } from "./sidecars.js";
export type { NamespaceInfo } from "./workloads.js";
export type { Proxy, ProxyConfig, BoundServer } from "./proxies.js";
export type { OutboundScope, DroppedVirtualService } from "./outbound.js";
export type * from "./envoy.js";

/**
 * The mesh as istiod sees it before it generates Envoy configuration: the service registry, the
 * workloads and their sidecars, and the routing and security resources, indexed for look-ups.
 * Per-proxy Envoy configuration is derived from it on demand (see `proxy-config.ts`).
 */
export class MeshGraph {
  readonly mesh: MeshSettings;
  readonly namespaces: Map<string, NamespaceInfo>;
  readonly services: ServiceRegistry;
  readonly workloads: Workload[];
  readonly virtualServices: VirtualServiceInfo[];
  readonly destinationRules: DestinationRuleIndex;
  readonly gateways: GatewayInfo[];
  readonly peerAuthentications: PeerAuthenticationIndex;
  readonly sidecars: SidecarInfo[];
  private readonly workloadsByNamespace = new Map<string, Workload[]>();
  /** Label indexes of the workloads: of each namespace, and of all (built on first use). */
  private readonly workloadIndexes = new Map<string, LabelIndex<Workload>>();
  private allWorkloadsIndex?: LabelIndex<Workload>;
  private readonly gatewaysByKey = new Map<string, GatewayInfo>();
  private readonly scopes = new Map<string, OutboundScope>();
  private readonly gatewayProxies = new Map<string, GatewayProxy>();
  private proxyList?: Proxy[];
  private proxiesById?: Map<string, Proxy>;
  private sidecarIndex?: SidecarsByNamespace;
  /** Services with a selector, by namespace, indexed by selector (for `servicesOf`). */
  private selectingServices?: Map<string, SelectorIndex<MeshService>>;

  constructor(readonly model: MeshModel) {
    this.mesh = model.mesh;
    this.namespaces = collectNamespaces(model);
    this.services = new ServiceRegistry(model);
    this.workloads = collectWorkloads(model, this.namespaces);
    for (const workload of this.workloads) {
      const list = this.workloadsByNamespace.get(workload.namespace);
      if (list) list.push(workload);
      else this.workloadsByNamespace.set(workload.namespace, [workload]);
    }
    this.virtualServices = collectVirtualServices(model);
    this.destinationRules = new DestinationRuleIndex(model, this.mesh.rootNamespace);
    this.gateways = collectGateways(model);
    for (const gateway of this.gateways) if (!this.gatewaysByKey.has(gateway.key)) this.gatewaysByKey.set(gateway.key, gateway);
    this.peerAuthentications = new PeerAuthenticationIndex(model, this.mesh.rootNamespace);
    this.sidecars = collectSidecars(model);
  }

  workloadsIn(namespace: string): readonly Workload[] {
    return this.workloadsByNamespace.get(namespace) ?? [];
  }

  /**
   * The workloads a label selector (`matchLabels`-style) picks, in the order of `workloads`: in one
   * namespace, or in every namespace when none is given. An empty or absent selector picks them all.
   * The same as filtering with `selects`, through an index.
   */
  selectedWorkloads(selector: Readonly<Record<string, string>> | undefined, namespace?: string): Workload[] {
    if (namespace === undefined) {
      this.allWorkloadsIndex ??= new LabelIndex(this.workloads);
      return this.allWorkloadsIndex.selected(selector);
    }
    let index = this.workloadIndexes.get(namespace);
    if (!index) this.workloadIndexes.set(namespace, (index = new LabelIndex(this.workloadsIn(namespace))));
    return index.selected(selector);
  }

  /** The Gateway a VirtualService `gateways` entry (`namespace/name`) refers to. */
  gateway(key: string): GatewayInfo | undefined {
    return this.gatewaysByKey.get(key);
  }

  /**
   * The workloads behind a service: a Service's selector in its namespace; a ServiceEntry's
   * workloadSelector (pods and WorkloadEntries in its namespace). Services without a selector have
   * none from the input (their endpoints are managed elsewhere).
   */
  workloadsOf(service: MeshService): Workload[] {
    if (!service.selector) return [];
    const selected = this.selectedWorkloads(service.selector, service.namespace);
    return service.origin === "ServiceEntry" ? selected : selected.filter((workload) => workload.kind !== "WorkloadEntry");
  }

  /** The gateway workloads a Gateway's selector picks, in any namespace (Istio's default). */
  gatewayWorkloads(gateway: GatewayInfo): Workload[] {
    if (Object.keys(gateway.selector).length === 0) return [];
    return this.selectedWorkloads(gateway.selector);
  }

  /** Every proxy of the input: sidecars (one per workload, not per replica) and gateway workloads. */
  proxies(): Proxy[] {
    this.proxyList ??= collectProxies(this);
    return this.proxyList;
  }

  /** A proxy by `namespace/name` of its workload. */
  proxy(id: string): Proxy | undefined {
    if (!this.proxiesById) {
      this.proxiesById = new Map();
      for (const proxy of this.proxies()) if (!this.proxiesById.has(proxy.id)) this.proxiesById.set(proxy.id, proxy);
    }
    return this.proxiesById.get(id);
  }

  /**
   * The outbound configuration scope of proxies in a namespace under a Sidecar resource: shared by
   * every proxy of that scope, built once, lazily.
   */
  outboundScope(namespace: string, sidecar?: SidecarInfo): OutboundScope {
    const key = `${namespace}|${sidecar ? sidecar.resource.key : ""}`;
    let scope = this.scopes.get(key);
    if (!scope) {
      scope = new OutboundScope(this, { namespace, sidecar });
      this.scopes.set(key, scope);
    }
    return scope;
  }

  /** The scope of a sidecar workload (its namespace and the Sidecar resource that selects it). */
  scopeOf(workload: Workload): OutboundScope {
    return this.outboundScope(workload.namespace, this.sidecarOf(workload));
  }

  /** The Sidecar resource scoping a sidecar workload's proxy (see `sidecarFor`). */
  sidecarOf(workload: Pick<Workload, "namespace" | "labels">): SidecarInfo | undefined {
    this.sidecarIndex ??= sidecarsByNamespace(this.sidecars);
    return sidecarFor(this.sidecarIndex, workload, this.mesh.rootNamespace);
  }

  /** The distinct outbound scopes of the sidecars of the input. */
  sidecarScopes(): OutboundScope[] {
    const scopes = new Set<OutboundScope>();
    for (const proxy of this.proxies()) if (proxy.kind === "sidecar") scopes.add(this.outboundScope(proxy.namespace, proxy.sidecar));
    return [...scopes];
  }

  /** The listeners and routes a gateway proxy gets from the Gateways selecting it. */
  gatewayProxy(proxy: Proxy): GatewayProxy {
    let gateway = this.gatewayProxies.get(proxy.id);
    if (!gateway) {
      gateway = new GatewayProxy(this, proxy);
      this.gatewayProxies.set(proxy.id, gateway);
    }
    return gateway;
  }

  /** The complete Envoy configuration of one proxy. */
  proxyConfig(proxy: Proxy): ProxyConfig {
    return proxyConfig(this, proxy);
  }

  /** Services (in any namespace) whose selector picks a workload. */
  servicesOf(workload: Workload): MeshService[] {
    if (!this.selectingServices) {
      const byNamespace = new Map<string, MeshService[]>();
      for (const service of this.services.services) {
        if (!service.selector) continue;
        const list = byNamespace.get(service.namespace);
        if (list) list.push(service);
        else byNamespace.set(service.namespace, [service]);
      }
      this.selectingServices = new Map();
      for (const [namespace, services] of byNamespace) {
        this.selectingServices.set(namespace, new SelectorIndex(services, (service) => service.selector));
      }
    }
    return this.selectingServices.get(workload.namespace)?.selecting(workload.labels) ?? [];
  }
}

export function buildGraph(model: MeshModel): MeshGraph {
  return new MeshGraph(model);
}
