/**
 * Match subsumption for `unreachable-route`: whether every request an Istio route match entry accepts
 * is also accepted by an earlier entry (so Envoy, which takes the first matching route, never gets to
 * the later one). Sound rather than complete: when a condition cannot be compared exactly (regexes
 * beyond the trivial ones, fields this module does not know), the entry is taken as not covered.
 */
import { resolveGatewayName, type RouteProtocol } from "../graph/virtual-services.js";
import { hostMatches } from "../model/hosts.js";
import { asArray, asRecord } from "../model/resource.js";

/** What a match entry's conditions are read against: the VirtualService binding it. */
export interface MatchScope {
  /** The VirtualService's namespace (short gateway names resolve against it). */
  namespace: string;
  /** The VirtualService's gateways, resolved (`mesh` or `namespace/name`). */
  gateways: readonly string[];
}

/**
 * An Istio `StringMatch` as Envoy applies it. `any`: no constraint at all (absent, or a match on
 * something every request has, like `uri: {prefix: /}`); `present`: the header / query parameter
 * must be there (an empty StringMatch or `regex: "*"`, which istiod turns into `present_match`).
 */
type StringCondition =
  | { kind: "any" }
  | { kind: "present" }
  | { kind: "exact" | "prefix"; value: string; fromRegex?: PathRegex }
  | { kind: "regex"; value: string; literalPrefix?: string }
  | { kind: "unknown" };

/**
 * A URI regex read as the exact or prefix match it is equal to (Envoy's `safe_regex` path match is
 * a full RE2 match on the path without query, always case-sensitive: `ignoreUriCase` does not apply).
 * `longer`: the path must be longer than the prefix (`/api/.+`).
 */
interface PathRegex {
  longer: boolean;
}

/** Where a StringMatch applies: the path, a pseudo-header every request has, or a header / query parameter that may be missing. */
type Subject = "path" | "pseudo" | "optional";

const ANY: StringCondition = { kind: "any" };
const PRESENT: StringCondition = { kind: "present" };
const UNKNOWN: StringCondition = { kind: "unknown" };

function stringCondition(value: unknown, subject: Subject): StringCondition {
  if (value === undefined || value === null) return subject === "optional" ? PRESENT : ANY;
  if (typeof value !== "object" || Array.isArray(value)) return UNKNOWN;
  // The one condition set (fields set to null count as absent).
  let kind: string | undefined;
  let text: unknown;
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined || v === null) continue;
    if (kind !== undefined) return UNKNOWN;
    kind = key;
    text = v;
  }
  if (kind === undefined) return subject === "optional" ? PRESENT : ANY;
  if (typeof text !== "string" || (kind !== "exact" && kind !== "prefix" && kind !== "regex")) return UNKNOWN;
  if (kind === "regex" && text === "*") return subject === "optional" ? PRESENT : ANY;
  if (subject !== "optional" && kind === "regex" && text === ".*") return ANY;
  if (subject === "path" && kind === "prefix" && text === "/") return ANY;
  if (subject === "path" && kind === "regex") return pathRegexCondition(text);
  return { kind, value: text };
}

/** RE2 characters with a meaning; any other character, or one of these escaped by `\\`, is itself. */
const REGEX_META = new Set(["\\", ".", "+", "*", "?", "(", ")", "|", "[", "]", "{", "}", "^", "$"]);
/** Endings that accept any rest of the path: `.*` (anything) and `.+` (one character at least), bare or in a group. */
const ANY_REST = /^(?:\.([*+])|\((?:\?:)?\.([*+])\))$/;

/**
 * The literal characters a regex starts with (after `^`), and where they end. Escapes of
 * punctuation are literal; an escaped letter or digit (`\\d`, `\\w`) ends the literal part.
 */
