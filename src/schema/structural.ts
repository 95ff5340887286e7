/**
 * Validation of a custom resource the way the Kubernetes API server does it with a structural
 * schema: unknown fields pruned (reported as warnings), OpenAPI value validation (ajv on a schema
 * transformed from the CRD's OpenAPI v3), x-kubernetes-list-type duplicates, ObjectMeta rules and
 * CEL (x-kubernetes-validations) rules. Messages are worded as `kubectl apply` shows them.
 */
import { createRequire } from "node:module";
import type { Ajv, ErrorObject, ValidateFunction } from "ajv";
import { suggest } from "./suggest.js";
import { RE2JS } from "re2js";
import type { PathSegment } from "../load/types.js";
import { evaluateCelRule, type CelOutcome, type CelRule } from "./cel.js";
import { KUBERNETES_FORMATS } from "./structural-formats.js";
import { objectMetaProblems } from "./structural-meta.js";
import type { SchemaProblem } from "./types.js";

type Json = Record<string, unknown>;
/**
 * Evaluates one rule on a node's value. `fieldPath` is the node's formatted path; the default
 * evaluator (`evaluateCelRule`) does not read it and is given "" (formatting every node's path
 * would cost more than many rules do).
 */
export type CelEvaluator = (rule: CelRule, self: unknown, fieldPath: string) => CelOutcome;

/** What the walkers need of one schema node, precomputed once per compiled schema. */
export interface StructuralNode {
  /** Declared properties (`properties`). */
  props?: Map<string, StructuralNode>;
  /** Schema of map values (`additionalProperties` as a schema). */
  additional?: StructuralNode;
  /** Any field is kept (`x-kubernetes-preserve-unknown-fields`, `additionalProperties: true`, or embedded resource). */
  keepUnknown: boolean;
  /** Schema of list items. */
  items?: StructuralNode;
  nullable: boolean;
  /** Declared type, if any. */
  type?: string;
  intOrString: boolean;
  /** CEL rules evaluated on create (transition rules that use oldSelf are left out). */
  rules?: CelRule[];
  listType?: "set" | "map";
  listMapKeys?: string[];
  /** This node or a descendant has CEL rules or a list type: the second walk must visit it. */
  deep: boolean;
  /** The declared properties that are `deep`, in declaration order (what the second walk visits). */
  deepProps?: [string, StructuralNode][];
  /** Properties with a `default`, applied (as the API server does) when absent or null. */
  defaults?: [string, unknown][];
}

/** Counters, for tests and the benchmark. */
export interface StructuralStats {
  /** CEL rules evaluated. */
  celEvaluated: number;
  /** CEL rules skipped because the evaluator could not evaluate them (`ok: "error"`). */
  celSkipped: number;
}

export interface StructuralOptions {
  /** The kind has a status subresource: `status` is reset on create and not validated. */
  statusSubresource?: boolean;
  /** The kind is namespaced (default true). */
  namespaced?: boolean;
  /** CEL evaluator (defaults to `evaluateCelRule` of `./cel.js`). */
  cel?: CelEvaluator;
  /** Ajv instance to compile with (shared by a registry). */
  ajv?: Ajv;
  /**
   * An ajv validate function already compiled (at build time, by scripts/build-validators.mjs) from
   * `toAjvSchema(structuralBody(schema, ...))`; no ajv compilation happens then.
   */
  precompiled?: ValidateFunction;
}

const TRANSITION_RULE = /\boldSelf\b/;

/** Top-level fields the API server handles itself (not pruned by the CRD schema). */
const ENVELOPE = new Set(["apiVersion", "kind", "metadata"]);

// ---------------------------------------------------------------------------------------------
// Paths and values as the API server prints them

