/**
 * Evaluation of CRD `x-kubernetes-validations` CEL rules the way the
 * Kubernetes API server (apiextensions-apiserver) does it.
 *
 * - Each distinct rule text is parsed, checked against the available
 *   functions/variables and planned once; the compiled program is cached.
 * - `self` is bound to the node's value converted from plain JSON: integral
 *   numbers become CEL `int`, other numbers `double` (or as dictated by the
 *   node's OpenAPI schema when the caller passes it), objects become CEL maps.
 * - Outcome mapping mirrors the API server: a rule that evaluates to `false`
 *   is reported with its messageExpression / message / `failed rule: <rule>`;
 *   a runtime error (e.g. an invalid duration string, a missing key) also makes
 *   the server reject the object, so it is reported as `{ok:false}` with the
 *   server's `<error> evaluating rule: <rule>` text. Only rules we cannot
 *   compile, overload mismatches that stem from type mismatches the structural
 *   schema check reports anyway, and transition rules (`oldSelf`) are not
 *   reported as failures.
 */
import { celEnv, celList, celMap, isCelError, parse, plan, type CelEnv, type CelInput, type CelResult } from "@bufbuild/cel";
import { compileRe2, kubernetesCelFuncs, re2Engine, urlRegistry } from "./cel-k8s.js";

export interface CelRule { rule: string; message?: string; messageExpression?: string; reason?: string; fieldPath?: string }
export type CelOutcome = { ok: true } | { ok: false; message: string } | { ok: "error"; message: string };

/** Subset of an OpenAPI v3 schema node used to type `self` faithfully (optional). */
export interface CelSchemaHint {
  type?: string;
  properties?: Record<string, CelSchemaHint>;
  additionalProperties?: CelSchemaHint | boolean;
  items?: CelSchemaHint;
  nullable?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
}

export interface CelEvalOptions {
  /** The OpenAPI schema of the node `self` is bound to; used to type numbers (int vs double) like the server. */
  schema?: CelSchemaHint;
}

type Program = (ctx: Record<string, CelInput>) => CelResult;

interface Compiled {
  ok: true;
  program: Program;
  /** True for transition rules (they reference `oldSelf`): only evaluated by the server on update. */
  usesOldSelf: boolean;
}
interface CompileFailure {
  ok: false;
  error: string;
}

let envSingleton: CelEnv | undefined;
function env(): CelEnv {
  envSingleton ??= celEnv({ funcs: kubernetesCelFuncs(), re2: re2Engine, registry: urlRegistry });
  return envSingleton;
}

const compileCache = new Map<string, Compiled | CompileFailure>();

// ------------------------------------------------------------ static checking

/** Identifiers that name types (usable as values, e.g. `type(x) == string`). */
const TYPE_IDENTS = new Set([
  "int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type", "dyn",
  "google.protobuf.Duration", "google.protobuf.Timestamp",
]);

interface ExprNode {
  id: bigint;
  exprKind:
    | { case: "constExpr"; value: unknown }
    | { case: "identExpr"; value: { name: string } }
    | { case: "selectExpr"; value: { operand?: ExprNode; field: string; testOnly: boolean } }
    | { case: "callExpr"; value: { target?: ExprNode; function: string; args: ExprNode[] } }
    | { case: "listExpr"; value: { elements: ExprNode[] } }
    | { case: "structExpr"; value: { messageName: string; entries: { keyKind: { case: string; value: unknown }; value?: ExprNode }[] } }
    | {
        case: "comprehensionExpr";
        value: {
          iterVar: string;
          iterVar2?: string;
          iterRange?: ExprNode;
          accuVar: string;
          accuInit?: ExprNode;
          loopCondition?: ExprNode;
          loopStep?: ExprNode;
          result?: ExprNode;
        };
      }
    | { case: undefined; value?: undefined };
}

