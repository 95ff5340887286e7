/**
 * Telemetry, WasmPlugin and EnvoyFilter: the webhook rules the CRDs do not cover.
 */
import { parse as parseCel } from "@bufbuild/cel";
import { RE2JS } from "re2js";
import { type Obj, type Path, Problems, arr, entries, num, obj, present, s, str } from "./util.js";
import { policyTargetProblems, workloadSelectorLabelProblems } from "./shared.js";

export function telemetryProblems(p: Problems, spec: Obj): void {
  policyTargetProblems(p, spec);
  // providers[].name, customTags values and tagOverrides UPSERT/REMOVE are minLength/CEL rules in the CRD.
  const tracing = arr(spec.tracing);
  if (tracing.length > 1) p.warn(["spec", "tracing"], "multiple tracing is not currently supported");
  tracing.forEach((t, i) => {
    const to = obj(t);
    if (!to) return;
    const tp: Path = ["spec", "tracing", i];
    if (arr(to.providers).length > 1) p.warn([...tp, "providers"], "multiple providers is not currently supported");
    const pct = num(to.randomSamplingPercentage) ?? num(obj(to.randomSamplingPercentage)?.value);
    if (pct !== undefined && (pct < 0 || pct > 100)) {
      p.error([...tp, "randomSamplingPercentage"], "randomSamplingPercentage must be in range [0.0, 100.0]");
    }
    for (const [name, tag] of entries(to.customTags)) {
      if (name === "") p.error([...tp, "customTags", name], "tag name may not be empty");
      if (tag === null) p.error([...tp, "customTags", name], `tag '${name}' may not have a nil value`);
    }
  });
  // istiod parses (does not type-check) each access log filter: syntax errors are rejected.
  arr(spec.accessLogging).forEach((l, i) => {
    const filter = obj(obj(l)?.filter);
    const expression = str(filter?.expression);
    if (expression === undefined) return;
    try {
      parseCel(expression);
    } catch (e) {
      const why = (e instanceof Error ? e.message : String(e)).split("\n")[0];
      p.error(["spec", "accessLogging", i, "filter", "expression"], `must be a valid CEL expression, ${why}`);
    }
  });
  arr(spec.metrics).forEach((m, i) => {
    arr(obj(m)?.overrides).forEach((o, oi) => {
      const op: Path = ["spec", "metrics", i, "overrides", oi];
      if (o === null) return p.error(op, "tagOverrides may not be null");
      for (const [name, to] of entries(obj(o)?.tagOverrides)) {
        if (name === "") p.warn([...op, "tagOverrides", name], "tagOverrides.name may not be empty");
        if (to === null) p.error([...op, "tagOverrides", name], "tagOverrides may not be null");
        // The CRD's rule only covers an explicit UPSERT; istiod reads a missing operation as UPSERT.
        const t = obj(to);
        if (t && t.operation == null && s(t.value) === "") {
          p.error([...op, "tagOverrides", name], "tagOverrides.value must be set when operation is UPSERT");
        }
      }
    });
  });
}

export function wasmPluginProblems(p: Problems, spec: Obj): void {
  policyTargetProblems(p, spec);
  // url scheme, sha256 pattern, env value/valueFrom and match port range are CEL/pattern rules in the CRD.
  const url = str(spec.url);
  if (url !== undefined && url !== "" && /\s/.test(url)) p.error(["spec", "url"], `failed to parse url: parse "${url}": invalid character " " in URL`);
  const ips = str(spec.imagePullSecret);
  if (ips !== undefined && ips.length > 253) p.error(["spec", "imagePullSecret"], "imagePullSecret field must be less than 253 characters long");
  const pn = str(spec.pluginName);
  if (pn !== undefined && pn.length > 256) p.error(["spec", "pluginName"], "pluginName field must be less than 255 characters long");
  const vm = obj(spec.vmConfig);
  const seen = new Set<string>();
  for (const [i, e] of arr(vm?.env).entries()) {
    const eo = obj(e);
    if (!eo) continue;
    const ep: Path = ["spec", "vmConfig", "env", i];
    const name = s(eo.name);
    if (eo.name !== undefined && name === "") {
      p.error([...ep, "name"], "spec.vmConfig.env invalid");
      break;
    }
    if (name.length > 256) {
      p.error([...ep, "name"], "env.name field must be less than 255 characters long");
      break;
    }
    if (seen.has(name)) {
      p.error([...ep, "name"], "duplicate env");
      break;
    }
    seen.add(name);
  }
  arr(spec.match).forEach((m, i) => {
    if (m === null) p.error(["spec", "match", i], `spec.Match[${i}] is nil`);
  });
}