/** Formats a path the way the API server does (`spec.http[0].route`, map keys as `[key]`). */
export function formatFieldPath(path: readonly PathSegment[], root?: StructuralNode): string {
  let out = "";
  let node: StructuralNode | undefined = root;
  for (const seg of path) {
    if (typeof seg === "number") {
      out += `[${seg}]`;
      node = node?.items;
      continue;
    }
    if (node && !node.props?.has(seg) && node.additional) {
      out += `[${seg}]`;
      node = node.additional;
      continue;
    }
    out += out === "" ? seg : `.${seg}`;
    node = node?.props?.get(seg);
  }
  return out === "" ? "<root>" : out;
}

/** The type name the API server uses for a value in messages. */
export function jsonTypeName(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  if (typeof value === "object") return "object";
  return typeof value;
}

/** A value as printed after `Invalid value:`. */
function printValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null || value === undefined) return "null";
  return JSON.stringify(jsonTypeName(value));
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// Schema precomputation

function buildNode(schema: unknown): StructuralNode {
  const s = isObject(schema) ? schema : {};
  const node: StructuralNode = {
    keepUnknown:
      s["x-kubernetes-preserve-unknown-fields"] === true ||
      s["x-kubernetes-embedded-resource"] === true ||
      s.additionalProperties === true,
    nullable: s.nullable === true,
    intOrString: s["x-kubernetes-int-or-string"] === true,
    deep: false,
  };
  if (typeof s.type === "string") node.type = s.type;
  if (isObject(s.properties)) {
    node.props = new Map();
    for (const [name, sub] of Object.entries(s.properties)) {
      node.props.set(name, buildNode(sub));
      if (isObject(sub) && sub.default !== undefined) (node.defaults ??= []).push([name, sub.default]);
    }
  }
  if (isObject(s.additionalProperties)) node.additional = buildNode(s.additionalProperties);
  if (isObject(s.items)) node.items = buildNode(s.items);
  if (Array.isArray(s["x-kubernetes-validations"])) {
    const rules: CelRule[] = [];
    for (const r of s["x-kubernetes-validations"] as unknown[]) {
      if (!isObject(r) || typeof r.rule !== "string") continue;
      if (TRANSITION_RULE.test(r.rule)) continue;
      const rule: CelRule = { rule: r.rule };
      if (typeof r.message === "string") rule.message = r.message;
      if (typeof r.messageExpression === "string") rule.messageExpression = r.messageExpression;
      if (typeof r.reason === "string") rule.reason = r.reason;
      if (typeof r.fieldPath === "string") rule.fieldPath = r.fieldPath;
      rules.push(rule);
    }
    if (rules.length > 0) node.rules = rules;
  }
  const listType = s["x-kubernetes-list-type"];
  if (listType === "set" || listType === "map") {
    node.listType = listType;
    if (listType === "map" && Array.isArray(s["x-kubernetes-list-map-keys"])) {
      node.listMapKeys = (s["x-kubernetes-list-map-keys"] as unknown[]).filter((k): k is string => typeof k === "string");
    }
  }
  if (node.props) {
    const deepProps = [...node.props].filter(([, child]) => child.deep);
    if (deepProps.length > 0) node.deepProps = deepProps;
  }
  node.deep = node.rules !== undefined || node.listType !== undefined || node.deepProps !== undefined || (node.additional?.deep ?? false) || (node.items?.deep ?? false);
  return node;
}

const VALUE_KEYWORDS = [
  "enum",
  "pattern",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "uniqueItems",
  "minProperties",
  "maxProperties",
  "required",
  "const",
] as const;