/** Dotted name of an ident/select chain (`a.b.c`), or undefined. */
function qualifiedName(e: ExprNode | undefined): string | undefined {
  if (!e) return undefined;
  if (e.exprKind.case === "identExpr") return e.exprKind.value.name;
  if (e.exprKind.case === "selectExpr" && !e.exprKind.value.testOnly) {
    const base = qualifiedName(e.exprKind.value.operand);
    return base === undefined ? undefined : `${base}.${e.exprKind.value.field}`;
  }
  return undefined;
}

function isOperator(name: string): boolean {
  return name.startsWith("_") || name.startsWith("@") || name === "!_" || name === "-_";
}

interface CheckState {
  errors: string[];
  usesOldSelf: boolean;
}

function checkExpr(e: ExprNode | undefined, scope: ReadonlySet<string>, st: CheckState): void {
  if (!e) return;
  const k = e.exprKind;
  switch (k.case) {
    case "constExpr":
      return;
    case "identExpr": {
      const name = k.value.name;
      if (name === "oldSelf") st.usesOldSelf = true;
      if (!scope.has(name) && !TYPE_IDENTS.has(name)) st.errors.push(`undeclared reference to '${name}'`);
      return;
    }
    case "selectExpr":
      checkExpr(k.value.operand, scope, st);
      return;
    case "callExpr": {
      const { target, function: fn, args } = k.value;
      for (const a of args) checkExpr(a, scope, st);
      if (isOperator(fn)) {
        checkExpr(target, scope, st);
        return;
      }
      // Namespaced global function, e.g. `sets.contains(a, b)`.
      const ns = qualifiedName(target);
      if (ns !== undefined && !scope.has(ns.split(".")[0]!) && hasOverload(`${ns}.${fn}`, false, args.length)) return;
      checkExpr(target, scope, st);
      if (REGEX_FUNCS.has(fn)) {
        const pattern = args[0]?.exprKind;
        if (pattern?.case === "constExpr") {
          const cv = pattern.value as { constantKind?: { case?: string; value?: unknown } };
          if (cv.constantKind?.case === "stringValue") {
            try {
              compileRe2(String(cv.constantKind.value));
            } catch (e) {
              st.errors.push(`invalid regex: ${e instanceof Error ? e.message : String(e)}`);
            }
          }
        }
      }
      if (!hasOverload(fn, target !== undefined, args.length)) {
        st.errors.push(
          `found no matching overload for '${fn}' ${target !== undefined ? "as a method" : "as a function"} with ${args.length} argument(s)`,
        );
      }
      return;
    }
    case "listExpr":
      for (const x of k.value.elements) checkExpr(x, scope, st);
      return;
    case "structExpr":
      for (const en of k.value.entries) {
        if (en.keyKind.case === "mapKey") checkExpr(en.keyKind.value as ExprNode, scope, st);
        checkExpr(en.value, scope, st);
      }
      return;
    case "comprehensionExpr": {
      const c = k.value;
      checkExpr(c.iterRange, scope, st);
      checkExpr(c.accuInit, scope, st);
      const inner = new Set(scope);
      inner.add(c.iterVar);
      if (c.iterVar2) inner.add(c.iterVar2);
      inner.add(c.accuVar);
      checkExpr(c.loopCondition, inner, st);
      checkExpr(c.loopStep, inner, st);
      const resScope = new Set(scope);
      resScope.add(c.accuVar);
      checkExpr(c.result, resScope, st);
      return;
    }
    default:
      st.errors.push("unsupported expression");
  }
}

/** Functions whose first argument is an RE2 pattern (a constant pattern is validated at compile time, as cel-go does). */
const REGEX_FUNCS = new Set(["matches", "find", "findAll"]);

/** Functions the planner implements itself rather than through the resolver. */
const BUILTIN_FUNCS = new Set(["has", "size", "type", "dyn", "matches"]);

function hasOverload(name: string, isMethod: boolean, arity: number): boolean {
  const group = env().funcs.find(name);
  if (group === undefined) return BUILTIN_FUNCS.has(name) && name !== "has";
  for (const f of group) {
    if (f.arguments.length === arity && (f.target !== undefined) === isMethod) return true;
  }
  return false;
}

