/**
 * Shared helpers for the webhook checks: a problem collector, defensive accessors over untyped
 * YAML values, and the name/host/duration/regex validators istiod's webhook applies.
 */
import { RE2JS } from "re2js";
import type { PathSegment } from "../../load/types.js";
import type { SchemaProblem } from "../types.js";

export type Path = readonly PathSegment[];
export type Obj = Record<string, unknown>;

/** Collects problems; `error` is what the webhook rejects, `warn` what it accepts with a warning. */
export class Problems {
  readonly list: SchemaProblem[] = [];
  constructor(private readonly source: SchemaProblem["source"] = "webhook") {}
  error(path: Path, message: string): void {
    this.list.push({ path: [...path], message, severity: 2, source: this.source });
  }
  warn(path: Path, message: string, coveredBy?: string): void {
    this.list.push({ path: [...path], message, severity: 1, source: this.source, ...(coveredBy ? { coveredBy } : {}) });
  }
}

export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
export function obj(v: unknown): Obj | undefined {
  return isObj(v) ? v : undefined;
}
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
export function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}
/** A string, or "" for anything else (mirrors proto's zero value for a missing string). */
export function s(v: unknown): string {
  return typeof v === "string" ? v : "";
}
export function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}
/** Whether a field is present and non-empty in the way protobuf would treat it as set. */
export function present(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === "string") return v !== "";
  if (Array.isArray(v)) return v.length > 0;
  return true;
}
/** Entries of a mapping, or none when the value is not one. */
export function entries(v: unknown): [string, unknown][] {
  return isObj(v) ? Object.entries(v) : [];
}
/** Strings of a list, with their indexes, skipping non-strings. */
export function strings(v: unknown): [number, string][] {
  const out: [number, string][] = [];
  arr(v).forEach((x, i) => {
    if (typeof x === "string") out.push([i, x]);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Names

const DNS1123_LABEL = /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const WILDCARD_PREFIX = /^(\*|(\*|\*-)?[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)$/;
const QUALIFIED_NAME = "(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const DNS_LABEL_FMT = "[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?";
const LABEL_KEY = new RegExp(`^(${DNS_LABEL_FMT}(?:\\.${DNS_LABEL_FMT})*/)?(${QUALIFIED_NAME})$`);
const LABEL_VALUE = new RegExp(`^(${QUALIFIED_NAME})?$`);

/** Istio's DNS-1123 label check (it accepts upper case letters). */
export function isDNS1123Label(v: string): boolean {
  return v.length <= 63 && DNS1123_LABEL.test(v);
}
export function isWildcardDNS1123Label(v: string): boolean {
  return v.length <= 63 && WILDCARD_PREFIX.test(v);
}

function dnsPreconditions(name: string): string | undefined {
  if (name.length > 255) return `domain name "${name}" too long (max 255)`;
  if (name.length === 0) return "empty domain name not allowed";
  return undefined;
}

function dns1123Labels(domain: string, shown = domain): string | undefined {
  const parts = domain.split(".");
  const tld = parts[parts.length - 1];
  if (/^[+-]?\d+$/.test(tld)) {
    return `domain name "${shown}" invalid (top level domain "${tld}" cannot be all-numeric)`;
  }
  for (let i = 0; i < parts.length; i++) {
    if (i === parts.length - 1 && parts[i] === "") return undefined;
    if (!isDNS1123Label(parts[i])) return `domain name "${shown}" invalid (label "${parts[i]}" invalid)`;
  }
  return undefined;
}

/** A fully-qualified (or short) host name without wildcards. */
export function validateFQDN(fqdn: string): string | undefined {
  return dnsPreconditions(fqdn) ?? dns1123Labels(fqdn);
}

/** A host name that may carry a wildcard in its leftmost label only (`*.foo.com`, `*`). */
export function validateWildcardDomain(domain: string): string | undefined {
  const pre = dnsPreconditions(domain);
  if (pre) return pre;
  const dot = domain.indexOf(".");
  const first = dot < 0 ? domain : domain.slice(0, dot);
  if (!isWildcardDNS1123Label(first)) return `domain name "${domain}" invalid (label "${first}" invalid)`;
  if (dot >= 0) return dns1123Labels(domain.slice(dot + 1), domain);
  return undefined;
}

export function validatePartialWildcard(host: string): string | undefined {
  if (host.includes("*") && host.length !== 1 && !host.startsWith("*.")) {
    return `partial wildcard "${host}" not allowed`;
  }
  return undefined;
}

/** Host names in Gateway servers and Sidecar egress: `ns/host`, or for gateways a plain host. */
export function validateNamespaceSlashHostname(hostname: string, isGateway: boolean): string[] {
  const errs: string[] = [];
  const slash = hostname.indexOf("/");
  if (slash < 0) {
    if (isGateway) return validateHostnamePart(hostname, true);
    return ["host must be of form namespace/dnsName"];
  }
  const ns = hostname.slice(0, slash);
  const name = hostname.slice(slash + 1);
  if (ns === "" || name === "") errs.push("config namespace and dnsName in host entry cannot be empty");
  if (!isGateway) {
    const n = ns.startsWith("~") ? ns.slice(1) : ns;
    if (n !== "" && n !== "*" && n !== "." && !isDNS1123Label(n)) {
      errs.push(`invalid namespace value "${ns}" in sidecar`);
    }
  } else if (ns !== "*" && ns !== "." && !isDNS1123Label(ns)) {
    errs.push(`invalid namespace value "${ns}" in gateway`);
  }
  errs.push(...validateHostnamePart(name, isGateway));
  return errs;
}

function validateHostnamePart(hostname: string, isGateway: boolean): string[] {
  const errs: string[] = [];
  if (hostname !== "*" && !hostname.includes(".")) errs.push("short names (non FQDN) are not allowed");
  const err = validateWildcardDomain(hostname);
  if (err && !(isGateway && isIPAddress(hostname))) errs.push(err);
  const partial = validatePartialWildcard(hostname);
  if (partial) errs.push(partial);
  return errs;
}

/** Kubernetes label map as Istio validates it (`labels.Instance.Validate`). */
export function labelProblems(p: Problems, labels: unknown, path: Path): void {
  for (const [k, v] of entries(labels)) {
    const m = LABEL_KEY.exec(k);
    if (!m) p.error([...path, k], `invalid tag key: "${k}"`);
    else if (m[1] && m[1].length - 1 > 253) p.error([...path, k], `invalid tag key: "${k}" (DNS prefix is too long)`);
    else if (m[2].length > 63) p.error([...path, k], `invalid tag key: "${k}" (name is too long)`);
    if (typeof v === "string" && !LABEL_VALUE.test(v)) p.error([...path, k], `invalid tag value: "${v}"`);
  }
}

// ---------------------------------------------------------------------------------------------
// Hosts as Istio compares them (host.Name)

function wildcardSuffix(h: string): string {
  return h.startsWith("*") ? h.slice(1) : h;
}
/** `host.Name.Matches`: the two names overlap. */
export function hostsMatch(a: string, b: string): boolean {
  const aw = a.startsWith("*");
  const bw = b.startsWith("*");
  if (aw && bw) {
    const as = wildcardSuffix(a);
    const bs = wildcardSuffix(b);
    return as.length > bs.length ? as.endsWith(bs) : bs.endsWith(as);
  }
  if (aw) return b.endsWith(wildcardSuffix(a));
  if (bw) return a.endsWith(wildcardSuffix(b));
  return a === b;
}
/** `host.Name.SubsetOf`: every name `a` matches is matched by `b`. */
export function hostSubsetOf(a: string, b: string): boolean {
  if (b.startsWith("*")) {
    if (a.startsWith("*")) return wildcardSuffix(a).endsWith(wildcardSuffix(b));
    return a.endsWith(wildcardSuffix(b));
  }
  return !a.startsWith("*") && a === b;
}

// ---------------------------------------------------------------------------------------------
// Addresses

export function isIPv4(v: string): boolean {
  const parts = v.split(".");
  return parts.length === 4 && parts.every((x) => /^(0|[1-9]\d{0,2})$/.test(x) && Number(x) <= 255);
}
export function isIPv6(v: string): boolean {
  let addr = v;
  const zone = addr.indexOf("%");
  if (zone >= 0) {
    if (zone === addr.length - 1) return false;
    addr = addr.slice(0, zone);
  }
  if (!/^[0-9a-fA-F:.]+$/.test(addr)) return false;
  let groups = 8;
  const lastColon = addr.lastIndexOf(":");
  if (lastColon >= 0 && addr.slice(lastColon + 1).includes(".")) {
    if (!isIPv4(addr.slice(lastColon + 1))) return false;
    addr = addr.slice(0, lastColon + 1) + "0:0";
  }
  const dbl = addr.split("::");
  if (dbl.length > 2) return false;
  const hex = (g: string) => /^[0-9a-fA-F]{1,4}$/.test(g);
  if (dbl.length === 2) {
    const left = dbl[0] === "" ? [] : dbl[0].split(":");
    const right = dbl[1] === "" ? [] : dbl[1].split(":");
    return left.every(hex) && right.every(hex) && left.length + right.length < groups;
  }
  const all = addr.split(":");
  groups = all.length;
  return groups === 8 && all.every(hex);
}
export function isIPAddress(v: string): boolean {
  return isIPv4(v) || isIPv6(v);
}
/** An IP address or a CIDR block; returns Istio's message when invalid. */
export function validateIPSubnet(subnet: string): string | undefined {
  const parts = subnet.split("/");
  if (parts.length === 2) {
    const [ip, bits] = parts;
    const max = isIPv4(ip) ? 32 : isIPv6(ip) && !ip.includes("%") ? 128 : -1;
    if (max < 0 || !/^(0|[1-9]\d*)$/.test(bits) || Number(bits) > max) return `${subnet} is not a valid CIDR block`;
    return undefined;
  }
  return isIPAddress(subnet) ? undefined : `${subnet} is not a valid IP`;
}

export function validPort(n: unknown): boolean {
  return typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= 65535;
}
export function portMessage(n: unknown): string {
  return `port number ${String(n)} must be in the range 1..65535`;
}

// ---------------------------------------------------------------------------------------------
// Protocols (pkg/config/protocol)

const PROTOCOLS = new Set(["tcp", "udp", "grpc", "grpc-web", "http", "http_proxy", "http2", "https", "tls", "mongo", "redis", "mysql"]);
export function protocolKnown(p: string): boolean {
  return PROTOCOLS.has(p.toLowerCase());
}
export function protocolIsHTTP(p: string): boolean {
  return ["http", "http2", "http_proxy", "grpc", "grpc-web"].includes(p.toLowerCase());
}
export function protocolIsTLS(p: string): boolean {
  return ["https", "tls"].includes(p.toLowerCase());
}
export function protocolIsTCP(p: string): boolean {
  return ["tcp", "https", "tls", "mongo", "redis", "mysql"].includes(p.toLowerCase());
}

// ---------------------------------------------------------------------------------------------
// Durations (the CRDs take Go/CEL duration strings such as "1.5s", "100ms", "1h30m")

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, "μs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Nanoseconds of a duration string, or undefined when it does not parse. */
export function parseDuration(v: string): number | undefined {
  let rest = v.trim();
  if (rest === "") return undefined;
  let sign = 1;
  if (rest[0] === "-" || rest[0] === "+") {
    if (rest[0] === "-") sign = -1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  let total = 0;
  const re = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  if (rest === "") return undefined;
  while (rest !== "") {
    const m = re.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_NS[m[2]];
    rest = rest.slice(m[0].length);
  }
  return sign * Math.round(total);
}

/**
 * The webhook's duration rule beyond the CRD's `>= 1ms` CEL rule: only millisecond precision.
 * Returns the message or undefined.
 */
export function durationPrecision(v: unknown): string | undefined {
  if (typeof v !== "string") return undefined;
  const ns = parseDuration(v);
  if (ns === undefined || ns < 1e6) return undefined; // unparsable / too small: CEL reports it
  if (ns % 1e6 !== 0) return "only durations to ms precision are supported";
  return undefined;
}

/** Checks a duration field's precision and reports at its path. */
export function checkDuration(p: Problems, parent: Obj | undefined, key: string, path: Path): void {
  if (!parent) return;
  const msg = durationPrecision(parent[key]);
  if (msg) p.error([...path, key], msg);
}

// ---------------------------------------------------------------------------------------------
// Regular expressions (Envoy uses RE2)

/** Istio's message for a regex Envoy would refuse, or undefined when it compiles as RE2. */
export function regexProblem(re: string, where: string): string | undefined {
  if (re.length > 1024) return `"${where}": regex is too large, max length allowed is 1024`;
  try {
    RE2JS.compile(re);
    return undefined;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return `"${where}": ${msg}; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)`;
  }
}

// ---------------------------------------------------------------------------------------------
// Header names

const TCHARS = /^[!#$%&'*+\-.^_`|~A-Za-z0-9]+$/;
export function isValidHeaderName(n: string): boolean {
  return TCHARS.test(n);
}
