/**
 * AuthorizationPolicy, RequestAuthentication, PeerAuthentication: the webhook rules the CRDs'
 * schema and CEL rules do not cover.
 */
import { type Obj, type Path, Problems, arr, entries, obj, present, s, str, strings, isIPAddress, validateIPSubnet } from "./util.js";
import { policyTargetProblems } from "./shared.js";

const SOURCE_FIELDS = [
  "principals", "requestPrincipals", "namespaces", "ipBlocks", "remoteIpBlocks", "serviceAccounts", "trustDomains",
  "notPrincipals", "notRequestPrincipals", "notNamespaces", "notIpBlocks", "notRemoteIpBlocks", "notServiceAccounts", "notTrustDomains",
];
const OPERATION_FIELDS = ["ports", "methods", "paths", "hosts", "notPorts", "notMethods", "notPaths", "notHosts"];
const IP_FIELDS = ["ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks"];
const PRINCIPAL_FIELDS = ["principals", "requestPrincipals", "namespaces", "notPrincipals", "notRequestPrincipals", "notNamespaces"];
const SERVICE_ACCOUNT_FIELDS = ["serviceAccounts", "notServiceAccounts"];
const TRUST_DOMAIN_FIELDS = ["trustDomains", "notTrustDomains"];
/** Source fields that make a rule apply to TCP traffic. */
const TCP_SOURCE_FIELDS = [
  "notPrincipals", "principals", "ipBlocks", "notIpBlocks", "namespaces", "notNamespaces", "remoteIpBlocks", "notRemoteIpBlocks", "serviceAccounts", "notServiceAccounts",
];

function ipProblems(p: Problems, list: unknown, path: Path): void {
  for (const [i, v] of strings(list)) {
    if (v.includes("/")) {
      if (validateIPSubnet(v)) p.error([...path, i], `bad CIDR range (${v})`);
    } else if (!isIPAddress(v)) p.error([...path, i], `bad IP address (${v})`);
  }
}

function emptyValueProblems(p: Problems, list: unknown, path: Path, key: string): boolean {
  let bad = false;
  for (const [i, v] of strings(list)) {
    if (v === "") {
      p.error([...path, i], `empty value not allowed, found in ${key}`);
      bad = true;
    }
  }
  return bad;
}

function capital(k: string): string {
  return k[0].toUpperCase() + k.slice(1);
}