// ------------------------------------------------------------------ compiling

const ROOT_SCOPE: ReadonlySet<string> = new Set(["self", "oldSelf"]);

function compile(text: string): Compiled | CompileFailure {
  const cached = compileCache.get(text);
  if (cached) return cached;
  let result: Compiled | CompileFailure;
  try {
    const parsed = parse(text);
    const st: CheckState = { errors: [], usesOldSelf: false };
    checkExpr(parsed.expr as unknown as ExprNode, ROOT_SCOPE, st);
    if (st.errors.length > 0) {
      result = { ok: false, error: `compilation failed: ${st.errors.join("; ")}` };
    } else {
      const program = plan(env(), parsed) as unknown as Program;
      result = { ok: true, program, usesOldSelf: st.usesOldSelf };
    }
  } catch (e) {
    result = { ok: false, error: `compilation failed: ${e instanceof Error ? e.message : String(e)}` };
  }
  compileCache.set(text, result);
  return result;
}

/**
 * Compiles a rule (cached) and reports whether the analyzer can evaluate it.
 * Returns undefined on success, otherwise the compile error.
 */
export function compileCelRule(rule: string): string | undefined {
  const c = compile(rule);
  return c.ok ? undefined : c.error;
}

// ------------------------------------------------------------ value conversion

const MAX_INT = 2 ** 63;

function numberToCel(n: number, schemaType: string | undefined, intOrString: boolean): CelInput {
  if (schemaType === "number") return n;
  if ((schemaType === "integer" || intOrString || schemaType === undefined) && Number.isInteger(n) && Math.abs(n) < MAX_INT) {
    return BigInt(n);
  }
  return n;
}

const plainCache = new WeakMap<object, CelInput>();
const schemaCache = new WeakMap<object, WeakMap<object, CelInput>>();

/**
 * Converts plain JSON (as parsed from YAML) to a CEL input value. Objects and arrays become CEL
 * maps and lists (`celMap`, `celList`), converted once per object (and schema): the evaluator
 * then takes them as they are instead of wrapping them again at every access.
 */
export function toCelValue(v: unknown, schema?: CelSchemaHint): CelInput {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case "boolean":
    case "string":
      return v;
    case "number":
      return numberToCel(v, schema?.type, schema?.["x-kubernetes-int-or-string"] === true);
    case "bigint":
      return v;
    case "object":
      break;
    default:
      return String(v);
  }
  const obj = v as object;
  if (obj instanceof Date) return obj.toISOString();
  let cache: WeakMap<object, CelInput> | undefined;
  if (schema) {
    cache = schemaCache.get(schema);
    if (!cache) {
      cache = new WeakMap();
      schemaCache.set(schema, cache);
    }
  } else {
    cache = plainCache;
  }
  const hit = cache.get(obj);
  if (hit !== undefined) return hit;
  let out: CelInput;
  if (Array.isArray(obj)) {
    const itemSchema = schema?.items;
    out = celList(obj.map((x) => toCelValue(x, itemSchema)));
  } else {
    const m = new Map<string, CelInput>();
    for (const [key, val] of Object.entries(obj)) {
      let sub: CelSchemaHint | undefined;
      if (schema) {
        sub = schema.properties?.[key];
        if (sub === undefined && typeof schema.additionalProperties === "object") sub = schema.additionalProperties;
        // The server prunes nulls of non-nullable fields before validation.
        if (val === null && sub !== undefined && sub.nullable !== true) continue;
      }
      m.set(key, toCelValue(val, sub));
    }
    out = celMap(m);
  }
  cache.set(obj, out);
  return out;
}

// ------------------------------------------------------------------ evaluating

function trimmedMessage(rule: CelRule): string | undefined {
  const m = rule.message?.trim();
  return m ? m : undefined;
}

/** `ruleErrorString` in apiextensions-apiserver. */
function ruleErrorString(rule: CelRule): string {
  return trimmedMessage(rule) ?? rule.rule.trim();
}

