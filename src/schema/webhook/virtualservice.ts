/**
 * VirtualService: what istiod's validating webhook rejects beyond the CRD schema
 * (pkg/config/validation: ValidateVirtualService, validateHTTPRoute and friends).
 */
import {
  type Obj,
  type Path,
  Problems,
  arr,
  checkDuration,
  entries,
  hostSubsetOf,
  hostsMatch,
  isDNS1123Label,
  isIPAddress,
  isValidHeaderName,
  labelProblems,
  num,
  obj,
  portMessage,
  present,
  regexProblem,
  s,
  str,
  strings,
  validPort,
  validateFQDN,
  validateIPSubnet,
  validateWildcardDomain,
} from "./util.js";
import { destinationProblems, exportToProblems, headerOperationProblems } from "./shared.js";

const CORS_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*"]);
const RETRY_ON = new Set([
  "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "retriable-4xx", "refused-stream",
  "retriable-status-codes", "retriable-headers", "envoy-ratelimited", "http3-post-connect-failure",
  "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
]);
/** HTTP status codes Go's net/http knows a text for (what Istio accepts as a retryOn code). */
const HTTP_STATUS = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423,
  424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);
const GRPC_STATUS = new Set([
  "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
  "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
  "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
]);
const HEADER_MATCH_FIELDS = ["headers", "withoutHeaders"];
const PSEUDO_HEADERS = new Set([":method", ":scheme", ":authority", ":path", ":status"]);

export function virtualServiceProblems(p: Problems, spec: Obj, namespace: string): void {
  const base: Path = ["spec"];
  const hosts = strings(spec.hosts);
  const gateways = strings(spec.gateways);
  const isDelegate = !present(spec.hosts);

  if (isDelegate) {
    if (present(spec.gateways)) p.error([...base, "gateways"], "delegate virtual service must have no gateways specified");
    if (present(spec.tls)) p.error([...base, "tls"], "delegate virtual service must have no tls route specified");
    if (present(spec.tcp)) p.error([...base, "tcp"], "delegate virtual service must have no tcp route specified");
  }

  let appliesToMesh = true;
  let appliesToGateway = false;
  if (gateways.length > 0) {
    gatewayNameProblems(p, spec.gateways, [...base, "gateways"]);
    appliesToGateway = !gateways.some(([, g]) => g === "mesh");
    appliesToMesh = !appliesToGateway;
  }
  const sniRoutes = arr(spec.tls).length > 0;

  if (!appliesToGateway) {
    arr(spec.http).forEach((route, ri) => {
      arr(obj(route)?.match).forEach((m, mi) => {
        for (const field of HEADER_MATCH_FIELDS) {
          for (const [key] of entries(obj(m)?.[field])) {
            if (isJwtClaimRoute(key)) {
              p.error(
                [...base, "http", ri, "match", mi, field, key],
                `JWT claim based routing (key: ${key}) is only supported for gateway, found no gateways: [${gateways.map(([, g]) => g).join(" ")}]`,
              );
            }
          }
        }
      });
    });
  }

  // hosts
  let allHostsValid = true;
  for (const [i, h] of hosts) {
    const err = appliesToGateway ? validateGatewayBoundDomain(sniRoutes, h) : validateWildcardDomain(h);
    if (err) {
      if (!isIPAddress(h)) {
        p.error([...base, "hosts", i], err);
        allHostsValid = false;
      }
    } else if (appliesToMesh && h === "*") {
      p.error([...base, "hosts", i], "wildcard host * is not allowed for virtual services bound to the mesh gateway");
      allHostsValid = false;
    }
  }
  if (allHostsValid) {
    for (let a = 0; a < hosts.length; a++) {
      for (let b = a + 1; b < hosts.length; b++) {
        if (hostsMatch(hosts[a][1], hosts[b][1])) {
          p.error([...base, "hosts", hosts[b][0]], `duplicate hosts in virtual service: ${hosts[a][1]} & ${hosts[b][1]}`);
        }
      }
    }
  }

  if (!present(spec.http) && !present(spec.tcp) && !present(spec.tls)) {
    p.error(base, "http, tcp or tls must be provided in virtual service");
  }

  arr(spec.http).forEach((route, i) => {
    const path = [...base, "http", i];
    if (route === null) {
      p.error(path, "http route may not be null");
      return;
    }
    const r = obj(route);
    if (r) httpRouteProblems(p, r, path, isDelegate);
  });
  arr(spec.tls).forEach((route, i) => {
    const r = obj(route);
    if (r) tlsRouteProblems(p, r, [...base, "tls", i], hosts.map(([, h]) => h), appliesToGateway);
  });
  arr(spec.tcp).forEach((route, i) => {
    const r = obj(route);
    if (r) tcpRouteProblems(p, r, [...base, "tcp", i]);
  });

  exportToProblems(p, spec.exportTo, [...base, "exportTo"], namespace, false, false);
  unreachableHTTPRules(p, spec);
}

