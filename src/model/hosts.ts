/**
 * Host names as Istio resolves them (see docs/istio-semantics: short names resolve against the
 * namespace of the resource that names them).
 */

/** The cluster DNS suffix Istio assumes for Kubernetes services. */
export const DEFAULT_DOMAIN_SUFFIX = "cluster.local";

/**
 * Resolves a host written in a VirtualService, DestinationRule or route destination:
 * `reviews` in namespace `default` → `reviews.default.svc.cluster.local`; names with a dot, wildcards
 * and IP addresses are kept as written (Istio only expands names without a dot).
 */
export function resolveHost(host: string, namespace: string, domainSuffix = DEFAULT_DOMAIN_SUFFIX): string {
  if (!host) return host;
  if (host === "*" || host.startsWith("*")) return host;
  if (host.includes(".") || host.includes(":")) return host;
  return `${host}.${namespace}.svc.${domainSuffix}`;
}

/** The FQDN of a Kubernetes Service. */
export function serviceHost(name: string, namespace: string, domainSuffix = DEFAULT_DOMAIN_SUFFIX): string {
  return `${name}.${namespace}.svc.${domainSuffix}`;
}

/** Whether a (possibly wildcard) host pattern matches a concrete or wildcard host, as Istio's `host.Name.Matches`. */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === host || pattern === "*") return true;
  if (pattern.startsWith("*")) {
    const suffix = pattern.slice(1);
    if (host.startsWith("*")) return host.slice(1).endsWith(suffix);
    return host.endsWith(suffix);
  }
  return false;
}

/** Whether two host patterns can match a common host (either direction of wildcard containment). */
export function hostsIntersect(a: string, b: string): boolean {
  return hostMatches(a, b) || hostMatches(b, a);
}

/** Splits a Gateway server host / Sidecar egress host `ns/host` (namespace `*` when absent). */
export function splitNamespacedHost(entry: string): { namespace: string; host: string } {
  const slash = entry.indexOf("/");
  if (slash === -1) return { namespace: "*", host: entry };
  return { namespace: entry.slice(0, slash), host: entry.slice(slash + 1) };
}
