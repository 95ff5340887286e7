import type { Locator } from "../load/locate.js";
import type { NodePath, SourceDocument, SourceFile, Span } from "../load/types.js";
import { isNamespaced, kindInfo, splitApiVersion } from "./kinds.js";

/** Where a resource came from: linted input, context (informs, never reported), or assumed by mesh-lint. */
export type ResourceOrigin = "lint" | "context" | "assumed";

/** A Kubernetes or Istio object after namespace defaulting, with the place it was written. */
export interface Resource {
  apiVersion: string;
  group: string;
  version: string;
  kind: string;
  name: string;
  /** Namespace after defaulting (`--namespace`, else `default`); empty for cluster-scoped kinds. */
  namespace: string;
  /** Whether the YAML named the namespace itself. */
  namespaceGiven: boolean;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** `metadata.creationTimestamp` if present (Istio orders some resources by it), else undefined. */
  creationTimestamp?: string;
  /** The whole object as written. */
  object: Record<string, unknown>;
  /** `object.spec` when it is a mapping, else `{}` (the schema rule reports a bad spec). */
  spec: Record<string, unknown>;
  origin: ResourceOrigin;
  /** The file and document it came from (absent for assumed resources). */
  source?: { file: SourceFile; document: SourceDocument };
  /** Whether this kind is one mesh-lint models (Istio or a Kubernetes kind the mesh depends on). */
  modeled: boolean;
  /** `Kind namespace/name` (or `Kind name` for cluster-scoped kinds). */
  key: string;
}

/** The mapping of absent labels or annotations: shared, hence frozen. */
const EMPTY_MAP: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Labels or annotations as written: string values, with numbers and booleans written unquoted
 * turned into strings and other values dropped. A mapping that holds only strings (the usual case)
 * is returned as it is, not copied: treat the result as read-only.
 */
export function stringMap(value: unknown): Record<string, string> {
  if (!value || typeof value !== "object" || Array.isArray(value)) return EMPTY_MAP as Record<string, string>;
  const record = value as Record<string, unknown>;
  for (const key in record) {
    // `__proto__` is an own key in parsed YAML but would set the prototype of a copy: copy to drop it as before.
    if (typeof record[key] !== "string" || key === "__proto__") return copyStrings(record);
  }
  return record as Record<string, string>;
}

function copyStrings(record: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(record)) {
    if (typeof entry === "string") out[key] = entry;
    else if (typeof entry === "number" || typeof entry === "boolean") out[key] = String(entry);
  }
  return out;
}

/**
 * A label selector (`matchLabels`, a Service's `selector`, subset `labels`) as Kubernetes reads it:
 * numbers and booleans written unquoted become strings, null the empty string, and a list or
 * mapping (which the schema rule reports) a value no label can have, so that the selector matches
 * nothing rather than dropping the condition. A mapping that holds only strings is returned as it is.
 */
export function selectorMap(value: unknown): Record<string, string> {
  if (!value || typeof value !== "object" || Array.isArray(value)) return EMPTY_MAP as Record<string, string>;
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (typeof record[key] !== "string" || key === "__proto__") {
      const out: Record<string, string> = {};
      for (const [k, entry] of Object.entries(record)) {
        out[k] = typeof entry === "string" ? entry : entry === null ? "" : typeof entry === "object" ? JSON.stringify(entry) : String(entry);
      }
      return out;
    }
  }
  return record as Record<string, string>;
}

const EMPTY_RECORD: Readonly<Record<string, unknown>> = Object.freeze({});

/** {@link asRecord} for reading only: a value that is no mapping reads as one shared (frozen) empty mapping. */
export function readRecord(value: unknown): Readonly<Record<string, unknown>> {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : EMPTY_RECORD;
}

export function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Whether a mapping has an own enumerable key (`Object.keys(record).length > 0`, without the array). */
export function hasKeys(record: Readonly<Record<string, unknown>>): boolean {
  for (const key in record) if (Object.hasOwn(record, key)) return true;
  return false;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export function resourceKey(kind: string, namespace: string, name: string): string {
  return namespace ? `${kind} ${namespace}/${name}` : `${kind} ${name}`;
}

/** Namespace names met so far, each as the first string object met for it (bounded for long-lived processes). */
const NAMESPACES = new Map<string, string>();
const MAX_NAMESPACES = 100_000;

function internNamespace(namespace: string): string {
  const known = NAMESPACES.get(namespace);
  if (known !== undefined) return known;
  if (NAMESPACES.size >= MAX_NAMESPACES) NAMESPACES.clear();
  NAMESPACES.set(namespace, namespace);
  return namespace;
}

/** Builds a resource from a parsed object, defaulting the namespace as kubectl does. */
export function toResource(
  object: Record<string, unknown>,
  options: { defaultNamespace: string; origin: ResourceOrigin; source?: Resource["source"] },
): Resource {
  const apiVersion = String(object.apiVersion);
  const { group, version } = splitApiVersion(apiVersion);
  const writtenKind = String(object.kind);
  const info = kindInfo(group, writtenKind);
  // Modeled kinds and namespace names (of namespaced resources and of Namespace objects) as one
  // string object each: the many look-ups by kind and by namespace then compare pointers.
  const kind = info ? info.kind : writtenKind;
  const metadata = readRecord(object.metadata);
  const givenNamespace = asString(metadata.namespace);
  const namespace = isNamespaced(group, kind, info) ? internNamespace(givenNamespace || options.defaultNamespace) : "";
  const writtenName = asString(metadata.name) ?? asString(metadata.generateName) ?? "";
  const name = kind === "Namespace" ? internNamespace(writtenName) : writtenName;
  const creation = metadata.creationTimestamp;
  return {
    apiVersion,
    group,
    version,
    kind,
    name,
    namespace,
    namespaceGiven: Boolean(givenNamespace),
    labels: stringMap(metadata.labels),
    annotations: stringMap(metadata.annotations),
    creationTimestamp: typeof creation === "string" ? creation : creation instanceof Date ? creation.toISOString() : undefined,
    object,
    spec: asRecord(object.spec),
    origin: options.origin,
    source: options.source,
    modeled: info !== undefined,
    key: resourceKey(kind, namespace, name),
  };
}

/** The path of a node of a resource inside its YAML document (adds the `items[i]` prefix of a List). */
export function documentPath(resource: Resource, path: NodePath): NodePath {
  const base = resource.source?.document.base ?? [];
  return base.length ? [...base, ...path] : path;
}

/**
 * Where a node of a resource is written (its `metadata.name` when the path is empty); undefined for
 * resources mesh-lint assumed.
 */
export function resourceSpan(locator: Locator, resource: Resource, path: NodePath = []): Span | undefined {
  const source = resource.source;
  if (!source) return undefined;
  const target = path.length > 0 ? path : ["metadata", "name"];
  return locator.locate(source.file, source.document.index, documentPath(resource, target), source.document.span).span;
}