/** A header key naming JWT claims (istiod matches the "@request.auth.claims" prefix case-insensitively). */
function isJwtClaimRoute(key: string): boolean {
  const prefix = "@request.auth.claims";
  if (!key.toLowerCase().startsWith(prefix)) return false;
  const rest = key.slice(prefix.length);
  return (rest.startsWith(".") && rest.length > 1) || (rest.startsWith("[") && rest.endsWith("]") && rest.length > 2);
}

/** Host names of a VirtualService bound to gateways (also accepts `outbound_.<port>_._.<host>` SNI names). */
function validateGatewayBoundDomain(sni: boolean, domain: string): string | undefined {
  if (sni && domain.startsWith("outbound_")) {
    const parts = domain.split("_");
    if (parts.length < 4) return `domain name ${domain} invalid, should follow 'outbound_.<PORT>_._.<HOSTNAME>' format`;
    const port = parts[1].replace(/^\.+|\.+$/g, "");
    const hostname = parts[3].replace(/^\.+|\.+$/g, "");
    if (!/[0-9]/.test(port)) return `domain name "${domain}" invalid (label "${port}" invalid). should follow outbound_.<PORT>_._.<HOSTNAME> format`;
    if (!/[a-zA-Z]/.test(hostname)) return `domain name "${domain}" invalid (label "${hostname}" invalid). should follow outbound_.<PORT>_._.<HOSTNAME> format`;
    return undefined;
  }
  return validateWildcardDomain(domain);
}

/** `gateways` entries: `mesh`, `name`, or `namespace/name`. */
export function gatewayNameProblems(p: Problems, list: unknown, path: Path): void {
  for (const [i, g] of strings(list)) {
    const slash = g.indexOf("/");
    if (slash < 0) {
      if (g.includes(".")) {
        const parts = g.split(".");
        p.warn([...path, i], `using legacy gatewayName format "${g}"; prefer the <namespace>/<name> format: "${parts[1]}/${parts[0]}"`);
      }
      const err = validateFQDN(g);
      if (err) p.error([...path, i], err);
      continue;
    }
    const ns = g.slice(0, slash);
    const name = g.slice(slash + 1);
    if (ns === "" || name === "") p.error([...path, i], "config namespace and gateway name cannot be empty");
    if (!isDNS1123Label(ns)) p.error([...path, i], `invalid value for namespace: "${ns}"`);
    if (!isDNS1123Label(name)) p.error([...path, i], `invalid value for gateway name: "${name}"`);
  }
}

