/**
 * The Kubernetes additions to the CEL standard environment that CRD
 * `x-kubernetes-validations` rules may use, built on @bufbuild/cel:
 * Go-compatible `duration(string)` / `int(string)`, the URL library, the lists
 * library, the regex library (`find`, `findAll`), the sets library, plus the
 * cel-go strings extension shipped by @bufbuild/cel. `matches` uses RE2
 * semantics via re2js.
 */
import {
  CelScalar,
  celFunc,
  celMethod,
  isCelList,
  isCelMap,
  listType,
  mapType,
  objectType,
  type CelFunc,
  type CelList,
  type CelValue,
  celEnv,
} from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { create, createFileRegistry, type DescMessage } from "@bufbuild/protobuf";
import {
  DurationSchema,
  FileDescriptorProtoSchema,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  type Duration,
} from "@bufbuild/protobuf/wkt";
import { RE2JS } from "re2js";
import {
  parseGoDuration,
  parseGoInt,
  parseRequestURI,
  parseURL,
  urlEscapedPath,
  urlHostname,
  urlPort,
  urlQuery,
  type GoURL,
} from "./cel-go.js";

const { INT, STRING, BOOL, DYN } = CelScalar;
const DURATION_TYPE = objectType(DurationSchema);

// ---------------------------------------------------------------- regex (RE2)

const regexCache = new Map<string, RE2JS>();

/** Compiles an RE2 pattern once (cached); throws on a syntax error. */
export function compileRe2(pattern: string): RE2JS {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    re = RE2JS.compile(pattern);
    if (regexCache.size > 5000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

type Re2Engine = NonNullable<NonNullable<Parameters<typeof celEnv>[0]>["re2"]>;
export const re2Engine: Re2Engine = {
  compile(pattern: string) {
    const re = compileRe2(pattern);
    return { test: (text: string) => re.matcher(text).find() };
  },
};

// ------------------------------------------------------------------- duration

const NANOS_PER_SECOND = 1_000_000_000n;

function durationFromNanos(n: bigint): Duration {
  return create(DurationSchema, { seconds: n / NANOS_PER_SECOND, nanos: Number(n % NANOS_PER_SECOND) });
}

/** Thrown as the CEL runtime error text, exactly as cel-go words it. */
const DURATION_CONVERSION_ERROR = "type conversion error from 'string' to 'google.protobuf.Duration'";

// ------------------------------------------------------------------------ URL

const urlFile = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: "mesh_lint/k8s_cel_url.proto",
    package: "kubernetes",
    syntax: "proto3",
    messageType: [
      {
        name: "URL",
        field: [
          {
            name: "raw",
            jsonName: "raw",
            number: 1,
            type: FieldDescriptorProto_Type.STRING,
            label: FieldDescriptorProto_Label.OPTIONAL,
          },
        ],
      },
    ],
  }),
  () => undefined,
);
const URL_DESC = urlFile.getMessage("kubernetes.URL") as DescMessage;
export const urlRegistry = urlFile;
const URL_TYPE = objectType(URL_DESC);

const parsedUrls = new Map<string, GoURL>();
function goUrl(raw: string): GoURL {
  let u = parsedUrls.get(raw);
  if (u === undefined) {
    u = parseURL(raw);
    if (parsedUrls.size > 5000) parsedUrls.clear();
    parsedUrls.set(raw, u);
  }
  return u;
}

function urlOf(self: { message: unknown }): GoURL {
  return goUrl((self.message as { raw: string }).raw);
}

// ---------------------------------------------------------------------- lists

function compareValues(a: CelValue, b: CelValue): number {
  if (typeof a === "bigint" || typeof a === "number") {
    if (typeof b === "bigint" || typeof b === "number") {
      const x = typeof a === "bigint" && typeof b === "bigint" ? a - b : Number(a) - Number(b);
      return x < 0 ? -1 : x > 0 ? 1 : 0;
    }
  } else if (typeof a === "string" && typeof b === "string") {
    return a < b ? -1 : a > b ? 1 : 0;
  } else if (typeof a === "boolean" && typeof b === "boolean") {
    return Number(a) - Number(b);
  } else if (isDurationValue(a) && isDurationValue(b)) {
    const x = durNanos(a) - durNanos(b);
    return x < 0n ? -1 : x > 0n ? 1 : 0;
  }
  throw new Error("no such overload");
}

function isDurationValue(v: CelValue): v is CelValue & { message: Duration } {
  return typeof v === "object" && v !== null && "message" in v && (v as { desc?: DescMessage }).desc?.typeName === DurationSchema.typeName;
}
function durNanos(v: { message: Duration }): bigint {
  return v.message.seconds * NANOS_PER_SECOND + BigInt(v.message.nanos);
}

function listValues(l: CelList): CelValue[] {
  return [...l];
}

function celEquals(a: CelValue, b: CelValue): boolean {
  if (a === b) return true;
  if ((typeof a === "bigint" || typeof a === "number") && (typeof b === "bigint" || typeof b === "number")) {
    return Number(a) === Number(b);
  }
  if (isCelList(a) && isCelList(b)) {
    if (a.size !== b.size) return false;
    const xa = listValues(a);
    const xb = listValues(b);
    return xa.every((v, i) => celEquals(v, xb[i]!));
  }
  if (isCelMap(a) && isCelMap(b)) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) {
      if (!b.has(k)) return false;
      if (!celEquals(v, b.get(k)!)) return false;
    }
    return true;
  }
  return false;
}

const LIST = listType(DYN);

function listIndexOf(list: CelList, v: CelValue, last: boolean): bigint {
  const xs = listValues(list);
  if (last) {
    for (let i = xs.length - 1; i >= 0; i--) if (celEquals(xs[i]!, v)) return BigInt(i);
  } else {
    for (let i = 0; i < xs.length; i++) if (celEquals(xs[i]!, v)) return BigInt(i);
  }
  return -1n;
}

