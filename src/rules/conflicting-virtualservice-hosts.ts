import type { VirtualServiceInfo } from "../graph/index.js";
import { configOrder } from "../graph/virtual-services.js";
import { hostsIntersect } from "../model/hosts.js";
import { ruleUrl, type Rule } from "./types.js";

/**
 * `conflicting-virtualservice-hosts`: several VirtualServices bound to the mesh (sidecars) for the
 * same host, visible in the same namespaces (IST0109, Istio's
 * `virtualservice.ConflictingMeshGatewayHostsAnalyzer`). Sidecars do not merge them: the first one
 * (private to the client namespace, then exported to it, then public; inside each group the oldest,
 * then by name) is used for the host and the routes of the others are dropped.
 */
export const conflictingVirtualServiceHosts: Rule = {
  meta: {
    id: "conflicting-virtualservice-hosts",
    description: "Several mesh VirtualServices for the same host, of which sidecars use only one",
    severity: "error",
    url: ruleUrl("conflicting-virtualservice-hosts"),
    istioCodes: ["IST0109"],
    inputs: ["VirtualService"],
    messages: {
      conflict:
        'VirtualServices {{virtualServices}} all bind host "{{host}}" to the mesh{{scope}}: sidecars do not merge them, they use only {{winner}} for it and drop the routes of the others. Merge them into one VirtualService',
    },
  },
  check(context) {
    const groups = conflictGroups(context.graph.virtualServices);
    const reported = new Set<string>();
    for (const group of groups) {
      const names = group.members.map((member) => `${member.vs.namespace}/${member.vs.name}`);
      const sortedNames = [...new Set(names)].sort();
      const winner = firstForSidecars(group.members.map((member) => member.vs), group.scope);
      for (const member of group.members) {
        const key = `${member.vs.resource.key}#${member.hostIndex}`;
        if (reported.has(key)) continue;
        reported.add(key);
        const host = member.vs.hosts[member.hostIndex];
        context.report({
          messageId: "conflict",
          data: {
            virtualServices: sortedNames.join(", "),
            host: host.host,
            scope: group.scope === "*" ? "" : ` for namespace ${group.scope}`,
            winner: `${winner.namespace}/${winner.name}`,
          },
          resource: member.vs.resource,
          path: host.provenance.path,
          istioCode: "IST0109",
        });
      }
    }
  },
};

interface Member {
  vs: VirtualServiceInfo;
  hostIndex: number;
}

interface ConflictGroup {
  /** `*` (VirtualServices exported everywhere) or the namespace the conflict shows in. */
  scope: string;
  host: string;
  members: Member[];
}

/**
 * Istio's scoping of mesh VirtualService hosts: a VirtualService exported everywhere puts its hosts
 * in scope `*`; one with an `exportTo` list in the scope of each namespace listed. Inside a scope,
 * identical hosts conflict; a namespace scope also conflicts with public VirtualServices whose host
 * overlaps (wildcards included).
 */
function conflictGroups(virtualServices: readonly VirtualServiceInfo[]): ConflictGroup[] {
  // The groups in the order they are first met: public ones found by host, the others by `scope/host`.
  const groups: ConflictGroup[] = [];
  const publicByHost = new Map<string, ConflictGroup>();
  const scopedByKey = new Map<string, ConflictGroup>();
  const add = (scope: string, vs: VirtualServiceInfo, hostIndex: number) => {
    const host = vs.hosts[hostIndex].host;
    const key = scope === "*" ? host : `${scope}/${host}`;
    const found = scope === "*" ? publicByHost : scopedByKey;
    let group = found.get(key);
    if (!group) {
      found.set(key, (group = { scope, host, members: [] }));
      groups.push(group);
    }
    // The same object given twice (two files with one name) is one VirtualService: the last apply wins.
    if (!group.members.some((member) => member.vs.resource.key === vs.resource.key)) group.members.push({ vs, hostIndex });
  };
  for (let v = 0; v < virtualServices.length; v++) {
    const vs = virtualServices[v];
    if (!vs.gateways.some((g) => g.gateway === "mesh")) continue;
    if (vs.exportTo === "*") {
      for (let h = 0; h < vs.hosts.length; h++) add("*", vs, h);
    } else {
      for (const scope of vs.exportTo) for (let h = 0; h < vs.hosts.length; h++) add(scope, vs, h);
    }
  }
  const publicGroups = groups.filter((group) => group.scope === "*");
  // Public groups by exact host, and those with a wildcard host: a host without wildcard overlaps
  // only these (kept in the order of `publicGroups`).
  const publicWildcards: ConflictGroup[] = [];
  const position = new Map<ConflictGroup, number>();
  for (const group of publicGroups) {
    position.set(group, position.size);
    if (group.host.startsWith("*")) publicWildcards.push(group);
  }
  const overlapping = (host: string): readonly ConflictGroup[] => {
    if (host.startsWith("*")) return publicGroups;
    const exact = publicByHost.get(host);
    if (!exact) return publicWildcards;
    return [exact, ...publicWildcards].sort((a, b) => position.get(a)! - position.get(b)!);
  };
  const conflicts: ConflictGroup[] = [];
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g];
    let members = group.members;
    if (group.scope !== "*") {
      for (const publicGroup of overlapping(group.host)) {
        if (!hostsIntersect(group.host, publicGroup.host)) continue;
        for (const member of publicGroup.members) {
          if (members.some((m) => m.vs.resource.key === member.vs.resource.key)) continue;
          if (members === group.members) members = [...members];
          members.push(member);
        }
      }
    }
    if (members.length > 1) conflicts.push({ ...group, members: members === group.members ? [...members] : members });
  }
  return conflicts;
}

/**
 * The VirtualService sidecars of a namespace use for a host among several: those private to the
 * namespace first, then those exported to it by name, then public ones; inside each group the
 * oldest, then by name.
 */
function firstForSidecars(list: VirtualServiceInfo[], scope: string): VirtualServiceInfo {
  const rank = (vs: VirtualServiceInfo) => {
    if (vs.exportTo === "*") return 2;
    if (vs.namespace === scope && vs.exportTo.size === 1 && vs.exportTo.has(scope)) return 0;
    return 1;
  };
  return [...list].sort((a, b) => rank(a) - rank(b) || configOrder(a.resource, b.resource))[0];
}