function httpRouteProblems(p: Problems, r: Obj, path: Path, isDelegate: boolean): void {
  const name = s(r.name);
  const hasRoute = present(r.route);
  const redirect = obj(r.redirect);
  const direct = obj(r.directResponse);
  // conflicts
  if (!isDelegate && r.delegate != null) {
    if (r.redirect != null) p.error([...path, "redirect"], `root HTTP route ${name} must not specify redirect`);
    if (r.route != null) p.error([...path, "route"], `root HTTP route ${name} must not specify route`);
  } else {
    if (isDelegate && r.delegate != null) p.error([...path, "delegate"], "delegate HTTP route cannot contain delegate");
    if (r.redirect != null) {
      if (hasRoute) p.error([...path, "route"], "HTTP route cannot contain both route and redirect");
      if (r.fault != null) p.error([...path, "fault"], "HTTP route cannot contain both fault and redirect");
      if (r.rewrite != null) p.error([...path, "rewrite"], "HTTP route rule cannot contain both rewrite and redirect");
      if (r.directResponse != null) p.error([...path, "directResponse"], "HTTP route rule cannot contain both direct_response and redirect");
    } else if (r.directResponse != null) {
      if (hasRoute) p.error([...path, "route"], "HTTP route cannot contain both route and direct_response");
      if (r.fault != null) p.error([...path, "fault"], "HTTP route cannot contain both fault and direct_response");
      if (r.rewrite != null) p.error([...path, "rewrite"], "HTTP route rule cannot contain both rewrite and direct_response");
    } else if (!hasRoute) {
      p.error(path, "HTTP route, redirect or direct_response is required");
    }
  }
  if (r.mirror != null && present(r.mirrors)) p.error([...path, "mirrors"], "HTTP route cannot contain both mirror and mirrors");

  // The checks of optional parts report nothing when the part is absent: skipped then, with their paths.
  matchProblems(p, r, path);
  if (r.headers != null) {
    headerOperationProblems(p, r.headers, [...path, "headers"]);
    authorityRewriteProblems(p, r, path);
  }
  const cors = obj(r.corsPolicy);
  if (cors) corsProblems(p, cors, [...path, "corsPolicy"]);
  const fault = obj(r.fault);
  if (fault) faultProblems(p, fault, [...path, "fault"]);

  const mirrorPercent = num(r.mirrorPercent) ?? num(r.mirror_percent);
  if (r.mirrorPercent != null || r.mirror_percent != null) {
    const key = r.mirrorPercent != null ? "mirrorPercent" : "mirror_percent";
    if (mirrorPercent !== undefined && mirrorPercent > 100) {
      p.error([...path, key], `mirror_percent must have a max value of 100 (it has ${mirrorPercent})`);
    }
    p.warn([...path, key], 'using deprecated setting "mirrorPercent", use "mirrorPercentage" instead');
  }
  const mp = num(obj(r.mirrorPercentage)?.value);
  if (mp !== undefined) {
    if (mp > 100) p.error([...path, "mirrorPercentage", "value"], `mirror_percentage must have a max value of 100 (it has ${mp})`);
    if (mp < 0) p.error([...path, "mirrorPercentage", "value"], `mirror_percentage must have a min value of 0 (it has ${mp})`);
  }
  const mirror = obj(r.mirror);
  if (mirror) destinationProblems(p, mirror, [...path, "mirror"]);
  arr(r.mirrors).forEach((m, i) => {
    const mpath = [...path, "mirrors", i];
    if (m === null) return p.error(mpath, "mirror cannot be null");
    const mo = obj(m);
    if (!mo) return;
    const d = obj(mo.destination);
    if (!d) {
      if (mo.destination == null) p.error(mpath, "destination is required for mirrors");
      return;
    }
    destinationProblems(p, d, [...mpath, "destination"]);
    const v = num(obj(mo.percentage)?.value);
    if (v !== undefined && v > 100) p.error([...mpath, "percentage", "value"], `mirror percentage must have a max value of 100 (it has ${v})`);
    if (v !== undefined && v < 0) p.error([...mpath, "percentage", "value"], `mirror percentage must have a min value of 0 (it has ${v})`);
  });

  if (redirect) redirectProblems(p, redirect, arr(r.match), [...path, "redirect"]);
  if (direct) directResponseProblems(p, direct, [...path, "directResponse"]);
  const retries = obj(r.retries);
  if (retries) retryProblems(p, retries, [...path, "retries"]);
  const rewrite = obj(r.rewrite);
  if (rewrite) rewriteProblems(p, rewrite, [...path, "rewrite"]);
  if (Array.isArray(r.route)) routeDestinationProblems(p, r.route, [...path, "route"], true);
  checkDuration(p, r, "timeout", path);
}

function stringMatchProblems(p: Problems, sm: unknown, path: Path, where: string, allowEmptyPrefix = false): void {
  const m = obj(sm);
  if (!m) return;
  if (m.prefix !== undefined && typeof m.prefix === "string" && m.exact === undefined && m.regex === undefined) {
    if (m.prefix === "" && !allowEmptyPrefix) p.error([...path, "prefix"], `"${where}": prefix string match should not be empty`);
  }
  if (typeof m.regex === "string" && m.exact === undefined && m.prefix === undefined) {
    if (m.regex === "") p.error([...path, "regex"], `"${where}": regex string match should not be empty`);
    else {
      const err = regexProblem(m.regex, where);
      if (err) p.error([...path, "regex"], err);
    }
  }
}

