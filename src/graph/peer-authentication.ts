import type { MeshModel, Resource } from "../model/index.js";
import { asRecord, asString, selectorMap } from "../model/resource.js";
import type { Provenance, Workload } from "./types.js";
import { configOrder } from "./virtual-services.js";
import { selects } from "./workloads.js";

export type MtlsMode = "UNSET" | "DISABLE" | "PERMISSIVE" | "STRICT";

export interface PeerAuthenticationInfo {
  resource: Resource;
  namespace: string;
  name: string;
  selector?: Readonly<Record<string, string>>;
  mode: MtlsMode;
  /** `portLevelMtls`, keyed by the workload's target (container) port. */
  portLevel: Map<number, MtlsMode>;
}

/** The inbound mTLS mode of a workload port and the policy (and level) that decided it. */
export interface EffectiveMtls {
  mode: Exclude<MtlsMode, "UNSET">;
  level: "port" | "workload" | "namespace" | "mesh" | "default";
  policy?: PeerAuthenticationInfo;
}

function modeOf(value: unknown): MtlsMode {
  const mode = asString(asRecord(value).mode);
  return mode === "DISABLE" || mode === "PERMISSIVE" || mode === "STRICT" ? mode : "UNSET";
}

export function peerAuthenticationInfo(resource: Resource): PeerAuthenticationInfo {
  const spec = resource.spec;
  const matchLabels = selectorMap(asRecord(spec.selector).matchLabels);
  const portLevel = new Map<number, MtlsMode>();
  for (const [port, value] of Object.entries(asRecord(spec.portLevelMtls))) {
    const number = Number(port);
    if (Number.isInteger(number)) portLevel.set(number, modeOf(value));
  }
  return {
    resource,
    namespace: resource.namespace,
    name: resource.name,
    selector: Object.keys(matchLabels).length > 0 ? matchLabels : undefined,
    mode: modeOf(spec.mtls),
    portLevel,
  };
}

/**
 * PeerAuthentication precedence, server side: port-level (by target port, selector policies only) >
 * workload-level (selector; the oldest wins) > namespace-level > mesh-level (root namespace, no
 * selector); UNSET inherits from the next level; no policy at all is PERMISSIVE.
 */
export class PeerAuthenticationIndex {
  readonly policies: PeerAuthenticationInfo[];
  private readonly byNamespace = new Map<string, PeerAuthenticationInfo[]>();
  private readonly namespaceModes = new Map<string, EffectiveMtls>();

  constructor(model: MeshModel, private readonly rootNamespace: string) {
    this.policies = (model.byKind.get("PeerAuthentication") ?? [])
      .filter((resource) => resource.group === "security.istio.io")
      .sort(configOrder)
      .map(peerAuthenticationInfo);
    for (const policy of this.policies) {
      const list = this.byNamespace.get(policy.namespace);
      if (list) list.push(policy);
      else this.byNamespace.set(policy.namespace, [policy]);
    }
  }

  /** The oldest policy without a selector in a namespace. */
  namespacePolicy(namespace: string): PeerAuthenticationInfo | undefined {
    return (this.byNamespace.get(namespace) ?? []).find((policy) => !policy.selector);
  }

  meshPolicy(): PeerAuthenticationInfo | undefined {
    return this.namespacePolicy(this.rootNamespace);
  }

  /**
   * The oldest policy whose selector selects the workload. Policies with a selector in the root
   * namespace are not workload-level policies: Istio ignores them (`ComposePeerAuthentication`).
   */
  workloadPolicy(workload: Pick<Workload, "namespace" | "labels">): PeerAuthenticationInfo | undefined {
    if (workload.namespace === this.rootNamespace) return undefined;
    return (this.byNamespace.get(workload.namespace) ?? []).find(
      (policy) => policy.selector && selects(policy.selector, workload.labels),
    );
  }

  /**
   * The mode at namespace or mesh level only: what auto mTLS uses to infer a service's mode (it
   * ignores workload- and port-level policies).
   */
  namespaceLevelMode(namespace: string): EffectiveMtls {
    // Asked for every service and server port: one (read-only) answer per namespace.
    let found = this.namespaceModes.get(namespace);
    if (!found) this.namespaceModes.set(namespace, (found = Object.freeze(this.computeNamespaceLevelMode(namespace))));
    return found;
  }

  private computeNamespaceLevelMode(namespace: string): EffectiveMtls {
    const ns = namespace === this.rootNamespace ? undefined : this.namespacePolicy(namespace);
    if (ns && ns.mode !== "UNSET") return { mode: ns.mode, level: "namespace", policy: ns };
    const mesh = this.meshPolicy();
    if (mesh && mesh.mode !== "UNSET") return { mode: mesh.mode, level: "mesh", policy: mesh };
    return { mode: "PERMISSIVE", level: "default" };
  }

  /** The effective inbound mode of a workload on a target (container) port. */
  effective(workload: Pick<Workload, "namespace" | "labels">, targetPort: number): EffectiveMtls {
    const policy = this.workloadPolicy(workload);
    if (policy) {
      const portMode = policy.portLevel.get(targetPort);
      if (portMode && portMode !== "UNSET") return { mode: portMode, level: "port", policy };
      if (policy.mode !== "UNSET") return { mode: policy.mode, level: "workload", policy };
    }
    return this.namespaceLevelMode(workload.namespace);
  }
}

/**
 * The YAML node that decides an effective mode: the `portLevelMtls` entry's `mode` for a port-level
 * mode, else the policy's `mtls.mode` (undefined for the PERMISSIVE default, which no policy sets).
 */
export function effectiveMtlsProvenance(effective: EffectiveMtls, targetPort?: number): Provenance | undefined {
  if (!effective.policy) return undefined;
  const path =
    effective.level === "port" && targetPort !== undefined
      ? ["spec", "portLevelMtls", String(targetPort), "mode"]
      : ["spec", "mtls", "mode"];
  return { resource: effective.policy.resource, path };
}
