/**
 * Ports of the Go standard-library parsers whose exact behaviour the Kubernetes
 * CEL environment inherits: `time.ParseDuration` (used by `duration(string)`),
 * `strconv.ParseInt` (used by `int(string)`) and `net/url` parsing (used by the
 * Kubernetes `url()` / `isURL()` library).
 */

const MAX_INT64 = (1n << 63n) - 1n;
const MIN_INT64 = -(1n << 63n);

const DURATION_UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  "\u00b5s": 1_000n, // U+00B5 micro sign
  "\u03bcs": 1_000n, // U+03BC Greek small letter mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60n * 1_000_000_000n,
  h: 3600n * 1_000_000_000n,
};

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";

/** Go's `time.ParseDuration`; returns nanoseconds or throws with Go's error text. */
export function parseGoDuration(orig: string): bigint {
  let s = orig;
  let neg = false;
  const invalid = () => new Error(`time: invalid duration ${JSON.stringify(orig)}`);
  if (s !== "" && (s[0] === "-" || s[0] === "+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") throw invalid();
  const limit = 1n << 63n;
  let total = 0n;
  while (s !== "") {
    if (!(s[0] === "." || isDigit(s[0]))) throw invalid();
    // leading integer
    let i = 0;
    let v = 0n;
    while (i < s.length && isDigit(s[i])) {
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > limit) throw invalid();
      i++;
    }
    const pre = i > 0;
    s = s.slice(i);
    let post = false;
    let f = 0n;
    let scale = 1;
    if (s[0] === ".") {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      while (j < s.length && isDigit(s[j])) {
        if (!overflow) {
          const y = f * 10n + BigInt(s.charCodeAt(j) - 48);
          if (y > limit) overflow = true;
          else {
            f = y;
            scale *= 10;
          }
        }
        j++;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) throw invalid();
    let k = 0;
    while (k < s.length && !(s[k] === "." || isDigit(s[k]))) k++;
    if (k === 0) throw new Error(`time: missing unit in duration ${JSON.stringify(orig)}`);
    const u = s.slice(0, k);
    s = s.slice(k);
    const unit = DURATION_UNITS[u];
    if (unit === undefined) {
      throw new Error(`time: unknown unit ${JSON.stringify(u)} in duration ${JSON.stringify(orig)}`);
    }
    if (v > limit / unit) throw invalid();
    v *= unit;
    if (f > 0n) {
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > limit) throw invalid();
    }
    total += v;
    if (total > limit) throw invalid();
  }
  if (neg) return -total;
  if (total > MAX_INT64) throw invalid();
  return total;
}