function matchProblems(p: Problems, r: Obj, path: Path): void {
  arr(r.match).forEach((match, mi) => {
    const m = obj(match);
    if (!m) return;
    const mpath = [...path, "match", mi];
    for (const [name, header] of entries(m.headers)) {
      const hp = [...mpath, "headers", name];
      if (header === null) p.error(hp, `header match ${name} cannot be null`);
      headerNameProblems(p, name, hp);
      stringMatchProblems(p, header, hp, "headers");
    }
    for (const [name, header] of entries(m.withoutHeaders)) {
      const hp = [...mpath, "withoutHeaders", name];
      headerNameProblems(p, name, hp);
      if (obj(header)?.regex !== "*") stringMatchProblems(p, header, hp, "withoutHeaders");
    }
    stringMatchProblems(p, m.uri, [...mpath, "uri"], "uri", true);
    stringMatchProblems(p, m.scheme, [...mpath, "scheme"], "scheme");
    stringMatchProblems(p, m.method, [...mpath, "method"], "method");
    stringMatchProblems(p, m.authority, [...mpath, "authority"], "authority");
    for (const [name, qp] of entries(m.queryParams)) stringMatchProblems(p, qp, [...mpath, "queryParams", name], "queryParams");
    l4MatchCommon(p, m, mpath);
    const sns = str(m.sourceNamespace);
    if (sns && !isDNS1123Label(sns)) p.error([...mpath, "sourceNamespace"], `sourceNamespace match ${sns} is invalid`);
  });
}

/** port, sourceLabels and gateways, shared by HTTP, TCP and TLS matches. */
function l4MatchCommon(p: Problems, m: Obj, mpath: Path): void {
  const port = num(m.port);
  if (port !== undefined && port !== 0 && !validPort(port)) p.error([...mpath, "port"], portMessage(port));
  labelProblems(p, m.sourceLabels, [...mpath, "sourceLabels"]);
  gatewayNameProblems(p, m.gateways, [...mpath, "gateways"]);
}

function headerNameProblems(p: Problems, name: string, path: Path): void {
  if (name === "") return p.error(path, "header name cannot be empty");
  if (isJwtClaimRoute(name) || PSEUDO_HEADERS.has(name)) return;
  if (!isValidHeaderName(name)) p.error(path, `header name ${name} is not a valid header name`);
}

function authorityRewriteProblems(p: Problems, r: Obj, path: Path): void {
  let current = s(obj(r.rewrite)?.authority);
  const request = obj(obj(r.headers)?.request);
  for (const op of ["set", "add"]) {
    for (const [k, v] of entries(request?.[op])) {
      const lk = k.toLowerCase();
      if (lk !== ":authority" && lk !== "host") continue;
      if (current !== "") {
        p.error([...path, "headers", "request", op, k], `authority header cannot be set multiple times: have "${current}", attempting to set "${s(v)}"`);
        return;
      }
      current = s(v);
    }
  }
}

function corsProblems(p: Problems, c: Obj, path: Path): void {
  arr(c.allowOrigins).forEach((o, i) => {
    const origin = obj(o);
    if (!origin) return;
    const op = [...path, "allowOrigins", i];
    const value = str(origin.exact) ?? str(origin.prefix) ?? str(origin.regex);
    if (!value) {
      p.error(op, `'${value ?? ""}' is not a valid match type for CORS allow origins`);
      return;
    }
    if (typeof origin.regex === "string") {
      const err = regexProblem(origin.regex, "corsPolicy.allowOrigins");
      if (err) p.error([...op, "regex"], err);
    }
  });
  for (const [i, m] of strings(c.allowMethods)) {
    if (!CORS_METHODS.has(m)) p.error([...path, "allowMethods", i], `"${m}" is not a supported HTTP method`);
  }
  for (const field of ["allowHeaders", "exposeHeaders"]) {
    for (const [i, h] of strings(c[field])) {
      if (h === "") p.error([...path, field, i], "header name cannot be empty");
      else if (h !== "*" && !isValidHeaderName(h)) p.error([...path, field, i], `header name ${h} is not a valid header name`);
    }
  }
  const maxAge = str(c.maxAge);
  if (maxAge !== undefined) {
    checkDuration(p, c, "maxAge", path);
    const m = /^(\d+)(?:\.(\d+))?s$/.exec(maxAge);
    const fractional = m ? m[2] !== undefined && /[1-9]/.test(m[2]) : /ms|us|µs|ns|\./.test(maxAge);
    if (fractional) p.error([...path, "maxAge"], "max_age duration is accurate only to seconds precision");
  }
}