/** Turns a CRD's OpenAPI v3 schema into a JSON Schema ajv validates with the API server's meaning. */
export function toAjvSchema(schema: unknown): Json {
  const s = isObject(schema) ? schema : {};
  const out: Json = {};
  for (const key of VALUE_KEYWORDS) if (s[key] !== undefined) out[key] = s[key];
  // OpenAPI v3.0 boolean exclusive bounds → draft-07 numeric bounds.
  if (s.exclusiveMaximum === true && typeof s.maximum === "number") {
    out.exclusiveMaximum = s.maximum;
    delete out.maximum;
  } else if (typeof s.exclusiveMaximum !== "number") delete out.exclusiveMaximum;
  if (s.exclusiveMinimum === true && typeof s.minimum === "number") {
    out.exclusiveMinimum = s.minimum;
    delete out.minimum;
  } else if (typeof s.exclusiveMinimum !== "number") delete out.exclusiveMinimum;
  if (typeof s.format === "string" && KUBERNETES_FORMATS[s.format]) out.format = s.format;

  const intOrString = s["x-kubernetes-int-or-string"] === true;
  let types: string[] | undefined;
  if (intOrString) types = ["integer", "string"];
  else if (typeof s.type === "string") types = [s.type];
  if (types && s.nullable === true) {
    types = [...types, "null"];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  if (types) out.type = types.length === 1 ? types[0] : types;

  if (isObject(s.properties)) {
    const props: Json = {};
    for (const [name, sub] of Object.entries(s.properties)) props[name] = toAjvSchema(sub);
    out.properties = props;
  }
  if (isObject(s.additionalProperties)) out.additionalProperties = toAjvSchema(s.additionalProperties);
  if (isObject(s.items)) out.items = toAjvSchema(s.items);
  for (const key of ["oneOf", "anyOf", "allOf"] as const) {
    const list = s[key];
    if (!Array.isArray(list)) continue;
    // int-or-string's `anyOf: [{type: integer}, {type: string}]` is expressed by `type` above.
    if (intOrString && list.every((b) => isObject(b) && Object.keys(b).every((k) => k === "type"))) continue;
    out[key] = list.map(toAjvSchema);
  }
  if (isObject(s.not)) out.not = toAjvSchema(s.not);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Ajv

/** The RegExp engine of the validators (ajv `code.regExp`); standalone validators receive it as `re2`. */
export const re2Engine = Object.assign(
  (pattern: string, flags: string) => {
    try {
      const re = RE2JS.compile(pattern);
      // ajv caches patterns by their string form.
      return { test: (s: string) => re.test(s), toString: () => `re2:/${pattern}/` };
    } catch {
      return new RegExp(pattern, flags);
    }
  },
  { code: "re2" },
);

/** The format definitions given to ajv; standalone validators receive them as `formats`. */
export const AJV_FORMATS: Record<string, { type: "string"; validate: (value: string) => boolean }> = Object.fromEntries(
  Object.entries(KUBERNETES_FORMATS).map(([name, fn]) => [name, { type: "string" as const, validate: fn }]),
);

/**
 * An ajv instance configured as the API server validates (Go RE2 patterns, Kubernetes formats).
 * With `standalone`, it also keeps the source of what it compiles, for `ajv/dist/standalone`: the
 * code refers to the RegExp engine as `re2` and to the formats as `formats`.
 */
export function createAjv(options: { standalone?: boolean } = {}): Ajv {
  // Loaded on demand: the bundled schemas' validators are generated at build time, so ajv itself is
  // needed only for CRDs met at run time.
  const { Ajv, _ } = createRequire(import.meta.url)("ajv") as typeof import("ajv");
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    verbose: true,
    validateFormats: true,
    code: options.standalone ? { regExp: re2Engine, source: true, formats: _`formats` } : { regExp: re2Engine },
  });
  for (const [name, format] of Object.entries(AJV_FORMATS)) ajv.addFormat(name, format);
  return ajv;
}

function pointerToPath(pointer: string): PathSegment[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((raw) => {
      const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
      return /^(0|[1-9]\d*)$/.test(seg) ? Number(seg) : seg;
    });
}

function quoteList(values: unknown[]): string {
  return values.map((v) => (typeof v === "string" ? JSON.stringify(v) : String(v))).join(", ");
}

function typeOf(value: unknown): string {
  return jsonTypeName(value);
}