function leadingLiteral(regex: string): { literal: string; end: number } {
  let literal = "";
  let i = regex.startsWith("^") ? 1 : 0;
  while (i < regex.length) {
    const c = regex[i];
    if (c === "\\") {
      const next = regex[i + 1];
      if (next === undefined || !/[!-/:-@[-`{-~]/.test(next)) break;
      literal += next;
      i += 2;
      continue;
    }
    if (REGEX_META.has(c)) break;
    literal += c;
    i++;
  }
  return { literal, end: i };
}

/** Whether a regex has a `|` outside groups and classes (the leading literal then binds only one side). */
function hasTopLevelAlternation(regex: string): boolean {
  let depth = 0;
  for (let i = 0; i < regex.length; i++) {
    const c = regex[i];
    if (c === "\\") {
      i++;
    } else if (c === "[") {
      // A class: `]` right after `[` or `[^` is a member.
      i += regex[i + 1] === "^" ? 2 : 1;
      if (regex[i] === "]") i++;
      while (i < regex.length && regex[i] !== "]") i += regex[i] === "\\" ? 2 : 1;
    } else if (c === "(") {
      depth++;
    } else if (c === ")") {
      depth--;
    } else if (c === "|" && depth === 0) {
      return true;
    }
  }
  return false;
}

/**
 * A URI regex as an exact match (only literals: `/healthz`, `^/healthz$`) or a prefix match (literals
 * and then `.*` or `.+`: `/api/.*` is prefix `/api/`, `/.*` every path), when it is exactly that.
 * Other regexes stay regexes, with the literal every path they accept starts with (none after a
 * top-level `|`; a quantified last literal is left out).
 */
function pathRegexCondition(regex: string): StringCondition {
  const { literal, end } = leadingLiteral(regex);
  const rest = regex.endsWith("$") && !regex.endsWith("\\$") ? regex.slice(end, -1) : regex.slice(end);
  if (rest === "") return { kind: "exact", value: literal, fromRegex: { longer: false } };
  const tail = ANY_REST.exec(rest);
  if (tail) {
    const longer = (tail[1] ?? tail[2]) === "+";
    // `.*` and `/.*`: every path (`prefix: /` is read the same way).
    if ((literal === "" || literal === "/") && !longer) return ANY;
    return { kind: "prefix", value: literal, fromRegex: { longer } };
  }
  if (hasTopLevelAlternation(regex)) return { kind: "regex", value: regex };
  const quantified = /^[*+?{]/.test(regex.slice(end));
  return { kind: "regex", value: regex, literalPrefix: quantified ? [...literal].slice(0, -1).join("") : literal };
}

/** The `uri` condition of an HTTP match entry, for callers that compare one entry with many (see {@link matchCovers}). */
export type UriCondition = StringCondition;

export function uriConditionOf(match: Record<string, unknown>): UriCondition {
  return stringCondition(match.uri, "path");
}

function hasCase(text: string): boolean {
  return text.toLowerCase() !== text.toUpperCase();
}

/** Whether the full-match of an RE2 regex on a literal can be decided with a JavaScript RegExp (simple syntax only). */
function regexFullMatch(regex: string, text: string): boolean | undefined {
  if (/\(\?(?!:)|\\[pPzAQEC]|\[\[:/.test(regex)) return undefined;
  try {
    return new RegExp(`^(?:${regex})$`).test(text);
  } catch {
    return undefined;
  }
}

/**
 * Whether condition `later` implies condition `earlier` (every value the later one accepts, the
 * earlier one accepts too). `ignoreCase` flags apply to the URI's exact and prefix matches only.
 */
function implies(earlier: StringCondition, later: StringCondition, earlierIgnoreCase = false, laterIgnoreCase = false): boolean {
  if (earlier.kind === "any") return true;
  if (earlier.kind === "unknown" || later.kind === "unknown" || later.kind === "any") return false;
  if (earlier.kind === "present") return true;
  if (earlier.kind === "regex" && earlier.value === ".*") return true;
  if (later.kind === "present") return false;
  // A URI regex is case-sensitive whatever `ignoreUriCase` says.
  if (earlier.kind !== "regex" && earlier.fromRegex) earlierIgnoreCase = false;
  if (later.kind === "regex" || later.fromRegex) laterIgnoreCase = false;
  if (earlier.kind === "regex") {
    if (later.kind === "regex") return later.value === earlier.value;
    if (later.kind !== "exact" || (laterIgnoreCase && hasCase(later.value))) return false;
    return regexFullMatch(earlier.value, later.value) === true;
  }
  let a = earlier.value;
  // What the later condition accepts starts with `b` (and, for a prefix, goes on with anything).
  let b: string;
  if (later.kind === "regex") {
    if (later.literalPrefix === undefined || earlier.kind !== "prefix") return false;
    b = later.literalPrefix;
  } else {
    b = later.value;
  }
  if (earlierIgnoreCase) {
    a = a.toLowerCase();
    b = b.toLowerCase();
  } else if (laterIgnoreCase && hasCase(b)) {
    return false;
  }
  if (earlier.kind === "exact") return later.kind === "exact" && a === b;
  if (!b.startsWith(a)) return false;
  // `prefix.+`: the path must go on after the prefix.
  if (!earlier.fromRegex?.longer || b.length > a.length) return true;
  return later.kind === "prefix" && later.fromRegex?.longer === true;
}

/** Header / query parameter maps: each earlier condition must be implied by the later entry's condition on the same name. */
function mapImplies(earlier: unknown, later: unknown, caseInsensitiveNames: boolean): boolean {
  if (earlier === undefined || earlier === null) return true;
  if (typeof earlier !== "object" || Array.isArray(earlier)) return false;
  const laterMap = asRecord(later);
  const norm = (name: string) => (caseInsensitiveNames ? name.toLowerCase() : name);
  const laterByName = new Map(Object.entries(laterMap).map(([name, value]) => [norm(name), value] as const));
  for (const [name, condition] of Object.entries(earlier as Record<string, unknown>)) {
    const key = norm(name);
    if (!laterByName.has(key)) return false;
    if (!implies(stringCondition(condition, "optional"), stringCondition(laterByName.get(key), "optional"))) return false;
  }
  return true;
}

/** `withoutHeaders` (inverted, missing header as empty): only the very same condition is taken as implied. */
function withoutHeadersImplied(earlier: unknown, later: unknown): boolean {
  if (earlier === undefined || earlier === null) return true;
  if (typeof earlier !== "object" || Array.isArray(earlier)) return false;
  const laterMap = asRecord(later);
  const laterByName = new Map(Object.entries(laterMap).map(([name, value]) => [name.toLowerCase(), value] as const));
  for (const [name, condition] of Object.entries(earlier as Record<string, unknown>)) {
    const key = name.toLowerCase();
    if (!laterByName.has(key)) return false;
    if (canonical(stringCondition(condition, "optional")) !== canonical(stringCondition(laterByName.get(key), "optional"))) return false;
  }
  return true;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The gateways (resolved) a match entry applies on, among those the VirtualService is bound to. */
export function entryGateways(match: Record<string, unknown>, scope: MatchScope): readonly string[] {
  if (match.gateways === undefined) return scope.gateways;
  const listed = asArray(match.gateways).filter((g): g is string => typeof g === "string");
  if (listed.length === 0) return scope.gateways;
  const resolved = new Set(listed.map((g) => resolveGatewayName(g, scope.namespace)));
  return scope.gateways.filter((g) => resolved.has(g));
}

/** Source conditions of an entry (Istio ignores `sourceLabels`/`sourceNamespace` of HTTP entries that list `gateways`). */
function sourceConditions(match: Record<string, unknown>, protocol: RouteProtocol): { labels: Record<string, unknown>; namespace: unknown } {
  if (protocol === "http" && asArray(match.gateways).length > 0) return { labels: {}, namespace: undefined };
  const namespace = match.sourceNamespace === "" ? undefined : match.sourceNamespace;
  return { labels: asRecord(match.sourceLabels), namespace };
}

/** Conditions every protocol shares: port, gateways, source labels and namespace. */
function commonImplied(earlier: Record<string, unknown>, later: Record<string, unknown>, protocol: RouteProtocol, scope: MatchScope): boolean {
  if (earlier.port !== undefined && earlier.port !== null && earlier.port !== 0 && earlier.port !== later.port) return false;
  const earlierGateways = entryGateways(earlier, scope);
  if (!entryGateways(later, scope).every((g) => earlierGateways.includes(g))) return false;
  const a = sourceConditions(earlier, protocol);
  const b = sourceConditions(later, protocol);
  if (a.namespace !== undefined && a.namespace !== b.namespace) return false;
  for (const [key, value] of Object.entries(a.labels)) if (b.labels[key] !== value) return false;
  return true;
}

const HTTP_FIELDS = new Set([
  "name", "statPrefix", "uri", "scheme", "method", "authority", "headers", "withoutHeaders", "queryParams",
  "port", "sourceLabels", "gateways", "sourceNamespace", "ignoreUriCase",
]);
const TCP_FIELDS = new Set(["destinationSubnets", "port", "sourceLabels", "gateways", "sourceNamespace", "sourceSubnet"]);
const TLS_FIELDS = new Set(["sniHosts", "destinationSubnets", "port", "sourceLabels", "gateways", "sourceNamespace"]);

function knownFieldsOnly(match: Record<string, unknown>, fields: ReadonlySet<string>): boolean {
  return Object.entries(match).every(([key, value]) => value === undefined || value === null || fields.has(key));
}

function listCovered(earlier: unknown, later: unknown, covers: (a: string, b: string) => boolean): boolean {
  const a = asArray(earlier).filter((v): v is string => typeof v === "string");
  if (a.length === 0) return true;
  const b = asArray(later).filter((v): v is string => typeof v === "string");
  return b.length > 0 && b.every((value) => a.some((candidate) => covers(candidate, value)));
}

/**
 * Whether match entry `earlier` accepts every request that entry `later` accepts (`{}` stands for a
 * route without `match`): every condition of the earlier entry is implied by the later one's. The
 * entries' URI conditions ({@link uriConditionOf}) may be given when the caller has them.
 */
export function matchCovers(
  protocol: RouteProtocol,
  earlier: Record<string, unknown>,
  later: Record<string, unknown>,
  scope: MatchScope,
  earlierUri?: UriCondition,
  laterUri?: UriCondition,
): boolean {
  // The URI first: routes mostly differ by path (and entries are compared with many others).
  if (
    protocol === "http" &&
    !implies(earlierUri ?? uriConditionOf(earlier), laterUri ?? uriConditionOf(later), earlier.ignoreUriCase === true, later.ignoreUriCase === true)
  ) {
    return false;
  }
  if (!commonImplied(earlier, later, protocol, scope)) return false;
  if (protocol === "http") {
    if (!knownFieldsOnly(earlier, HTTP_FIELDS)) return false;
    for (const field of ["scheme", "method", "authority"]) {
      if (!implies(stringCondition(earlier[field], "pseudo"), stringCondition(later[field], "pseudo"))) return false;
    }
    return (
      mapImplies(earlier.headers, later.headers, true) &&
      mapImplies(earlier.queryParams, later.queryParams, false) &&
      withoutHeadersImplied(earlier.withoutHeaders, later.withoutHeaders)
    );
  }
  if (!knownFieldsOnly(earlier, protocol === "tcp" ? TCP_FIELDS : TLS_FIELDS)) return false;
  if (!listCovered(earlier.destinationSubnets, later.destinationSubnets, (a, b) => a === b)) return false;
  if (protocol === "tcp" && earlier.sourceSubnet !== undefined && earlier.sourceSubnet !== later.sourceSubnet) return false;
  if (protocol === "tls" && !listCovered(earlier.sniHosts, later.sniHosts, (a, b) => hostMatches(a.toLowerCase(), b.toLowerCase()))) return false;
  return true;
}

/** Whether an entry accepts every request the VirtualService receives (on every gateway it is bound to). */
export function matchAcceptsEverything(protocol: RouteProtocol, match: Record<string, unknown>, scope: MatchScope): boolean {
  return matchCovers(protocol, match, {}, scope);
}

/** Whether two entries are the same conditions (the entry `name` aside), as Istio's duplicate check compares them. */
export function sameMatch(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const strip = (m: Record<string, unknown>) => Object.fromEntries(Object.entries(m).filter(([key]) => key !== "name"));
  return canonical(strip(a)) === canonical(strip(b));
}