/** Go's `strconv.ParseInt(s, 10, 64)`. */
export function parseGoInt(s: string): bigint {
  if (!/^[+-]?[0-9]+$/.test(s)) {
    throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);
  }
  const v = BigInt(s);
  if (v > MAX_INT64 || v < MIN_INT64) {
    throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`);
  }
  return v;
}

/** The parts of Go's `url.URL` the Kubernetes URL library exposes. */
export interface GoURL {
  scheme: string;
  opaque: string;
  user: string | undefined;
  host: string;
  path: string;
  rawPath: string;
  rawQuery: string;
  fragment: string;
}

function hasCtlByte(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function getScheme(raw: string): [string, string] {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z")) continue;
    if (isDigit(c) || c === "+" || c === "-" || c === ".") {
      if (i === 0) return ["", raw];
      continue;
    }
    if (c === ":") {
      if (i === 0) throw new Error("missing protocol scheme");
      return [raw.slice(0, i), raw.slice(i + 1)];
    }
    return ["", raw];
  }
  return ["", raw];
}

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

type EncodeMode = "path" | "host" | "zone" | "userPassword" | "fragment" | "query";

/** Characters Go's `shouldEscape` accepts unescaped in a host. */
function hostCharOk(c: string): boolean {
  if (/^[A-Za-z0-9\-_.~]$/.test(c)) return true;
  return "!$&'()*+,;=:[]<>\"".includes(c);
}

/** Go's `url.unescape` (validation + decoding of %XX escapes). */
function unescape(s: string, mode: EncodeMode): string {
  for (let i = 0; i < s.length; ) {
    const c = s[i]!;
    if (c === "%") {
      if (i + 2 >= s.length || !isHex(s[i + 1]) || !isHex(s[i + 2])) {
        const bad = s.slice(i, Math.min(i + 3, s.length));
        throw new Error(`invalid URL escape ${JSON.stringify(bad)}`);
      }
      if (mode === "host" && parseInt(s[i + 1]!, 16) < 8 && s.slice(i, i + 3) !== "%25") {
        throw new Error(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      }
      i += 3;
      continue;
    }
    if ((mode === "host" || mode === "zone") && c.charCodeAt(0) < 0x80 && !hostCharOk(c)) {
      throw new Error(`invalid character ${JSON.stringify(c)} in host name`);
    }
    i++;
  }
  if (!s.includes("%")) return s;
  // Decode percent escapes as bytes, then as UTF-8.
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < s.length; ) {
    if (s[i] === "%") {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      const cp = s.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      bytes.push(...enc.encode(ch));
      i += ch.length;
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

function validOptionalPort(port: string): boolean {
  if (port === "") return true;
  if (port[0] !== ":") return false;
  return /^[0-9]*$/.test(port.slice(1));
}

function parseHost(host: string): string {
  if (host.startsWith("[")) {
    const i = host.lastIndexOf("]");
    if (i < 0) throw new Error("missing ']' in host");
    const colonPort = host.slice(i + 1);
    if (!validOptionalPort(colonPort)) throw new Error(`invalid port ${JSON.stringify(colonPort)} after host`);
    const zone = host.slice(0, i).indexOf("%25");
    if (zone >= 0) {
      const h1 = unescape(host.slice(0, zone), "host");
      const h2 = unescape(host.slice(zone, i), "zone");
      const h3 = unescape(host.slice(i), "host");
      return h1 + h2 + h3;
    }
  } else {
    const i = host.lastIndexOf(":");
    if (i !== -1) {
      const colonPort = host.slice(i);
      if (!validOptionalPort(colonPort)) throw new Error(`invalid port ${JSON.stringify(colonPort)} after host`);
    }
  }
  return unescape(host, "host");
}

function validUserinfo(s: string): boolean {
  for (const c of s) {
    if (/^[A-Za-z0-9]$/.test(c)) continue;
    if ("-._:~!$&'()*+,;=%@".includes(c)) continue;
    return false;
  }
  return true;
}

function parseAuthority(authority: string): { user: string | undefined; host: string } {
  const i = authority.lastIndexOf("@");
  const host = parseHost(i < 0 ? authority : authority.slice(i + 1));
  if (i < 0) return { user: undefined, host };
  const userinfo = authority.slice(0, i);
  if (!validUserinfo(userinfo)) throw new Error("net/url: invalid userinfo");
  return { user: unescape(userinfo, "userPassword"), host };
}

function parseInternal(rawURL: string, viaRequest: boolean): GoURL {
  if (hasCtlByte(rawURL)) throw new Error("net/url: invalid control character in URL");
  if (rawURL === "" && viaRequest) throw new Error("empty url");
  const u: GoURL = { scheme: "", opaque: "", user: undefined, host: "", path: "", rawPath: "", rawQuery: "", fragment: "" };
  if (rawURL === "*") {
    u.path = "*";
    return u;
  }
  let [scheme, rest] = getScheme(rawURL);
  u.scheme = scheme.toLowerCase();
  if (rest.endsWith("?") && rest.split("?").length === 2) {
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf("?");
    if (q >= 0) {
      u.rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith("/")) {
    if (u.scheme !== "") {
      u.opaque = rest;
      return u;
    }
    if (viaRequest) throw new Error("invalid URI for request");
    const seg = rest.split("/")[0]!;
    if (seg.includes(":")) throw new Error("first path segment in URL cannot contain colon");
  }
  if ((u.scheme !== "" || (!viaRequest && !rest.startsWith("///"))) && rest.startsWith("//")) {
    let authority = rest.slice(2);
    rest = "";
    const i = authority.indexOf("/");
    if (i >= 0) {
      rest = authority.slice(i);
      authority = authority.slice(0, i);
    }
    const a = parseAuthority(authority);
    u.user = a.user;
    u.host = a.host;
  }
  u.path = unescape(rest, "path");
  u.rawPath = rest;
  return u;
}

function wrapUrlError(op: string, raw: string, e: unknown): Error {
  const msg = e instanceof Error ? e.message : String(e);
  return new Error(`${op} ${JSON.stringify(raw)}: ${msg}`);
}

/** Go's `url.ParseRequestURI`. */
export function parseRequestURI(raw: string): GoURL {
  try {
    return parseInternal(raw, true);
  } catch (e) {
    throw wrapUrlError("parse", raw, e);
  }
}

/** Go's `url.Parse` (splits off the fragment first). */
export function parseURL(raw: string): GoURL {
  const hash = raw.indexOf("#");
  const main = hash >= 0 ? raw.slice(0, hash) : raw;
  const frag = hash >= 0 ? raw.slice(hash + 1) : "";
  try {
    const u = parseInternal(main, false);
    u.fragment = unescape(frag, "fragment");
    return u;
  } catch (e) {
    throw wrapUrlError("parse", raw, e);
  }
}

/** Go's `URL.Hostname()`. */
export function urlHostname(u: GoURL): string {
  const [host] = splitHostPort(u.host);
  return host;
}

/** Go's `URL.Port()`. */
export function urlPort(u: GoURL): string {
  return splitHostPort(u.host)[1];
}

function splitHostPort(hostPort: string): [string, string] {
  let host = hostPort;
  let port = "";
  const colon = host.lastIndexOf(":");
  if (colon !== -1 && validOptionalPort(host.slice(colon))) {
    port = host.slice(colon + 1);
    host = host.slice(0, colon);
  }
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  return [host, port];
}

function shouldEscapePath(c: string): boolean {
  if (/^[A-Za-z0-9\-_.~]$/.test(c)) return false;
  // In a path, '$&+,/:;=@' are left alone by Go's EscapedPath.
  return !"$&+,/:;=@".includes(c);
}

function escapePath(s: string): string {
  let out = "";
  for (const ch of s) {
    if (ch.length === 1 && ch.charCodeAt(0) < 0x80 && !shouldEscapePath(ch)) {
      out += ch;
    } else {
      for (const b of new TextEncoder().encode(ch)) out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
    }
  }
  return out;
}

function validEncoded(s: string): boolean {
  for (const c of s) {
    if ("!$&'()*+,;=:@[]".includes(c)) continue;
    if (c === "%") continue;
    if (shouldEscapePath(c)) return false;
  }
  return true;
}

/** Go's `URL.EscapedPath()`. */
export function urlEscapedPath(u: GoURL): string {
  if (u.rawPath !== "" && validEncoded(u.rawPath)) {
    try {
      if (unescape(u.rawPath, "path") === u.path) return u.rawPath;
    } catch {
      // fall through
    }
  }
  if (u.path === "*") return "*";
  return escapePath(u.path);
}

function queryUnescape(s: string): string {
  const plus = s.replace(/\+/g, " ");
  return unescape(plus, "query");
}

/** Go's `URL.Query()` (url.ParseQuery ignoring errors): key → values in order. */
export function urlQuery(u: GoURL): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const part of u.rawQuery.split("&")) {
    if (part === "" || part.includes(";")) continue;
    const eq = part.indexOf("=");
    const k = eq >= 0 ? part.slice(0, eq) : part;
    const v = eq >= 0 ? part.slice(eq + 1) : "";
    let key: string;
    let val: string;
    try {
      key = queryUnescape(k);
      val = queryUnescape(v);
    } catch {
      continue;
    }
    const list = m.get(key);
    if (list) list.push(val);
    else m.set(key, [val]);
  }
  return m;
}