function listExtreme(list: CelList, sign: 1 | -1): CelValue {
  const xs = listValues(list);
  if (xs.length === 0) throw new Error(sign > 0 ? "max(list) called on empty list" : "min(list) called on empty list");
  let best: CelValue = xs[0] as CelValue;
  for (const x of xs.slice(1)) if (compareValues(x, best) * sign > 0) best = x;
  return best;
}

function listSum(list: CelList): CelValue {
  const xs = listValues(list);
  if (xs.length === 0) return 0n;
  if (xs.every((x) => typeof x === "bigint")) {
    let s = 0n;
    for (const x of xs as bigint[]) s += x;
    if (s > (1n << 63n) - 1n || s < -(1n << 63n)) throw new Error("integer overflow");
    return s;
  }
  if (xs.every((x) => typeof x === "number")) return (xs as number[]).reduce((a, b) => a + b, 0);
  if (xs.every(isDurationValue)) {
    let s = 0n;
    for (const x of xs) s += durNanos(x as { message: Duration });
    return durationFromNanos(s) as unknown as CelValue;
  }
  throw new Error("no such overload");
}

// ----------------------------------------------------------------- assembling

/** All functions added on top of the CEL standard library. */
export function kubernetesCelFuncs(): CelFunc[] {
  const fns: CelFunc[] = [...strings];

  // Go-compatible conversions (override @bufbuild/cel's more lenient parsers).
  fns.push(
    celFunc("duration", [STRING], DURATION_TYPE, (s: string) => {
      let nanos: bigint;
      try {
        nanos = parseGoDuration(s);
      } catch {
        throw new Error(DURATION_CONVERSION_ERROR);
      }
      return durationFromNanos(nanos);
    }),
    celFunc("int", [STRING], INT, (s: string) => {
      try {
        return parseGoInt(s);
      } catch {
        throw new Error("type conversion error from 'string' to 'int'");
      }
    }),
  );

  // URL library.
  fns.push(
    celFunc("url", [STRING], URL_TYPE, (s: string) => {
      try {
        parseRequestURI(s);
        goUrl(s);
      } catch (e) {
        throw new Error(`URL parse error during conversion from string: ${(e as Error).message}`);
      }
      return create(URL_DESC, { raw: s } as never);
    }),
    celFunc("isURL", [STRING], BOOL, (s: string) => {
      try {
        parseRequestURI(s);
        return true;
      } catch {
        return false;
      }
    }),
    celMethod("getScheme", URL_TYPE, [], STRING, function () {
      return urlOf(this).scheme;
    }),
    celMethod("getHost", URL_TYPE, [], STRING, function () {
      return urlOf(this).host;
    }),
    celMethod("getHostname", URL_TYPE, [], STRING, function () {
      return urlHostname(urlOf(this));
    }),
    celMethod("getPort", URL_TYPE, [], STRING, function () {
      return urlPort(urlOf(this));
    }),
    celMethod("getEscapedPath", URL_TYPE, [], STRING, function () {
      return urlEscapedPath(urlOf(this));
    }),
    celMethod("getQuery", URL_TYPE, [], mapType(STRING, listType(STRING)), function () {
      return urlQuery(urlOf(this));
    }),
  );

  // Lists library.
  fns.push(
    celMethod("isSorted", LIST, [], BOOL, function () {
      const xs = listValues(this);
      for (let i = 1; i < xs.length; i++) if (compareValues(xs[i - 1]!, xs[i]!) > 0) return false;
      return true;
    }),
    celMethod("sum", LIST, [], DYN, function () {
      return listSum(this);
    }),
    celMethod("min", LIST, [], DYN, function () {
      return listExtreme(this, -1);
    }),
    celMethod("max", LIST, [], DYN, function () {
      return listExtreme(this, 1);
    }),
    celMethod("indexOf", LIST, [DYN], INT, function (v: CelValue) {
      return listIndexOf(this, v, false);
    }),
    celMethod("lastIndexOf", LIST, [DYN], INT, function (v: CelValue) {
      return listIndexOf(this, v, true);
    }),
  );

  // Regex library.
  const findAll = (s: string, pattern: string, limit: bigint): string[] => {
    const out: string[] = [];
    if (limit === 0n) return out;
    const m = compileRe2(pattern).matcher(s);
    while (m.find()) {
      out.push(m.group() ?? "");
      if (limit > 0n && BigInt(out.length) >= limit) break;
    }
    return out;
  };
  fns.push(
    celMethod("find", STRING, [STRING], STRING, function (pattern: string) {
      const m = compileRe2(pattern).matcher(this);
      return m.find() ? (m.group() ?? "") : "";
    }),
    celMethod("findAll", STRING, [STRING], listType(STRING), function (pattern: string) {
      return findAll(this, pattern, -1n);
    }),
    celMethod("findAll", STRING, [STRING, INT], listType(STRING), function (pattern: string, n: bigint) {
      return findAll(this, pattern, n);
    }),
  );

  // Sets library.
  const contains = (a: CelList, b: CelList) => listValues(b).every((x) => listValues(a).some((y) => celEquals(x, y)));
  fns.push(
    celFunc("sets.contains", [LIST, LIST], BOOL, (a: CelList, b: CelList) => contains(a, b)),
    celFunc("sets.equivalent", [LIST, LIST], BOOL, (a: CelList, b: CelList) => contains(a, b) && contains(b, a)),
    celFunc("sets.intersects", [LIST, LIST], BOOL, (a: CelList, b: CelList) =>
      listValues(a).some((x) => listValues(b).some((y) => celEquals(x, y))),
    ),
  );
  return fns;
}
