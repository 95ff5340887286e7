/**
 * Webhook rules shared by several kinds: destinations, header operations, exportTo, traffic
 * policies (DestinationRule, Sidecar), client and server TLS settings, selectors and targetRefs.
 */
import {
  type Obj,
  type Path,
  Problems,
  arr,
  checkDuration,
  entries,
  isDNS1123Label,
  labelProblems,
  num,
  obj,
  portMessage,
  present,
  s,
  strings,
  validPort,
  validateFQDN,
  validateWildcardDomain,
  isIPAddress,
  isObj,
} from "./util.js";

// ---------------------------------------------------------------------------------------------
// Destinations

export function subsetNameProblem(name: string): string | undefined {
  if (name.length === 0) return "subset name cannot be empty";
  if (!isDNS1123Label(name)) return `subset name is invalid: ${name}`;
  return undefined;
}

export function destinationProblems(p: Problems, d: Obj, path: Path): void {
  if (typeof d.host === "string") {
    if (d.host === "*") p.error([...path, "host"], `invalid destination host ${d.host}`);
    else {
      const err = validateWildcardDomain(d.host);
      if (err) p.error([...path, "host"], err);
    }
  }
  if (typeof d.subset === "string" && d.subset !== "") {
    const err = subsetNameProblem(d.subset);
    if (err) p.error([...path, "subset"], err);
  }
  const port = obj(d.port);
  if (port) {
    const n = num(port.number) ?? 0;
    if (!validPort(n)) p.error([...path, "port", "number"], portMessage(n));
  }
}

// ---------------------------------------------------------------------------------------------
// Header manipulation (HTTPRoute.headers, HTTPRouteDestination.headers)

function headerValueProblem(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000A-\u001F\u007F]/.test(value)) return `header value configuration ${value} is invalid`;
  const err = headerFormatterProblem(value);
  return err && `header value configuration: invalid header configuration. ${err}`;
}

/**
 * Envoy's custom header syntax as its header parser (and istiod's port of it) reads it: "%%" is a
 * literal "%", "%VAR%" a variable, and "%VAR(args)%" a variable with arguments, either one bare
 * string running to the first ")" (e.g. a strftime format full of "%": `%START_TIME(%s)%`) or a
 * JSON-like array of quoted strings.
 */
function headerFormatterProblem(value: string): string | undefined {
  type State = "literal" | "name" | "argsStart" | "nextString" | "string" | "afterString" | "argsEnd" | "varEnd";
  let state: State = "literal";
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    switch (state) {
      case "literal":
        if (c !== "%") break;
        if (i + 1 === value.length) return "Un-escaped %";
        if (value[i + 1] === "%") i++;
        else state = "name";
        break;
      case "name":
        if (c === "%") state = "literal";
        else if (c === "(") state = "argsStart";
        break;
      case "argsStart":
        if (c === "[") state = "nextString";
        else if (c !== " ") state = "string";
        break;
      case "nextString":
        if (c === '"') state = "string";
        else if (c !== " ") return `Expecting '"'`;
        break;
      case "string":
        if (c === "\\") {
          if (i + 1 === value.length) return "Un-terminated backslash in JSON string";
          i++;
        } else if (c === ")") state = "varEnd";
        else if (c === '"') state = "afterString";
        break;
      case "afterString":
        if (c === ",") state = "nextString";
        else if (c === "]") state = "argsEnd";
        else if (c !== " ") return "Expecting ',', ']', or whitespace";
        break;
      case "argsEnd":
        if (c === ")") state = "varEnd";
        else if (c !== " ") return `Expecting ')' or whitespace after ']', but found '${c}'`;
        break;
      case "varEnd":
        if (c === "%") state = "literal";
        else if (c !== " ") return "Expecting '%' or whitespace after ')'";
        break;
    }
  }
  return state === "literal" ? undefined : `Un-terminated variable expression '${value}'`;
}

