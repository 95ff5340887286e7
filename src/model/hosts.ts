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
  return serviceHost(host, namespace, domainSuffix);
}

/** The FQDN of a Kubernetes Service. */
export function serviceHost(name: string, namespace: string, domainSuffix = DEFAULT_DOMAIN_SUFFIX): string {
  if (domainSuffix !== DEFAULT_DOMAIN_SUFFIX) return `${name}.${namespace}.svc.${domainSuffix}`;
  // One string per FQDN for Services, DestinationRule and VirtualService hosts and route
  // destinations alike: look-ups by host then compare pointers, and hash each FQDN once.
  let inNamespace = FQDNS.get(namespace);
  if (!inNamespace) FQDNS.set(namespace, (inNamespace = new Map()));
  let fqdn = inNamespace.get(name);
  if (fqdn === undefined) {
    fqdn = `${name}.${namespace}.svc.${domainSuffix}`;
    // Bounded for long-lived processes: forgetting only costs the sharing.
    if (++fqdnCount > MAX_FQDNS) {
      FQDNS.clear();
      fqdnCount = 0;
    } else inNamespace.set(name, fqdn);
  }
  return fqdn;
}

/** FQDNs in the default domain, by namespace, then short name. */
const FQDNS = new Map<string, Map<string, string>>();
const MAX_FQDNS = 1_000_000;
let fqdnCount = 0;

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