/** `ruleMessageOrDefault` in apiextensions-apiserver. */
function ruleMessageOrDefault(rule: CelRule): string {
  return trimmedMessage(rule) ?? `failed rule: ${ruleErrorString(rule)}`;
}

/** Errors that come from the type system (the server rejects these at compile time or via the schema). */
function isTypeError(msg: string): boolean {
  return /no matching overload|no such overload|unbound function/i.test(msg);
}

/** Rewords @bufbuild/cel runtime errors the way cel-go (and so the API server) words them. */
function serverErrorText(msg: string): string {
  const missing = /^field not found: (.*)$/.exec(msg);
  if (missing) return `no such key: ${missing[1]}`;
  const oob = /^index (-?\d+) out of bounds/.exec(msg);
  if (oob) return `index out of range: ${oob[1]}`;
  return msg;
}

function evaluateMessageExpression(rule: CelRule, bindings: Record<string, CelInput>): string | undefined {
  if (!rule.messageExpression) return undefined;
  const c = compile(rule.messageExpression);
  if (!c.ok) return undefined;
  let r: CelResult;
  try {
    r = c.program(bindings);
  } catch {
    return undefined;
  }
  if (isCelError(r) || typeof r !== "string") return undefined;
  // The server ignores empty/whitespace-only and multi-line results.
  if (r.trim() === "" || /[\r\n]/.test(r) || r.length > 5000) return undefined;
  return r.trim();
}

const PASSED: CelOutcome = Object.freeze({ ok: true });

/**
 * Outcomes of a rule on scalar values (strings, numbers, booleans, null), per rule: evaluating a
 * rule is a pure function of its text, its messages and `self`, and many nodes share a value
 * (`duration(self) >= duration('1ms')` on every timeout of a mesh). Bounded: past the limit, new
 * values are evaluated and not remembered.
 */
const scalarOutcomes = new WeakMap<CelRule, Map<unknown, CelOutcome>>();
const MAX_SCALAR_OUTCOMES = 4096;

/** Evaluates one x-kubernetes-validations rule with `self` bound to the node's value (plain JSON from YAML). */
export function evaluateCelRule(rule: CelRule, self: unknown, fieldPath: string, options?: CelEvalOptions): CelOutcome {
  void fieldPath;
  if (options?.schema !== undefined || (typeof self === "object" && self !== null)) return evaluate(rule, self, options);
  let outcomes = scalarOutcomes.get(rule);
  if (outcomes === undefined) scalarOutcomes.set(rule, (outcomes = new Map()));
  let outcome = outcomes.get(self);
  if (outcome === undefined) {
    outcome = evaluate(rule, self, options);
    if (outcomes.size < MAX_SCALAR_OUTCOMES) outcomes.set(self, outcome);
  }
  return outcome;
}

function evaluate(rule: CelRule, self: unknown, options: CelEvalOptions | undefined): CelOutcome {
  const c = compile(rule.rule);
  if (!c.ok) return { ok: "error", message: c.error };
  // Transition rules only run on update, where an old object exists; a static check never has one.
  if (c.usesOldSelf) return PASSED;
  const bindings: Record<string, CelInput> = { self: toCelValue(self, options?.schema) };
  let result: CelResult;
  try {
    result = c.program(bindings);
  } catch (e) {
    return { ok: "error", message: `internal error evaluating rule: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (isCelError(result)) {
    const msg = result.message;
    if (isTypeError(msg)) {
      return {
        ok: "error",
        message: `'${msg}': call arguments did not match a supported operator, function or macro signature for rule: ${ruleErrorString(rule)}`,
      };
    }
    return { ok: false, message: `${serverErrorText(msg)} evaluating rule: ${ruleErrorString(rule)}` };
  }
  if (result === true) return PASSED;
  if (result !== false) {
    return { ok: "error", message: `rule did not evaluate to a bool: ${ruleErrorString(rule)}` };
  }
  const fromExpr = evaluateMessageExpression(rule, bindings);
  return { ok: false, message: fromExpr ?? ruleMessageOrDefault(rule) };
}