function errorToProblem(err: ErrorObject, root: StructuralNode, basePath: PathSegment[]): SchemaProblem | undefined {
  const path = [...basePath, ...pointerToPath(err.instancePath)];
  const p = formatFieldPath(path, root);
  const data = err.data;
  const params = err.params as Record<string, unknown>;
  const prob = (message: string, at: PathSegment[] = path): SchemaProblem => ({ path: at, message, severity: 2, source: "structural" });
  switch (err.keyword) {
    case "required": {
      const missing = String(params.missingProperty);
      const at = [...path, missing];
      return prob(`${formatFieldPath(at, root)}: Required value`, at);
    }
    case "type": {
      const want = String(params.type)
        .split(",")
        .filter((t) => t !== "null")
        .join(",");
      const got = typeOf(data);
      return prob(`${p}: Invalid value: "${got}": ${p} in body must be of type ${want}: "${got}"`);
    }
    case "enum":
      return {
        path,
        severity: 2,
        source: "structural",
        message: `${p}: Unsupported value: ${printValue(data)}: supported values: ${quoteList((params.allowedValues as unknown[]) ?? []).replace(/, null$/, "")}`,
      };
    case "const":
      return prob(`${p}: Invalid value: ${printValue(data)}: ${p} in body should be equal to ${JSON.stringify(params.allowedValue)}`);
    case "pattern":
      return prob(`${p}: Invalid value: ${printValue(data)}: ${p} in body should match '${String(params.pattern)}'`);
    case "format":
      return prob(`${p}: Invalid value: ${printValue(data)}: ${p} in body must be of type ${String(params.format)}: ${printValue(data)}`);
    case "maximum":
    case "minimum":
    case "exclusiveMaximum":
    case "exclusiveMinimum": {
      const cmp = String(params.comparison);
      const words =
        cmp === "<=" ? "less than or equal to" : cmp === "<" ? "less than" : cmp === ">=" ? "greater than or equal to" : "greater than";
      return prob(`${p}: Invalid value: ${printValue(data)}: ${p} in body should be ${words} ${String(params.limit)}`);
    }
    case "multipleOf":
      return prob(`${p}: Invalid value: ${printValue(data)}: ${p} in body should be a multiple of ${String(params.multipleOf)}`);
    case "minLength":
      return prob(`${p}: Invalid value: ${printValue(data)}: ${p} in body should be at least ${String(params.limit)} chars long`);
    case "maxLength":
      return prob(`${p}: Too long: may not be more than ${String(params.limit)} bytes`);
    case "minItems":
      return prob(`${p}: Invalid value: ${Array.isArray(data) ? data.length : 0}: ${p} in body should have at least ${String(params.limit)} items`);
    case "maxItems":
      return prob(`${p}: Too many: ${Array.isArray(data) ? data.length : 0}: must have at most ${String(params.limit)} items`);
    case "uniqueItems":
      return prob(`${p}[${String(params.i)}]: Duplicate value: ${JSON.stringify(Array.isArray(data) ? data[params.i as number] : null)}`, [...path, params.i as number]);
    case "minProperties":
      return prob(`${p}: Invalid value: ${isObject(data) ? Object.keys(data).length : 0}: ${p} in body should have at least ${String(params.limit)} properties`);
    case "maxProperties":
      return prob(`${p}: Too many: ${isObject(data) ? Object.keys(data).length : 0}: must have at most ${String(params.limit)} items`);
    case "oneOf":
      return prob(`${p}: Invalid value: ${printValue(data)}: ${p} in body must validate one and only one schema (oneOf)`);
    case "anyOf":
      return prob(`${p}: Invalid value: ${printValue(data)}: ${p} in body must validate at least one schema (anyOf)`);
    case "not":
      return prob(`${p}: Invalid value: ${printValue(data)}: ${p} in body must not validate the schema (not)`);
    case "allOf":
      return undefined; // the failing branch's own errors say it
    default:
      return prob(`${p}: Invalid value: ${printValue(data)}: ${err.message ?? "invalid"}`);
  }
}