function percentageProblems(p: Problems, parent: Obj, path: Path): void {
  const v = num(obj(parent.percentage)?.value);
  if (v === undefined) return;
  if (v < 0 || v > 100 || (v > 0 && v < 0.0001)) {
    p.error([...path, "percentage", "value"], `percentage ${v} is neither 0.0, nor in range [0.0001, 100.0]`);
  }
}

function faultProblems(p: Problems, f: Obj, path: Path): void {
  const abort = obj(f.abort);
  const delay = obj(f.delay);
  if (f.abort == null && f.delay == null) p.error(path, "HTTP fault injection must have an abort and/or a delay");
  if (abort) {
    const ap = [...path, "abort"];
    percentageProblems(p, abort, ap);
    if (abort.grpcStatus !== undefined) {
      const g = s(abort.grpcStatus);
      if (!GRPC_STATUS.has(g)) {
        p.error([...ap, "grpcStatus"], `gRPC status "${g}" is not supported. See https://github.com/grpc/grpc/blob/master/doc/statuscodes.md for a list of supported codes, for example 'NOT_FOUND'`);
      }
    } else if (abort.http2Error !== undefined) {
      p.error([...ap, "http2Error"], "HTTP/2 abort fault injection not supported yet");
    } else if (abort.httpStatus !== undefined) {
      const st = num(abort.httpStatus);
      if (st !== undefined && (st < 200 || st > 600)) p.error([...ap, "httpStatus"], `HTTP status ${st} is not in range 200-599`);
    } else {
      p.warn(ap, "abort configured, but error type not set");
    }
  }
  if (delay) {
    const dp = [...path, "delay"];
    percentageProblems(p, delay, dp);
    checkDuration(p, delay, "fixedDelay", dp);
    if (delay.exponentialDelay !== undefined) {
      checkDuration(p, delay, "exponentialDelay", dp);
      p.error([...dp, "exponentialDelay"], "exponentialDelay not supported yet");
    }
  }
}

function redirectProblems(p: Problems, rd: Obj, matches: unknown[], path: Path): void {
  const uri = s(rd.uri);
  const prefixRewrite = s(rd.prefixRewrite);
  if (uri !== "" && prefixRewrite !== "") return p.error(path, "redirect may only specify one of uri or prefix_rewrite");
  if (prefixRewrite !== "") {
    for (const m of matches) {
      const u = obj(obj(m)?.uri);
      if (u && typeof u.prefix !== "string") {
        return p.error([...path, "prefixRewrite"], "redirect prefix_rewrite requires all URI matches to use prefix match type");
      }
    }
  }
  if (uri === "" && prefixRewrite === "" && !present(rd.authority) && rd.port == null && !present(rd.scheme) && rd.derivePort == null) {
    return p.error(path, "redirect must specify URI, authority, scheme, or port");
  }
  const code = num(rd.redirectCode);
  if (code !== undefined && code !== 0 && (code < 300 || code > 399)) {
    return p.error([...path, "redirectCode"], `${code} is not a valid redirect code, must be 3xx`);
  }
  const scheme = s(rd.scheme);
  if (scheme !== "" && scheme !== "http" && scheme !== "https") {
    return p.error([...path, "scheme"], 'invalid redirect scheme, must be "http" or "https"');
  }
  const port = num(rd.port);
  if (port !== undefined && port > 0 && !validPort(port)) p.error([...path, "port"], portMessage(port));
}