const LISTENER_CLASS = new Set(["LISTENER", "FILTER_CHAIN", "NETWORK_FILTER", "HTTP_FILTER", "LISTENER_FILTER"]);
const ROUTE_CLASS = new Set(["ROUTE_CONFIGURATION", "VIRTUAL_HOST", "HTTP_ROUTE"]);

export function envoyFilterProblems(p: Problems, spec: Obj): void {
  p.warn(["kind"], "EnvoyFilter exposes internal implementation details that may change at any time. Prefer other APIs if possible, and exercise extreme caution, especially around upgrades.");
  workloadSelectorLabelProblems(p, spec.workloadSelector, "Envoy filter");
  arr(spec.configPatches).forEach((cp, i) => {
    const path: Path = ["spec", "configPatches", i];
    if (cp === null) return p.error(path, "Envoy filter: null config patch");
    const c = obj(cp);
    if (!c) return;
    const match = obj(c.match);
    if (match?.context === "WAYPOINT") return;
    const applyTo = s(c.applyTo);
    if (applyTo === "" || applyTo === "INVALID") return p.error(path, "Envoy filter: missing applyTo");
    const patch = obj(c.patch);
    if (c.patch == null) return p.error(path, "Envoy filter: missing patch");
    if (!patch) return;
    const op = s(patch.operation);
    if (op === "" || op === "INVALID") return p.error([...path, "patch"], "Envoy filter: missing patch operation");
    if (op !== "REMOVE" && patch.value == null) return p.error([...path, "patch"], "Envoy filter: missing patch value for non-remove operation");
    const pv = str(obj(match?.proxy)?.proxyVersion);
    if (pv) {
      if (pv.length > 1024) {
        p.warn([...path, "match", "proxy", "proxyVersion"], "Envoy filter: proxyVersion match exceeds 1024 characters and will be ignored");
      } else {
        try {
          RE2JS.compile(pv);
        } catch (e) {
          return p.error([...path, "match", "proxy", "proxyVersion"], `Envoy filter: invalid regex for proxy version, [${e instanceof Error ? e.message : String(e)}]`);
        }
      }
    }
    if (!match) return;
    const hasObjectType = match.listener != null || match.routeConfiguration != null || match.cluster != null || match.waypoint != null;
    if (LISTENER_CLASS.has(applyTo) && applyTo !== "LISTENER_FILTER" && hasObjectType) {
      const listener = obj(match.listener);
      if (!listener) return p.error([...path, "match"], "Envoy filter: applyTo for listener class objects cannot have non listener match");
      const filter = obj(obj(listener.filterChain)?.filter);
      if (filter) {
        const fp = [...path, "match", "listener", "filterChain", "filter"];
        if (applyTo === "LISTENER" || applyTo === "FILTER_CHAIN") p.warn(fp, `Envoy filter: filter match has no effect when used with ${applyTo}`);
        const name = s(filter.name);
        if (name === "") return p.error(fp, "Envoy filter: filter match has no name to match on");
        const sub = obj(filter.subFilter);
        if (filter.subFilter != null) {
          if (applyTo !== "HTTP_FILTER") return p.error([...fp, "subFilter"], "Envoy filter: subfilter match can be used with applyTo HTTP_FILTER only");
          if (name !== "envoy.filters.network.http_connection_manager" && name !== "envoy.http_connection_manager") {
            return p.error([...fp, "subFilter"], "Envoy filter: subfilter match requires filter match with envoy.filters.network.http_connection_manager");
          }
          if (s(sub?.name) === "") return p.error([...fp, "subFilter"], "Envoy filter: subfilter match has no name to match on");
        }
      }
    } else if (ROUTE_CLASS.has(applyTo) && hasObjectType && match.routeConfiguration == null) {
      p.error([...path, "match"], "Envoy filter: applyTo for http route class objects cannot have non route configuration match");
    } else if (applyTo === "CLUSTER" && hasObjectType && match.cluster == null) {
      p.error([...path, "match"], "Envoy filter: applyTo for cluster class objects cannot have non cluster match");
    }
    void present;
  });
}