/** Converts ajv errors, dropping the inner errors of failed oneOf/anyOf branches (the outer error says it). */
function convertErrors(errors: ErrorObject[], root: StructuralNode, basePath: PathSegment[]): SchemaProblem[] {
  const combinators = errors.filter((e) => e.keyword === "oneOf" || e.keyword === "anyOf" || e.keyword === "not").map((e) => e.schemaPath + "/");
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const err of errors) {
    if (combinators.some((prefix) => err.schemaPath.startsWith(prefix))) continue;
    const problem = errorToProblem(err, root, basePath);
    if (!problem || seen.has(problem.message)) continue;
    seen.add(problem.message);
    out.push(problem);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Pruning (unknown fields)

function unknownFieldProblem(path: PathSegment[], root: StructuralNode, siblings: Iterable<string>): SchemaProblem {
  const name = String(path[path.length - 1]);
  const hint = suggest(name, siblings);
  return {
    path,
    severity: 1,
    source: "unknown-field",
    message: `unknown field "${formatFieldPath(path, root)}"; the API server drops it.${hint ? ` Did you mean "${hint}"?` : ""}`,
  };
}

/**
 * Returns the value with unknown fields (and nulls of non-nullable fields) removed, copying only
 * what changes; unknown fields are reported.
 */
function prune(value: unknown, node: StructuralNode, path: PathSegment[], root: StructuralNode, problems: SchemaProblem[]): unknown {
  if (Array.isArray(value)) {
    const items = node.items;
    if (!items) return value;
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (item === null || typeof item !== "object") continue;
      path.push(i);
      const pruned = prune(item, items, path, root, problems);
      path.pop();
      if (pruned !== item) {
        copy ??= value.slice();
        copy[i] = pruned;
      }
    }
    return copy ?? value;
  }
  if (!isObject(value)) return value;
  if (node.type !== undefined && node.type !== "object") return value; // a type error, reported by ajv
  let copy: Json | undefined;
  for (const key of Object.keys(value)) {
    const child = value[key];
    const sub = node.props?.get(key) ?? node.additional;
    if (sub === undefined) {
      if (node.keepUnknown) continue;
      const siblings = [...(node.props?.keys() ?? [])];
      if (path.length === 0) siblings.push(...ENVELOPE);
      problems.push(unknownFieldProblem([...path, key], root, siblings));
      copy ??= { ...value };
      delete copy[key];
      continue;
    }
    if (child === null && !sub.nullable) {
      // The API server drops nulls of non-nullable fields before defaulting and validation.
      copy ??= { ...value };
      delete copy[key];
      continue;
    }
    if (child !== null && typeof child === "object") {
      path.push(key);
      const pruned = prune(child, sub, path, root, problems);
      path.pop();
      if (pruned !== child) {
        copy ??= { ...value };
        copy[key] = pruned;
      }
    }
  }
  if (node.defaults) {
    for (const [name, dflt] of node.defaults) {
      if ((copy ?? value)[name] !== undefined) continue;
      copy ??= { ...value };
      copy[name] = structuredClone(dflt);
    }
  }
  return copy ?? value;
}

// ---------------------------------------------------------------------------------------------
// Second walk: list-type duplicates and CEL rules

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

function listProblems(list: unknown[], node: StructuralNode, path: PathSegment[], root: StructuralNode, out: SchemaProblem[]): void {
  const seen = new Set<string>();
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    let key: string;
    let shown: string;
    if (node.listType === "map") {
      if (!isObject(item)) continue;
      const keys = node.listMapKeys ?? [];
      const picked: Json = {};
      for (const k of keys) if (item[k] !== undefined) picked[k] = item[k];
      key = canonical(picked);
      shown = canonical(picked);
    } else {
      key = canonical(item);
      shown = typeof item === "string" || typeof item === "number" || typeof item === "boolean" ? JSON.stringify(item) : canonical(item);
    }
    if (seen.has(key)) {
      const at = [...path, i];
      out.push({ path: at, severity: 2, source: "list", message: `${formatFieldPath(at, root)}: Duplicate value: ${shown}` });
    } else seen.add(key);
  }
}