function directResponseProblems(p: Problems, dr: Obj, path: Path): void {
  const body = obj(dr.body);
  if (body) {
    const size = typeof body.string === "string" ? Buffer.byteLength(body.string) : typeof body.bytes === "string" ? Math.floor((body.bytes.length * 3) / 4) : 0;
    if (size > 1024 * 1024) p.error([...path, "body"], "large direct_responses may impact control plane performance, must be less than 1MB");
    else if (size > 100 * 1024) p.warn([...path, "body"], "large direct_responses may impact control plane performance");
  }
  const st = num(dr.status);
  if (st !== undefined && (st < 200 || st > 600)) p.error([...path, "status"], `HTTP status ${st} is not in range 200-599`);
}

function retryProblems(p: Problems, rt: Obj, path: Path): void {
  const attempts = num(rt.attempts) ?? 0;
  if (attempts < 0) p.error([...path, "attempts"], "attempts cannot be negative");
  if (attempts === 0 && (rt.perTryTimeout != null || present(rt.retryOn) || rt.retryRemoteLocalities != null)) {
    p.error(path, "http retry policy configured when attempts are set to 0 (disabled)");
  }
  checkDuration(p, rt, "perTryTimeout", path);
  checkDuration(p, rt, "backoff", path);
  const retryOn = s(rt.retryOn);
  if (retryOn !== "") {
    for (const policy of retryOn.split(",")) {
      if (RETRY_ON.has(policy)) continue;
      const code = /^[+-]?\d+$/.test(policy) ? Number(policy) : 0;
      if (!HTTP_STATUS.has(code)) p.error([...path, "retryOn"], `"${policy}" is not a valid retryOn policy`);
    }
  }
}

function rewriteProblems(p: Problems, rw: Obj, path: Path): void {
  const regex = obj(rw.uriRegexRewrite);
  if (present(rw.uri) && rw.uriRegexRewrite != null) return p.error(path, "rewrite may only contain one of URI or UriRegexRewrite");
  if (!present(rw.uri) && rw.uriRegexRewrite == null && !present(rw.authority)) {
    return p.error(path, "rewrite must specify at least one of URI, UriRegexRewrite, or authority. Only one of URI or UriRegexRewrite may be specified");
  }
  if (regex) {
    const rp = [...path, "uriRegexRewrite"];
    if (!present(regex.match) || !present(regex.rewrite)) {
      p.error(rp, "UriRegexRewrite has errors: UriRegexRewrite requires both Rewrite and Match fields to be specified");
    } else if (typeof regex.match === "string") {
      const err = regexProblem(regex.match, "HTTPRewrite.UriRegexRewrite.Match");
      if (err) p.error([...rp, "match"], `UriRegexRewrite has errors: ${err}`);
    }
  }
}

/** `route` lists of HTTP, TCP and TLS routes. */
function routeDestinationProblems(p: Problems, list: unknown, path: Path, http: boolean): void {
  const routes = arr(list);
  let total = 0;
  routes.forEach((w, i) => {
    const wp = [...path, i];
    if (w === null) return p.error(wp, "weight may not be nil");
    const wo = obj(w);
    if (!wo) return;
    const d = obj(wo.destination);
    if (wo.destination == null) p.error(wp, "destination is required");
    if (http && wo.headers != null) headerOperationProblems(p, wo.headers, [...wp, "headers"]);
    if (d) destinationProblems(p, d, [...wp, "destination"]);
    const weight = num(wo.weight) ?? 0;
    if (weight < 0) p.error([...wp, "weight"], `weight ${weight} < 0`);
    total += weight;
  });
  if (routes.length > 1 && total === 0) p.error(path, "total destination weight = 0");
}

function tlsRouteProblems(p: Problems, r: Obj, path: Path, hosts: string[], appliesToGateway: boolean): void {
  if (!present(r.match)) p.error(path, "TLS route must have at least one match condition");
  arr(r.match).forEach((match, mi) => {
    const mp = [...path, "match", mi];
    if (match === null) return p.error(mp, "TLS match may not be null");
    const m = obj(match);
    if (!m) return;
    const sni = strings(m.sniHosts);
    if (!present(m.sniHosts)) p.error(mp, "TLS match must have at least one SNI host");
    for (const [i, h] of sni) sniHostProblems(p, h, [...mp, "sniHosts", i], hosts, appliesToGateway);
    for (const [i, sub] of strings(m.destinationSubnets)) {
      const err = validateIPSubnet(sub);
      if (err) p.error([...mp, "destinationSubnets", i], err);
    }
    l4MatchCommon(p, m, mp);
  });
  if (!present(r.route)) p.error(path, "TLS route is required");
  routeDestinationProblems(p, r.route, [...path, "route"], false);
}