function isInternalHeader(k: string): boolean {
  return k.startsWith(":") || k.toLowerCase() === "host";
}
function isAuthorityHeader(k: string): boolean {
  const l = k.toLowerCase();
  return l === ":authority" || l === "host";
}

export function headerOperationProblems(p: Problems, headers: unknown, path: Path): void {
  const h = obj(headers);
  if (!h) return;
  for (const side of ["request", "response"] as const) {
    const ops = obj(h[side]);
    if (!ops) continue;
    for (const op of ["add", "set"]) {
      for (const [name, value] of entries(ops[op])) {
        const np = [...path, side, op, name];
        if (name === "") p.error(np, "header name cannot be empty");
        else if (side === "request") {
          if (isInternalHeader(name) && !isAuthorityHeader(name)) p.error(np, `invalid header "${name}": header cannot have ":" prefix`);
        } else if (name.toLowerCase() === "host") p.error(np, `invalid header "${name}": cannot set Host header`);
        else if (isInternalHeader(name)) p.error(np, `invalid header "${name}": header cannot have ":" prefix`);
        if (typeof value === "string") {
          const err = headerValueProblem(value);
          if (err) p.error(np, err);
        }
      }
    }
    for (const [i, name] of strings(ops.remove)) {
      const np = [...path, side, "remove", i];
      if (name === "") p.error(np, "header name cannot be empty");
      else if (name.toLowerCase() === "host") p.error(np, `invalid header "${name}": cannot set Host header`);
      else if (isInternalHeader(name)) p.error(np, `invalid header "${name}": header cannot have ":" prefix`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// exportTo

export function exportToProblems(
  p: Problems,
  list: unknown,
  path: Path,
  namespace: string,
  isServiceEntry: boolean,
  isDestinationRuleWithSelector: boolean,
): void {
  const items = strings(list);
  if (items.length === 0) return;
  const set = new Set<string>();
  for (const [i, e] of items) {
    const key = e === "." && namespace !== "" ? namespace : e;
    if (set.has(key)) {
      if (key !== e) p.error([...path, i], `duplicate entries in exportTo: . and current namespace ${namespace}`);
      else p.error([...path, i], `duplicate entries in exportTo for entry ${e}`);
      continue;
    }
    if (isServiceEntry && e === "~") {
      set.add(key);
    } else if (key === "~") {
      p.error([...path, i], "exportTo ~ (none) is not allowed for Istio configuration objects");
    } else if (key === "." || key === "*" || isDNS1123Label(key)) {
      set.add(key);
    } else {
      p.error([...path, i], "only .,*, or a valid DNS 1123 label is allowed as exportTo entry");
    }
  }
  if (isDestinationRuleWithSelector && set.size > 0) {
    const own = namespace !== "" ? set.has(namespace) : set.has(".");
    if (own) {
      if (set.size > 1) p.error(path, "destination rule with workload selector cannot have multiple entries in exportTo");
    } else {
      p.error(path, "destination rule with workload selector cannot have exportTo beyond current namespace");
    }
  }
  if (set.has("*") && items.length > 1) p.error(path, "cannot have both public (*) and non-public exportTo values for a resource");
  if (set.has("~") && items.length > 1) p.error(path, "cannot export service entry to no one (~) and someone");
}

// ---------------------------------------------------------------------------------------------
// Selectors and policy targets

/**
 * `selector.matchLabels` (security / telemetry / extensions kinds): the empty-key and wildcard
 * rules are CEL in the CRDs, so only the webhook's warning for a selector without labels is here.
 */
export function workloadSelectorProblems(p: Problems, selector: unknown, path: Path): void {
  const sel = obj(selector);
  if (!sel) return;
  if (entries(sel.matchLabels).length === 0) p.warn(path, "workload selector specified without labels");
}

/**
 * `workloadSelector.labels` of a Sidecar, ServiceEntry or EnvoyFilter (whose CRDs constrain at most the values): no
 * empty or wildcard keys, and the webhook's warning when there are no labels (`kind` prefixes it).
 */
export function workloadSelectorLabelProblems(p: Problems, selector: unknown, kind: string): void {
  const ws = obj(selector);
  if (!ws) return;
  for (const [k, v] of entries(ws.labels)) {
    if (k === "") p.error(["spec", "workloadSelector", "labels", k], `empty key is not supported in selector: "=${s(v)}"`);
    else if (k.includes("*")) p.error(["spec", "workloadSelector", "labels", k], `wildcard is not supported in selector: "${k}=${s(v)}"`);
  }
  if (entries(ws.labels).length === 0) {
    p.warn(["spec", "workloadSelector"], `${kind}: workload selector specified without labels, will be applied to all services in namespace`);
  }
}

const TARGET_KINDS = new Set(["core/Service", "networking.istio.io/ServiceEntry", "gateway.networking.k8s.io/Gateway", "gateway.networking.k8s.io/GatewayClass"]);

export function targetRefProblems(p: Problems, ref: unknown, path: Path): void {
  const r = obj(ref);
  if (!r) return;
  if (!present(r.name) && r.name !== undefined) p.error([...path, "name"], "targetRef name must be set");
  const group = s(r.group) === "" ? "core" : s(r.group);
  const kind = s(r.kind);
  if (!TARGET_KINDS.has(`${group}/${kind}`)) {
    p.error(path, `targetRef must be to one of [core/Service networking.istio.io/ServiceEntry gateway.networking.k8s.io/Gateway gateway.networking.k8s.io/GatewayClass] but was ${s(r.group)}/${kind}`);
  }
}

export function policyTargetProblems(p: Problems, spec: Obj): void {
  workloadSelectorProblems(p, spec.selector, ["spec", "selector"]);
  targetRefProblems(p, spec.targetRef, ["spec", "targetRef"]);
  arr(spec.targetRefs).forEach((r, i) => targetRefProblems(p, r, ["spec", "targetRefs", i]));
}

// ---------------------------------------------------------------------------------------------
// Traffic policy (DestinationRule, subsets, port level)

const TRAFFIC_POLICY_FIELDS = ["outlierDetection", "connectionPool", "loadBalancer", "tls", "portLevelSettings", "tunnel", "proxyProtocol", "retryBudget"];

export function trafficPolicyProblems(p: Problems, policy: unknown, path: Path, namespace: string): void {
  const tp = obj(policy);
  if (!tp) return;
  if (!TRAFFIC_POLICY_FIELDS.some((f) => tp[f] != null)) {
    p.error(path, "traffic policy must have at least one field");
    return;
  }
  if (tp.tunnel != null && tp.proxyProtocol != null) {
    p.error(path, "tunnel and proxyProtocol must not be set together");
    return;
  }
  policySettingsProblems(p, tp, path, namespace);
  arr(tp.portLevelSettings).forEach((pl, i) => {
    const pp = [...path, "portLevelSettings", i];
    if (pl === null) return p.error(pp, "traffic policy may not be null");
    const po = obj(pl);
    if (!po) return;
    if (po.port == null) p.error(pp, "portTrafficPolicy must have valid port");
    if (po.outlierDetection == null && po.connectionPool == null && po.loadBalancer == null && po.tls == null) {
      p.error(pp, "port traffic policy must have at least one field");
      return;
    }
    policySettingsProblems(p, po, pp, namespace);
  });
  const tunnel = obj(tp.tunnel);
  if (tunnel) {
    const proto = s(tunnel.protocol);
    if (proto !== "" && proto !== "CONNECT" && proto !== "POST") p.error([...path, "tunnel", "protocol"], 'tunnel protocol must be "CONNECT" or "POST"');
    if (typeof tunnel.targetHost === "string" && validateFQDN(tunnel.targetHost) && !isIPAddress(tunnel.targetHost)) {
      p.error([...path, "tunnel", "targetHost"], `tunnel target host must be valid FQDN or IP address: ${validateFQDN(tunnel.targetHost)}; ${tunnel.targetHost} is not a valid IP`);
    }
    const tport = num(tunnel.targetPort);
    if (tport !== undefined && !validPort(tport)) p.error([...path, "tunnel", "targetPort"], `tunnel target port is invalid: ${portMessage(tport)}`);
  }
  const pp = obj(tp.proxyProtocol);
  if (pp && typeof pp.version === "string" && !["V1", "V2"].includes(pp.version)) {
    // The enum is checked structurally; nothing else to add.
  }
}

/**
 * Outlier detection, connection pool, load balancer and TLS settings of a traffic policy or of one
 * of its ports. Each check reports nothing on an absent setting: skipped then, with its path.
 */
function policySettingsProblems(p: Problems, settings: Obj, path: Path, namespace: string): void {
  const od = obj(settings.outlierDetection);
  if (od) outlierDetectionProblems(p, od, [...path, "outlierDetection"]);
  if (settings.connectionPool != null) connectionPoolProblems(p, settings.connectionPool, [...path, "connectionPool"]);
  const lb = obj(settings.loadBalancer);
  if (lb) loadBalancerProblems(p, lb, od, [...path, "loadBalancer"]);
  const tls = obj(settings.tls);
  if (tls) clientTLSProblems(p, tls, [...path, "tls"], namespace);
}

function percentProblem(p: Problems, parent: Obj, key: string, path: Path): void {
  const v = num(parent[key]);
  if (v !== undefined && (v < 0 || v > 100)) p.error([...path, key], `percentage ${v} is not in range 0..100`);
}

function outlierDetectionProblems(p: Problems, od: Obj, path: Path): void {
  checkDuration(p, od, "baseEjectionTime", path);
  checkDuration(p, od, "interval", path);
  const ce = num(od.consecutiveErrors);
  if (ce !== undefined && ce !== 0) {
    p.warn([...path, "consecutiveErrors"], "outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead");
  }
  const local = num(od.consecutiveLocalOriginFailures);
  if (od.splitExternalLocalOriginErrors !== true && local !== undefined && local > 0) {
    p.error([...path, "consecutiveLocalOriginFailures"], "outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false");
  }
  percentProblem(p, od, "maxEjectionPercent", path);
  percentProblem(p, od, "minHealthPercent", path);
}

export function connectionPoolProblems(p: Problems, settings: unknown, path: Path): void {
  const cp = obj(settings);
  if (!cp) return;
  const http = obj(cp.http);
  const tcp = obj(cp.tcp);
  if (cp.http == null && cp.tcp == null) {
    p.error(path, "connection pool must have at least one field");
    return;
  }
  if (http) {
    const hp = [...path, "http"];
    const neg = (key: string, msg: string) => {
      const v = num(http[key]);
      if (v !== undefined && v < 0) p.error([...hp, key], msg);
    };
    neg("http1MaxPendingRequests", "http1 max pending requests must be non-negative");
    neg("http2MaxRequests", "http2 max requests must be non-negative");
    neg("maxRequestsPerConnection", "max requests per connection must be non-negative");
    neg("maxRetries", "max retries must be non-negative");
    neg("maxConcurrentStreams", "max concurrent streams must be non-negative");
    checkDuration(p, http, "idleTimeout", hp);
    if (http.h2UpgradePolicy === "UPGRADE" && http.useClientProtocol === true) {
      p.error([...hp, "useClientProtocol"], "use client protocol must not be true when H2UpgradePolicy is UPGRADE");
    }
    const ka = obj(http.http2KeepAlive);
    if (ka) {
      const kp = [...hp, "http2KeepAlive"];
      if (ka.interval == null) p.error(kp, "http2 keepalive interval is required");
      else checkDuration(p, ka, "interval", kp);
      if (ka.timeout == null) p.error(kp, "http2 keepalive timeout is required");
      else checkDuration(p, ka, "timeout", kp);
    }
  }
  if (tcp) {
    const tp = [...path, "tcp"];
    const mc = num(tcp.maxConnections);
    if (mc !== undefined && mc < 0) p.error([...tp, "maxConnections"], "max connections must be non-negative");
    checkDuration(p, tcp, "connectTimeout", tp);
    checkDuration(p, tcp, "maxConnectionDuration", tp);
    checkDuration(p, tcp, "idleTimeout", tp);
    const ka = obj(tcp.tcpKeepalive);
    if (ka) {
      checkDuration(p, ka, "time", [...tp, "tcpKeepalive"]);
      checkDuration(p, ka, "interval", [...tp, "tcpKeepalive"]);
    }
  }
}

function isPrime(x: number): boolean {
  if (x !== 0 && x < 4) return true;
  if (x % 2 === 0) return false;
  const limit = Math.floor(Math.sqrt(x));
  for (let f = 3; f <= limit; f += 2) if (x % f === 0) return false;
  return true;
}

const TOPOLOGY_LABELS = new Set(["topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.istio.io/subzone"]);

function loadBalancerProblems(p: Problems, lb: Obj, outlier: Obj | undefined, path: Path): void {
  const ch = obj(lb.consistentHash);
  if (ch) {
    const cp = [...path, "consistentHash"];
    const cookie = obj(ch.httpCookie);
    if (cookie) {
      const names = new Set<string>();
      arr(cookie.attributes).forEach((a, i) => {
        const name = s(obj(a)?.name);
        const ap = [...cp, "httpCookie", "attributes", i];
        if (name === "") return p.error(ap, "cookie attribute name cannot be empty");
        if (names.has(name)) p.error(ap, `duplicate cookie attribute name: ${name}`);
        names.add(name);
      });
    }
    const minRing = num(ch.minimumRingSize);
    if (minRing !== undefined && minRing !== 0) {
      p.warn([...cp, "minimumRingSize"], "consistent hash MinimumRingSize is deprecated, use ConsistentHashLB's RingHash configuration instead");
      if (ch.ringHash != null || ch.maglev != null) p.error(cp, "only one of MinimumRingSize or Maglev/Ringhash can be specified");
    }
    const maglev = obj(ch.maglev);
    if (maglev) {
      const size = num(maglev.tableSize) ?? 0;
      const mp = [...cp, "maglev", "tableSize"];
      if (size === 0) p.error(mp, "tableSize must be set for maglev");
      if (size >= 5000011) p.error(mp, "tableSize must be less than 5000011 for maglev");
      if (!isPrime(size)) p.error(mp, "tableSize must be a prime number for maglev");
    }
  }
  if (lb.localityLbSetting != null && lb.zoneAwareLbSetting != null) {
    p.error(path, "only one of localityLbSetting and zoneAwareLbSetting can be set");
  }
  const locality = obj(lb.localityLbSetting);
  if (locality) localityProblems(p, locality, outlier, [...path, "localityLbSetting"]);
  const za = obj(lb.zoneAwareLbSetting);
  if (za) {
    const zp = [...path, "zoneAwareLbSetting"];
    for (const [i, l] of strings(za.failoverPriority)) {
      if (TOPOLOGY_LABELS.has(l)) {
        p.error([...zp, "failoverPriority", i], `'failover_priority' for zone aware lb must not use topology label '${l}'; region- and zone-level routing are handled automatically`);
      }
    }
    if ((present(za.failover) || present(za.failoverPriority)) && !outlier) p.warn(zp, "outlier detection policy must be provided for failover");
    arr(za.failover).forEach((f, i) => {
      const fo = obj(f);
      if (!fo) return;
      const from = s(fo.from);
      const to = s(fo.to);
      const fp = [...zp, "failover", i];
      if (from === to) p.error(fp, "zone aware lb failover settings must specify different regions");
      if (from.includes("/") || to.includes("/")) p.error(fp, "zone aware lb failover only specifies region; zone and subzone failover are handled automatically");
      if (from.includes("*") || to.includes("*")) p.error(fp, "zone aware lb failover region should not contain '*' wildcard");
    });
  }
  const warm = obj(lb.warmup);
  if (warm) {
    const wp = [...path, "warmup"];
    checkDuration(p, warm, "duration", wp);
    const min = num(obj(warm.minimumPercent)?.value) ?? num(warm.minimumPercent);
    if (min !== undefined && min > 100) p.error([...wp, "minimumPercent"], "minimumPercent value should be less than or equal to 100");
    const aggr = num(obj(warm.aggression)?.value) ?? num(warm.aggression);
    if (warm.aggression != null && aggr !== undefined && aggr <= 0) p.error([...wp, "aggression"], "aggression should be greater than 0");
  }
}

function localityProblems(p: Problems, lb: Obj, outlier: Obj | undefined, path: Path): void {
  if (present(lb.distribute) && present(lb.failover)) {
    p.error(path, "can not simultaneously specify 'distribute' and 'failover'");
    return;
  }
  if (present(lb.failover)) {
    for (const [i, l] of strings(lb.failoverPriority)) {
      if (TOPOLOGY_LABELS.has(l)) {
        p.error([...path, "failoverPriority", i], `can not simultaneously set 'failover' and topology label '${l}' in 'failover_priority'`);
        return;
      }
    }
  }
  const sources: string[] = [];
  for (const [i, d] of arr(lb.distribute).entries()) {
    const dist = obj(d);
    if (!dist) continue;
    const dp = [...path, "distribute", i];
    sources.push(s(dist.from));
    let total = 0;
    const dests: string[] = [];
    for (const [loc, w] of entries(dist.to)) {
      dests.push(loc);
      const weight = num(w) ?? 0;
      if (weight <= 0 || weight > 100) {
        p.error([...dp, "to", loc], "locality weight must be in range [1, 100]");
        return;
      }
      total += weight;
    }
    if (total !== 100) {
      p.error([...dp, "to"], `total locality weight ${total} != 100`);
      return;
    }
    const err = localitiesProblem(dests);
    if (err) p.error([...dp, "to"], err);
  }
  const err = localitiesProblem(sources);
  if (err) p.error([...path, "distribute"], err);
  if ((present(lb.failover) || present(lb.failoverPriority)) && !outlier) p.warn(path, "outlier detection policy must be provided for failover");
  arr(lb.failover).forEach((f, i) => {
    const fo = obj(f);
    if (!fo) return;
    const from = s(fo.from);
    const to = s(fo.to);
    const fp = [...path, "failover", i];
    if (from === to) p.error(fp, "locality lb failover settings must specify different regions");
    if (from.includes("/") || to.includes("/")) p.error(fp, "locality lb failover only specify region");
    if (from.includes("*") || to.includes("*")) p.error(fp, "locality lb failover region should not contain '*' wildcard");
  });
}

function localitiesProblem(localities: string[]): string | undefined {
  const seen: string[][] = [];
  for (const loc of localities) {
    const stars = (loc.match(/\*/g) ?? []).length;
    if (stars > 0 && (stars > 1 || !loc.endsWith("*"))) return `locality ${loc} wildcard '*' number can not exceed 1 and must be in the end`;
    if (seen.some((x) => x[0] === "*")) return `locality ${loc} overlap with previous specified ones`;
    const items = loc.split("/").slice(0, 3);
    if (loc.split("/").length > 3) items[2] = loc.split("/").slice(2).join("/");
    if (items.some((x) => x === "")) return `locality ${loc} must not contain empty region/zone/subzone info`;
    // overlap: one is a prefix of the other (treating a missing or "*" level as "everything")
    for (const prev of seen) {
      const n = Math.min(prev.length, items.length);
      let same = true;
      for (let k = 0; k < n; k++) {
        if (prev[k] !== items[k] && prev[k] !== "*" && items[k] !== "*") same = false;
      }
      if (same) return `locality ${loc} overlap with previous specified ones`;
    }
    seen.push(items);
  }
  return undefined;
}

/** ClientTLSSettings (DestinationRule traffic policy, port level, subsets). */
export function clientTLSProblems(p: Problems, tls: Obj, path: Path, namespace: string): void {
  const cred = s(tls.credentialName);
  if (cred.startsWith("configmap://")) {
    const rest = cred.slice("configmap://".length);
    const parts = rest.split("/");
    if (parts.length > 2 || parts.some((x) => x === "")) {
      p.error([...path, "credentialName"], `invalid configmap:// credentialName: invalid resource name "${cred}". Expected name or namespace/name`);
    } else if (parts.length === 2 && (namespace === "" || parts[0] !== namespace)) {
      p.error([...path, "credentialName"], `invalid configmap:// credentialName: namespace must match the configuration namespace "${namespace}"`);
    }
  }
  const mode = s(tls.mode);
  const skip = tls.insecureSkipVerify === true || obj(tls.insecureSkipVerify)?.value === true;
  if (skip) {
    if (mode === "SIMPLE" && (present(tls.caCertificates) || cred !== "" || tls.subjectAltNames != null)) {
      p.error(path, "cannot specify CaCertificates or CredentialName or SubjectAltNames when InsecureSkipVerify is set true");
    }
    if (mode === "MUTUAL" && (present(tls.caCertificates) || tls.subjectAltNames != null)) {
      p.error(path, "cannot specify CaCertificates or SubjectAltNames when InsecureSkipVerify is set true");
    }
  }
  if ((mode === "SIMPLE" || mode === "MUTUAL") && cred !== "") {
    if (present(tls.clientCertificate) || present(tls.caCertificates) || present(tls.privateKey) || present(tls.caCrl)) {
      p.error(path, "cannot specify client certificates or CA certificate or CA CRL If credentialName is set");
    }
    return;
  }
  if (mode === "MUTUAL") {
    if (!present(tls.clientCertificate)) p.error(path, "client certificate required for mutual tls");
    if (!present(tls.privateKey)) p.error(path, "private key required for mutual tls");
  }
}

// ---------------------------------------------------------------------------------------------
// Server TLS (Gateway servers, Sidecar ingress)

const CIPHERS = new Set([
  "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
  "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA",
  "AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-SHA", "AES256-SHA", "DES-CBC3-SHA",
]);

/**
 * istiod checks a name against its list only when it starts with a letter or digit: "ALL", "" and
 * BoringSSL's cipher-list syntax ("-AES128-SHA", "+...", "!...", "[A|B]") are let through.
 */
function cipherSuiteAccepted(c: string): boolean {
  if (c === "" || c === "ALL") return true;
  if (!/^[\p{L}\p{N}]/u.test(c)) return true;
  return CIPHERS.has(c);
}

export function serverTLSProblems(p: Problems, tls: Obj | undefined, path: Path): void {
  if (!tls) return;
  const mode = s(tls.mode) || "PASSTHROUGH";
  const minVersion = s(tls.minProtocolVersion);
  if ((minVersion === "TLSV1_0" || minVersion === "TLSV1_1") && !present(tls.cipherSuites)) {
    p.warn([...path, "minProtocolVersion"], "TLS version below TLSV1_2 require setting compatible ciphers as by default they no longer include compatible ciphers.");
  }
  const invalid = new Set<string>();
  const valid = new Set<string>();
  const dup = new Set<string>();
  for (const [, c] of strings(tls.cipherSuites)) {
    if (!cipherSuiteAccepted(c)) invalid.add(c);
    else if (valid.has(c)) dup.add(c);
    else valid.add(c);
  }
  if (invalid.size > 0) p.warn([...path, "cipherSuites"], `ignoring invalid cipher suites: [${[...invalid].sort().join(" ")}]`);
  if (dup.size > 0) p.warn([...path, "cipherSuites"], `ignoring duplicate cipher suites: [${[...dup].sort().join(" ")}]`);

  const serverCert = s(tls.serverCertificate);
  const privateKey = s(tls.privateKey);
  const cred = s(tls.credentialName);
  const creds = present(tls.credentialNames);
  const certs = arr(tls.tlsCertificates);

  if (mode === "ISTIO_MUTUAL") {
    if (serverCert !== "") p.error([...path, "serverCertificate"], "ISTIO_MUTUAL TLS cannot have associated server certificate");
    if (privateKey !== "") p.error([...path, "privateKey"], "ISTIO_MUTUAL TLS cannot have associated private key");
    if (present(tls.caCertificates)) p.error([...path, "caCertificates"], "ISTIO_MUTUAL TLS cannot have associated CA bundle");
    if (certs.length > 0) p.error([...path, "tlsCertificates"], "ISTIO_MUTUAL TLS cannot have associated tlsCertificates");
    if (cred !== "") p.error([...path, "credentialName"], "ISTIO_MUTUAL TLS cannot have associated credentialName");
    if (creds) p.error([...path, "credentialNames"], "ISTIO_MUTUAL TLS cannot have associated credentialNames");
    return;
  }
  if (mode === "PASSTHROUGH" || mode === "AUTO_PASSTHROUGH") {
    if (present(tls.caCrl) || serverCert !== "" || privateKey !== "" || present(tls.caCertificates) || certs.length > 0 || cred !== "" || creds) {
      p.warn(path, `${mode} mode does not use certificates, they will be ignored`);
    }
  }
  let sources = 0;
  if (serverCert !== "" && privateKey !== "") sources++;
  if (cred !== "") sources++;
  if (creds) sources++;
  if (certs.length > 0) sources++;
  if (sources > 1) p.error(path, "only one of credential_name, credential_names, server_certificate/private_key, tls_certificates should be specified");

  const terminating = mode === "SIMPLE" || mode === "MUTUAL" || mode === "OPTIONAL_MUTUAL";
  if (terminating && (cred !== "" || creds)) return;
  if (terminating) {
    const prefix = mode === "SIMPLE" ? "SIMPLE TLS" : "MUTUAL TLS";
    if (mode !== "SIMPLE" && !present(tls.caCertificates)) p.error(path, `${prefix} requires a client CA bundle`);
    if (certs.length > 2) p.warn([...path, "tlsCertificates"], `${prefix} can support up to 2 server certificates`);
    const toCheck: [Path, Obj][] = certs.length > 0
      ? certs.map((c, i) => [[...path, "tlsCertificates", i], obj(c) ?? {}] as [Path, Obj])
      : [[path, tls]];
    for (const [cp, c] of toCheck) {
      if (!present(c.serverCertificate)) p.error(cp, `${prefix} requires a server certificate`);
      if (!present(c.privateKey)) p.error(cp, `${prefix} requires a private key`);
    }
  }
  if (present(tls.caCrl)) {
    if (cred !== "") p.error([...path, "caCrl"], "CRL is not supported with credentialName. CRL has to be specified in the credential");
    if (mode === "SIMPLE") p.error([...path, "caCrl"], "CRL is not supported with SIMPLE TLS");
  }
}

// ---------------------------------------------------------------------------------------------
// Unix domain sockets

export function unixAddressProblem(addr: string): string | undefined {
  if (addr.length === 0) return "unix address must not be empty";
  if (addr.startsWith("@")) return undefined;
  if (!addr.startsWith("/") || addr.endsWith("/")) return `${addr} is not an absolute path to a file`;
  return undefined;
}

export { labelProblems, isObj };
