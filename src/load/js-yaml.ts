import { createRequire } from "node:module";
import type * as JsYaml from "js-yaml";

/**
 * js-yaml, loaded through its CommonJS build: on Node 20 that build parses manifests about 2.5 times
 * as fast as its ESM build does (same version, same process; see the baseline in scripts/bench.mjs).
 */
const jsYaml = createRequire(import.meta.url)("js-yaml") as typeof JsYaml;

export const loadAll = jsYaml.loadAll;
export const load = jsYaml.load;
export const YAMLException = jsYaml.YAMLException;
/** The event parser (events carry source offsets) and what reads its events: exact positions (`locate.ts`). */
export const parseEvents = jsYaml.parseEvents;
export const getScalarValue = jsYaml.getScalarValue;
export const EVENT_ID = jsYaml.EVENT_ID;
export const SCALAR_STYLE = jsYaml.SCALAR_STYLE;
export type { Event, ScalarEvent } from "js-yaml";

/** go-yaml's pattern for plain scalars it reads as floats (after removing `_`). */
const GO_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const GO_INTEGER = /^[-+]?(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)$/;

/**
 * A plain scalar as go-yaml v2 reads a number: an integer as Go's `strconv.ParseInt(s, 0, 64)` reads
 * it (`0x1F`, `0b11`, `0o17`, `0644` octal, `1_000`), else a float by go-yaml's pattern (`1e3`, `08`,
 * `.5`), else `.inf` / `.nan`. No base 60: `1:20` stays a string.
 */
function goNumber(source: string): number | typeof jsYaml.NOT_RESOLVED {
  const plain = source.replace(/_/g, "");
  if (GO_INTEGER.test(plain)) {
    const negative = plain[0] === "-";
    const digits = plain[0] === "-" || plain[0] === "+" ? plain.slice(1) : plain;
    const prefix = digits.slice(0, 2).toLowerCase();
    const value =
      prefix === "0x" ? parseInt(digits.slice(2), 16)
      : prefix === "0b" ? parseInt(digits.slice(2), 2)
      : prefix === "0o" ? parseInt(digits.slice(2), 8)
      : digits.length > 1 && digits[0] === "0" ? parseInt(digits, 8)
      : parseInt(digits, 10);
    return negative ? -value : value;
  }
  if (GO_FLOAT.test(plain)) return Number(plain);
  if (/^[-+]?\.(inf|Inf|INF)$/.test(source)) return source[0] === "-" ? -Infinity : Infinity;
  if (/^\.(nan|NaN|NAN)$/.test(source)) return NaN;
  return jsYaml.NOT_RESOLVED;
}

const goNumberTag = jsYaml.defineScalarTag("tag:yaml.org,2002:float", {
  implicit: true,
  implicitFirstChars: ["-", "+", ".", ..."0123456789"],
  resolve: goNumber,
  identify: (value: unknown) => typeof value === "number",
});

/**
 * Plain scalars as the Kubernetes API server reads manifests (sigs.k8s.io/yaml on go-yaml v2, YAML
 * 1.1): `yes`/`no`/`on`/`off`/`y`/`n` are booleans, `0644` is octal, `1_000` and `1e3` are numbers, `<<`
 * merges a mapping in; `1:20` and dates stay strings. js-yaml's default (YAML 1.2) reads
 * `enabled: yes` as a string the API server never sees, and `<<: *base` as a key.
 */
export const KUBERNETES_SCHEMA = new jsYaml.Schema([
  ...jsYaml.FAILSAFE_SCHEMA.tags,
  jsYaml.nullYaml11Tag,
  jsYaml.boolYaml11Tag,
  goNumberTag,
  jsYaml.mergeTag,
]);