function serviceAccountProblems(p: Problems, list: unknown, path: Path, key: string): void {
  const values = strings(list);
  if (values.length > 16) p.error(path, "may not have more than 16 values");
  for (const [i, v] of values) {
    const vp = [...path, i];
    if (v === "") p.error(vp, `empty value not allowed, found in ${key}`);
    else if (v.includes("*")) p.error(vp, `wildcard not allowed, found in ${key}`);
    else if ((v.match(/\//g) ?? []).length > 1) p.error(vp, `expected format 'serviceAccount' or 'namespace/serviceAccount', found "${v}" in ${key}`);
    else if (v.length > 320) p.error(vp, `value cannot exceed 320 characters, found "${v}" in ${key}`);
    else if (v.includes("/")) {
      const [ns, sa] = v.split("/");
      if (ns === "") p.error(vp, `expected format 'serviceAccount' or 'namespace/serviceAccount', found empty namespace "${v}" in ${key}`);
      else if (sa === "") p.error(vp, `expected format 'serviceAccount' or 'namespace/serviceAccount', found empty serviceAccount "${v}" in ${key}`);
    }
  }
}

function wildcardValueProblems(p: Problems, list: unknown, path: Path, key: string): void {
  for (const [i, v] of strings(list)) {
    const count = (v.match(/\*/g) ?? []).length;
    if (count > 1) p.error([...path, i], `at most one wildcard is allowed, found in ${key}: "${v}"`);
    else if (count === 1 && v !== "*" && !v.startsWith("*") && !v.endsWith("*")) {
      p.error([...path, i], `wildcard is only allowed at the start or end, found in ${key}: "${v}"`);
    }
  }
}

const VALID_LITERAL = /^[a-zA-Z0-9\-._~%!$&'()+,;:@=]+$/;

function pathTemplateProblems(p: Problems, list: unknown, path: Path, key: string): void {
  for (const [i, raw] of strings(list)) {
    const hasTemplate = raw.includes("{*}") || raw.includes("{**}");
    const trimmed = raw.replace(/^\/+|\/+$/g, "");
    let anySeen = false;
    for (const glob of trimmed.split("/")) {
      if (glob === "{*}" && !anySeen) continue;
      if (glob === "{**}" && !anySeen) {
        anySeen = true;
        continue;
      }
      if ((glob === "{**}" || glob === "{*}") && anySeen) {
        p.error([...path, i], `invalid or unsupported path ${trimmed}, found in ${key}. {**} is not the last operator`);
        break;
      }
      if (/[{}]/.test(glob)) {
        p.error([...path, i], `invalid or unsupported path ${trimmed}, found in ${key}. Contains '{' or '}' beyond a supported path template`);
        break;
      }
      if (hasTemplate && !VALID_LITERAL.test(glob)) {
        p.error([...path, i], `invalid or unsupported path ${trimmed}, found in ${key}. Contains segment ${glob} with invalid string literal`);
        break;
      }
    }
  }
}

function portValueProblems(p: Problems, list: unknown, path: Path): void {
  for (const [i, v] of strings(list)) {
    if (!/^\d+$/.test(v) || Number(v) > 65535) p.error([...path, i], `bad port (${v})`);
  }
}

function mapKeyOK(key: string): boolean {
  const open = key.indexOf("[");
  return key.endsWith("]") && open > 0 && open < key.length - 2;
}

/** Istio's `security.ValidateAttribute` for one `when` condition value list. */
function attributeProblem(key: string, values: string[]): string | undefined {
  if (values.some((v) => v === "")) return `empty value not allowed, found in ${key}`;
  const badIPs = () => {
    for (const v of values) {
      if (v.includes("/") ? validateIPSubnet(v) : !isIPAddress(v)) return v.includes("/") ? `bad CIDR range (${v})` : `bad IP address (${v})`;
    }
    return undefined;
  };
  if (key.startsWith("request.headers")) return mapKeyOK(key) ? undefined : `bad key (${key}): should have format a[b]`;
  switch (key) {
    case "source.ip":
    case "remote.ip":
    case "destination.ip":
      return badIPs();
    case "source.namespace":
    case "source.principal":
    case "request.auth.principal":
    case "request.auth.audiences":
    case "request.auth.presenter":
    case "connection.sni":
      return undefined;
    case "source.serviceAccount":
      for (const v of values) {
        if (v.includes("*")) return `wildcard not allowed, found in ${key}`;
        if ((v.match(/\//g) ?? []).length > 1) return `expected format 'serviceAccount' or 'namespace/serviceAccount', found "${v}" in ${key}`;
      }
      return undefined;
    case "source.trustDomain":
      for (const v of values) {
        const c = (v.match(/\*/g) ?? []).length;
        if (c > 1) return `at most one wildcard is allowed, found in ${key}: "${v}"`;
        if (c === 1 && v !== "*" && !v.startsWith("*") && !v.endsWith("*")) return `wildcard is only allowed at the start or end, found in ${key}: "${v}"`;
      }
      return undefined;
    case "destination.port":
      for (const v of values) if (!/^\d+$/.test(v) || Number(v) > 65535) return `bad port (${v})`;
      return undefined;
    case "destination.namespace":
      return `attribute ${key} is replaced by the metadata.namespace`;
    case "destination.name":
    case "destination.user":
      return `deprecated attribute ${key}: only supported in v1alpha1`;
  }
  if (key.startsWith("request.auth.claims") || key.startsWith("experimental.envoy.filters.")) {
    return mapKeyOK(key) ? undefined : `bad key (${key}): should have format a[b]`;
  }
  if (key.startsWith("destination.labels")) return `attribute ${key} is replaced by the workload selector`;
  return `unknown attribute: ${key}`;
}

export function authorizationPolicyProblems(p: Problems, spec: Obj): void {
  policyTargetProblems(p, spec);
  const action = s(spec.action) || "ALLOW";
  const rules = spec.rules;
  if (action === "CUSTOM") {
    if (rules == null) {
      p.error(["spec"], "CUSTOM action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request");
    } else if (s(obj(spec.provider)?.name) === "") {
      p.error(["spec", "provider"], "`provider.name` must not be empty");
    }
    arr(rules).forEach((rule, ri) => {
      const r = obj(rule);
      if (!r) return;
      arr(r.from).forEach((from, fi) => {
        const src = obj(obj(from)?.source);
        if (!src) return;
        for (const f of ["namespaces", "notNamespaces", "serviceAccounts", "notServiceAccounts", "trustDomains", "notTrustDomains", "principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals"]) {
          if (present(src[f])) p.error(["spec", "rules", ri, "from", fi, "source", f], `From.${capital(f)} is currently not supported with CUSTOM action`);
        }
      });
      arr(r.when).forEach((w, wi) => {
        const key = s(obj(w)?.key);
        if (["source.namespace", "source.serviceAccount", "source.trustDomain", "source.principal"].includes(key) || key.startsWith("request.auth.")) {
          p.error(["spec", "rules", ri, "when", wi, "key"], `${key} is currently not supported with CUSTOM action`);
        }
      });
    });
  }
  if (spec.provider != null && action !== "CUSTOM") {
    p.error(["spec", "provider"], `\`provider\` must not be with non CUSTOM action, found ${action}`);
  }
  if (action === "DENY" && rules == null) {
    p.error(["spec"], "DENY action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request");
  }

  arr(rules).forEach((rule, i) => {
    const rp: Path = ["spec", "rules", i];
    if (rule === null) return p.error(rp, `\`rule\` must not be nil, found at rule ${i}`);
    const r = obj(rule);
    if (!r) return;
    if (Array.isArray(r.from) && r.from.length === 0) p.error([...rp, "from"], `\`from\` must not be empty, found at rule ${i}`);
    let tcpInFrom = false;
    let tcpInTo = false;
    let fromExists = false;
    let toExists = false;
    arr(r.from).forEach((from, fi) => {
      const fp = [...rp, "from", fi];
      if (from === null) return p.error(fp, `\`from\` must not be nil, found at rule ${i}`);
      const fo = obj(from);
      if (!fo) return;
      const src = obj(fo.source);
      if (fo.source == null) return p.error(fp, `\`from.source\` must not be nil, found at rule ${i}`);
      if (!src) return;
      fromExists = true;
      const sp = [...fp, "source"];
      if (!SOURCE_FIELDS.some((f) => present(src[f]))) p.error(sp, `\`from.source\` must not be empty, found at rule ${i}`);
      // The checks below report nothing on an absent (or null) field: skipped then, with their paths.
      for (const f of IP_FIELDS) {
        if (src[f] != null && !emptyValueProblems(p, src[f], [...sp, f], capital(f))) ipProblems(p, src[f], [...sp, f]);
      }
      for (const f of PRINCIPAL_FIELDS) {
        if (src[f] != null) emptyValueProblems(p, src[f], [...sp, f], capital(f));
      }
      for (const f of SERVICE_ACCOUNT_FIELDS) if (src[f] != null) serviceAccountProblems(p, src[f], [...sp, f], capital(f));
      for (const f of TRUST_DOMAIN_FIELDS) {
        if (src[f] == null || emptyValueProblems(p, src[f], [...sp, f], capital(f))) continue;
        wildcardValueProblems(p, src[f], [...sp, f], capital(f));
        for (const [ti, v] of strings(src[f])) {
          if (v.includes("/")) p.error([...sp, f, ti], `trust domain must not contain '/', found in ${capital(f)}: "${v}"`);
        }
      }
      if (TCP_SOURCE_FIELDS.some((f) => src[f] != null)) {
        tcpInFrom = true;
      }
    });
    if (Array.isArray(r.to) && r.to.length === 0) p.error([...rp, "to"], `\`to\` must not be empty, found at rule ${i}`);
    arr(r.to).forEach((to, ti) => {
      const tp = [...rp, "to", ti];
      if (to === null) return p.error(tp, `\`to\` must not be nil, found at rule ${i}`);
      const t = obj(to);
      if (!t) return;
      const op = obj(t.operation);
      if (t.operation == null) return p.error(tp, `\`to.operation\` must not be nil, found at rule ${i}`);
      if (!op) return;
      toExists = true;
      const opp = [...tp, "operation"];
      if (!OPERATION_FIELDS.some((f) => present(op[f]))) p.error(opp, `\`to.operation\` must not be empty, found at rule ${i}`);
      for (const f of OPERATION_FIELDS) if (op[f] != null) emptyValueProblems(p, op[f], [...opp, f], capital(f));
      if (op.ports != null) portValueProblems(p, op.ports, [...opp, "ports"]);
      if (op.notPorts != null) portValueProblems(p, op.notPorts, [...opp, "notPorts"]);
      if (op.paths != null) pathTemplateProblems(p, op.paths, [...opp, "paths"], "Paths");
      if (op.notPaths != null) pathTemplateProblems(p, op.notPaths, [...opp, "notPaths"], "NotPaths");
      if (op.ports != null || op.notPorts != null) tcpInTo = true;
    });
    arr(r.when).forEach((w, wi) => {
      const wp = [...rp, "when", wi];
      const c = obj(w);
      if (!c) return;
      const key = str(c.key);
      if (key === undefined) return; // required: structural
      if (key === "") return p.error([...wp, "key"], "`key` must not be empty");
      const values = strings(c.values).map(([, v]) => v);
      const notValues = strings(c.notValues).map(([, v]) => v);
      if (!present(c.values) && !present(c.notValues)) {
        return p.error(wp, `at least one of \`values\` or \`notValues\` must be set for key ${key}`);
      }
      const e1 = attributeProblem(key, values);
      if (e1) p.error(present(c.values) ? [...wp, "values"] : [...wp, "key"], `invalid \`value\` for \`key\` ${key}: ${e1}`);
      const e2 = attributeProblem(key, notValues);
      if (e2) p.error(present(c.notValues) ? [...wp, "notValues"] : [...wp, "key"], `invalid \`notValue\` for \`key\` ${key}: ${e2}`);
    });
    if (((fromExists && !toExists && !tcpInFrom) || (toExists && !tcpInTo)) && action === "DENY") {
      p.warn(rp, "configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the use of only HTTP attributes in a DENY rule; it is recommended to explicitly specify the port");
    }
  });
}

export function requestAuthenticationProblems(p: Problems, spec: Obj): void {
  policyTargetProblems(p, spec);
  arr(spec.jwtRules).forEach((rule, i) => {
    const rp: Path = ["spec", "jwtRules", i];
    const r = obj(rule);
    if (!r) return;
    // audiences / fromParams / fromCookies / fromHeaders names / outputClaimToHeaders: minLength/pattern in the CRD
    const issuer = s(r.issuer);
    const jwksUri = s(r.jwksUri) || s(r.jwks_uri);
    if (issuer === "" && jwksUri === "") p.error(rp, "issuer or jwksUri must be non-empty string");
    if (jwksUri !== "") {
      const key = r.jwksUri !== undefined ? "jwksUri" : "jwks_uri";
      try {
        const u = new URL(jwksUri);
        if (u.protocol !== "http:" && u.protocol !== "https:") {
          // CEL reports the scheme.
        } else if (u.port !== "" && (Number(u.port) < 1 || Number(u.port) > 65535)) {
          p.error([...rp, key], `port ${u.port} in jwksUri is out of range`);
        }
      } catch {
        p.error([...rp, key], `failed to parse jwks_uri ${jwksUri}`);
      }
    }
    const jwks = str(r.jwks);
    if (jwks !== undefined && jwks !== "") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(jwks);
      } catch (e) {
        p.error([...rp, "jwks"], `jwks parse error: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (parsed !== undefined) {
        const keys = obj(parsed)?.keys;
        const list = Array.isArray(keys) ? keys : obj(parsed) && "kty" in (parsed as Obj) ? [parsed] : undefined;
        if (!list) p.error([...rp, "jwks"], "jwks parse error: failed to parse jwk set");
        else {
          list.forEach((k, ki) => {
            const ko = obj(k);
            if (!ko) return;
            const priv = ko.kty === "oct" || ["d", "p", "q", "dp", "dq", "qi"].some((f) => f in ko);
            if (priv) p.warn([...rp, "jwks"], `jwks key at index ${ki} contains private key material; only public keys are used for verification`);
          });
        }
      }
    }
    arr(r.fromHeaders).forEach((h, hi) => {
      if (h === null) p.error([...rp, "fromHeaders", hi], "location header name must be non-null");
    });
    arr(r.outputClaimToHeaders).forEach((h, hi) => {
      if (h === null) p.error([...rp, "outputClaimToHeaders", hi], "outputClaimToHeaders must not be null");
    });
  });
}

export function peerAuthenticationProblems(p: Problems, spec: Obj): void {
  // portLevelMtls needing a selector and the port range are CEL rules in the CRD.
  const plm = spec.portLevelMtls;
  if (plm != null && typeof plm === "object" && !Array.isArray(plm) && entries(plm).length === 0) {
    p.error(["spec", "portLevelMtls"], "port level mTLS, if defined, must have at least one element");
  }
  const sel = obj(spec.selector);
  if (sel && entries(sel.matchLabels).length === 0) p.warn(["spec", "selector"], "workload selector specified without labels");
}