function sniHostProblems(p: Problems, sni: string, path: Path, hosts: string[], appliesToGateway: boolean): void {
  const err = appliesToGateway ? validateGatewayBoundDomain(true, sni) : validateWildcardDomain(sni);
  if (err) {
    if (isIPAddress(sni)) {
      p.warn(path, `using an IP address ("${sni}") goes against SNI spec and most clients do not support this`);
    } else {
      p.error(path, err);
    }
    return;
  }
  if (hosts.some((h) => hostSubsetOf(sni, h))) return;
  p.error(path, `SNI host "${sni}" is not a compatible subset of any of the virtual service hosts: [${hosts.join(", ")}]`);
}

function tcpRouteProblems(p: Problems, r: Obj, path: Path): void {
  arr(r.match).forEach((match, mi) => {
    const mp = [...path, "match", mi];
    if (match === null) return p.error(mp, "tcp match may not be nil");
    const m = obj(match);
    if (!m) return;
    for (const [i, sub] of strings(m.destinationSubnets)) {
      const err = validateIPSubnet(sub);
      if (err) p.error([...mp, "destinationSubnets", i], err);
    }
    l4MatchCommon(p, m, mp);
  });
  if (!present(r.route)) p.error(path, "TCP route is required");
  routeDestinationProblems(p, r.route, [...path, "route"], false);
}

/**
 * The webhook's warnings for HTTP routes that can never match: a route after a route without
 * matches, and a match identical to an earlier one.
 */
function unreachableHTTPRules(p: Problems, spec: Obj): void {
  const routes = arr(spec.http);
  const seen = new Map<string, string>();
  let emptyMatchSeen = false;
  const routeName = (r: Obj, i: number) => (typeof r.name === "string" && r.name !== "" ? `"${r.name}"` : `#${i}`);
  routes.forEach((route, ri) => {
    const r = obj(route);
    if (!r) return;
    const rname = routeName(r, ri);
    const matches = arr(r.match);
    if (matches.length === 0) {
      if (emptyMatchSeen) p.warn(["spec", "http", ri], `virtualService rule ${rname} not used (only the last rule can have no matches)`, "unreachable-route");
      emptyMatchSeen = true;
      return;
    }
    if (emptyMatchSeen) {
      p.warn(["spec", "http", ri], `virtualService rule ${rname} not used (route without matches defined before)`, "unreachable-route");
      return;
    }
    let duplicates = 0;
    matches.forEach((m, mi) => {
      const mo = obj(m) ?? {};
      const key = canonicalJSON(mo, "name");
      const mname = typeof mo.name === "string" && mo.name !== "" ? `"${mo.name}"` : `#${mi}`;
      const prev = seen.get(key);
      if (prev !== undefined) {
        p.warn(["spec", "http", ri, "match", mi], `virtualService rule ${rname} match ${mname} is not used (duplicate/overlapping match in rule ${prev})`, "unreachable-route");
        duplicates++;
      } else {
        seen.set(key, rname);
      }
    });
    if (duplicates === matches.length) {
      p.warn(["spec", "http", ri], `virtualService rule ${rname} not used (all matches used by prior rules)`, "unreachable-route");
    }
  });
}

function isObj0(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** JSON with object keys sorted (the same for equal values), leaving out `omit` at the top level. */
export function canonicalJSON(v: unknown, omit?: string): string {
  if (Array.isArray(v)) {
    let out = "[";
    // As Array.prototype.join: an element without JSON text (undefined) shows as nothing.
    for (let i = 0; i < v.length; i++) out += (i > 0 ? "," : "") + ((canonicalJSON(v[i]) as string | undefined) ?? "");
    return out + "]";
  }
  if (isObj0(v)) {
    let out = "{";
    let first = true;
    for (const k of Object.keys(v).sort()) {
      if (k === omit) continue;
      out += `${first ? "" : ","}${JSON.stringify(k)}:${canonicalJSON(v[k])}`;
      first = false;
    }
    return out + "}";
  }
  return JSON.stringify(v);
}