/** Appends a CEL rule's `fieldPath` (`.a.b`, `['a']`, `[0]`) to a path. */
function applyRuleFieldPath(path: PathSegment[], fieldPath: string | undefined): PathSegment[] {
  if (!fieldPath) return path.slice();
  const out = [...path];
  const re = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*(\d+)\s*\]/y;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(fieldPath)) !== null) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(m[2].replace(/\\(.)/g, "$1"));
    else out.push(Number(m[3]));
    last = re.lastIndex;
  }
  return last === fieldPath.length ? out : path.slice();
}

interface WalkContext {
  root: StructuralNode;
  cel: CelEvaluator;
  /** Whether `cel` is given the formatted path of the node (the default evaluator does not read it). */
  celFieldPath: boolean;
  stats: StructuralStats;
  out: SchemaProblem[];
  /** Paths (formatted) where the value has the wrong type: no rules run at or below them (undefined: none). */
  badTypes: Set<string> | undefined;
}

/** Evaluates a node's CEL rules and reports the failed ones. */
function ruleProblems(rules: CelRule[], value: unknown, path: PathSegment[], ctx: WalkContext): void {
  const fieldPath = ctx.celFieldPath && path.length > 0 ? formatFieldPath(path, ctx.root) : "";
  for (const rule of rules) {
    const outcome = ctx.cel(rule, value, fieldPath);
    if (outcome.ok === true) {
      ctx.stats.celEvaluated++;
      continue;
    }
    if (outcome.ok === "error") {
      ctx.stats.celSkipped++;
      continue;
    }
    ctx.stats.celEvaluated++;
    const at = applyRuleFieldPath(path, rule.fieldPath);
    const shownPath = at.length === 0 ? "<root>" : formatFieldPath(at, ctx.root);
    const message = outcome.message || rule.message || `failed rule: ${rule.rule}`;
    let text: string;
    switch (rule.reason) {
      case "FieldValueRequired":
        text = `${shownPath}: Required value: ${message}`;
        break;
      case "FieldValueForbidden":
        text = `${shownPath}: Forbidden: ${message}`;
        break;
      case "FieldValueDuplicate":
        text = `${shownPath}: Duplicate value: ${JSON.stringify(jsonTypeName(value))}: ${message}`;
        break;
      default:
        text = `${shownPath}: Invalid value: ${JSON.stringify(jsonTypeName(value))}: ${message}`;
    }
    ctx.out.push({ path: at, severity: 2, source: "cel", message: text });
  }
}

function walk(value: unknown, node: StructuralNode, path: PathSegment[], ctx: WalkContext): void {
  if (!node.deep || value === undefined || value === null) return;
  if (ctx.badTypes !== undefined && ctx.badTypes.has(formatFieldPath(path))) return;
  if (node.listType && Array.isArray(value)) listProblems(value, node, path, ctx.root, ctx.out);
  if (node.rules) ruleProblems(node.rules, value, path, ctx);
  if (Array.isArray(value)) {
    const items = node.items;
    if (items?.deep) {
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        walk(value[i], items, path, ctx);
        path.pop();
      }
    }
    return;
  }
  if (!isObject(value)) return;
  const deepProps = node.deepProps;
  if (deepProps) {
    for (let i = 0; i < deepProps.length; i++) {
      const [name, child] = deepProps[i];
      const v = value[name];
      if (v === undefined) continue;
      path.push(name);
      walk(v, child, path, ctx);
      path.pop();
    }
  }
  const additional = node.additional;
  if (additional?.deep) {
    for (const name of Object.keys(value)) {
      if (node.props?.has(name)) continue;
      path.push(name);
      walk(value[name], additional, path, ctx);
      path.pop();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The compiled validator

/** The part of a CRD schema the structural validator checks: the envelope (and status) left out. */
export function structuralBody(schema: Record<string, unknown>, statusSubresource: boolean): Json {
  const body: Json = { ...schema };
  // The envelope is the API server's business, whatever the CRD's schema says of it.
  if (isObject(body.properties)) {
    const props: Json = { ...body.properties };
    for (const key of ENVELOPE) delete props[key];
    if (statusSubresource) delete props.status;
    body.properties = props;
  }
  if (Array.isArray(body.required)) {
    body.required = (body.required as unknown[]).filter((k) => typeof k === "string" && !ENVELOPE.has(k) && !(statusSubresource && k === "status"));
  }
  return body;
}


export class StructuralValidator {
  readonly root: StructuralNode;
  readonly stats: StructuralStats = { celEvaluated: 0, celSkipped: 0 };
  private readonly ajvValidate: ValidateFunction;
  private readonly statusSubresource: boolean;
  private readonly namespaced: boolean;
  private readonly cel: CelEvaluator;
  /** Whether the evaluator reads the formatted field path (the default one does not). */
  private readonly celFieldPath: boolean;
  /** Whether the walk sees the envelope: only the root's own rules (and a root map schema) read it. */
  private readonly walkSeesEnvelope: boolean;

  constructor(schema: Record<string, unknown>, options: StructuralOptions = {}) {
    this.statusSubresource = options.statusSubresource ?? false;
    this.namespaced = options.namespaced ?? true;
    this.cel = options.cel ?? evaluateCelRule;
    this.celFieldPath = this.cel !== evaluateCelRule;
    const body = structuralBody(schema, this.statusSubresource);
    this.root = buildNode(body);
    this.walkSeesEnvelope = this.root.rules !== undefined || this.root.additional !== undefined;
    this.ajvValidate = options.precompiled ?? (options.ajv ?? createAjv()).compile(toAjvSchema(body));
  }

  /** Validates one object (apiVersion, kind, metadata, spec, ...). */
  validate(object: Record<string, unknown>): SchemaProblem[] {
    const unknown: SchemaProblem[] = [];

    // Envelope: metadata per ObjectMeta rules.
    const problems = objectMetaProblems(object.metadata, {
      namespaced: this.namespaced,
      unknownField: (key) => unknown.push(unknownFieldProblem(["metadata", key], this.root, [])),
    });

    // Body: everything but the envelope (and status, reset on create), pruned.
    let body: Json = {};
    for (const key of Object.keys(object)) {
      if (ENVELOPE.has(key)) continue;
      if (key === "status" && this.statusSubresource) continue;
      body[key] = object[key];
    }
    body = prune(body, this.root, [], this.root, unknown) as Json;

    let badTypes: Set<string> | undefined;
    if (!this.ajvValidate(body)) {
      const errors = this.ajvValidate.errors ?? [];
      for (const e of errors) if (e.keyword === "type") (badTypes ??= new Set()).add(formatFieldPath(pointerToPath(e.instancePath)));
      problems.push(...convertErrors(errors, this.root, []));
    }

    const root = this.root;
    if (root.deep) {
      let self = body;
      if (this.walkSeesEnvelope) {
        self = { ...body };
        if (object.apiVersion !== undefined) self.apiVersion = object.apiVersion;
        if (object.kind !== undefined) self.kind = object.kind;
        if (object.metadata !== undefined) self.metadata = object.metadata;
      }
      walk(self, root, [], { root, cel: this.cel, celFieldPath: this.celFieldPath, stats: this.stats, out: problems, badTypes });
    }
    for (const problem of unknown) problems.push(problem);
    return problems;
  }
}

/** Compiles a validator for one CRD version's `openAPIV3Schema`. */
export function compileStructural(schema: Record<string, unknown>, options: StructuralOptions = {}): StructuralValidator {
  return new StructuralValidator(schema, options);
}
