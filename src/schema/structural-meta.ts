/**
 * The API server's own checks of an object's envelope: `metadata` (ObjectMeta) as the generic
 * registry validates it for a custom resource, with messages worded as `kubectl apply` shows them.
 */
import type { PathSegment } from "../load/types.js";
import type { SchemaProblem } from "./types.js";
import { NO_ERRORS, dns1123LabelErrors, dns1123SubdomainErrors, labelValueErrors, qualifiedNameErrors } from "./names.js";

export { dns1123LabelErrors, dns1123SubdomainErrors, labelValueErrors, qualifiedNameErrors };

/** Fields of ObjectMeta; anything else under `metadata` is dropped by the API server. */
export const OBJECT_META_FIELDS: ReadonlyMap<string, "string" | "integer" | "map" | "array" | "any"> = new Map([
  ["name", "string"],
  ["generateName", "string"],
  ["namespace", "string"],
  ["selfLink", "string"],
  ["uid", "string"],
  ["resourceVersion", "string"],
  ["generation", "integer"],
  ["creationTimestamp", "any"],
  ["deletionTimestamp", "any"],
  ["deletionGracePeriodSeconds", "integer"],
  ["labels", "map"],
  ["annotations", "map"],
  ["ownerReferences", "array"],
  ["finalizers", "array"],
  ["managedFields", "array"],
] as const);

const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** A JSON value's kind as Go's JSON decoder names it in its errors. */
export function goKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "object") return "object";
  if (typeof value === "boolean") return "bool";
  return typeof value;
}

function decodeError(path: PathSegment[], field: string, value: unknown, want: string): SchemaProblem {
  return {
    path,
    severity: 2,
    source: "apiserver",
    message: `json: cannot unmarshal ${goKind(value)} into Go struct field ObjectMeta.${field} of type ${want}`,
  };
}

function q(value: string): string {
  return JSON.stringify(value);
}

/**
 * What decoding `metadata` into ObjectMeta rejects (JSON of the wrong type for a field, a label or an
 * annotation value that is not a string) and its unknown fields: the part of {@link objectMetaProblems}
 * that holds for every kind, built-in ones included, whose other metadata rules differ by kind.
 */
export function objectMetaTypeProblems(metadata: unknown): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) return problems;
  const meta = metadata as Record<string, unknown>;
  fieldTypeProblems(meta, problems);
  for (const field of ["labels", "annotations"] as const) {
    const map = meta[field];
    if (!map || typeof map !== "object" || Array.isArray(map)) continue;
    for (const [key, value] of Object.entries(map as Record<string, unknown>)) {
      if (value !== null && typeof value !== "string") problems.push(decodeError(["metadata", field, key], `metadata.${field}`, value, "string"));
    }
  }
  return problems;
}

/** Each ObjectMeta field whose JSON type does not decode; unknown fields to `unknownField`, else warned about. */
function fieldTypeProblems(meta: Record<string, unknown>, problems: SchemaProblem[], unknownField?: (key: string) => void): void {
  const base: PathSegment[] = ["metadata"];
  for (const key of Object.keys(meta)) {
    const value = meta[key];
    const kind = OBJECT_META_FIELDS.get(key);
    if (kind === undefined) {
      if (unknownField) unknownField(key);
      else {
        problems.push({
          path: [...base, key],
          severity: 1,
          source: "unknown-field",
          message: `unknown field "metadata.${key}"; the API server drops it.`,
        });
      }
      continue;
    }
    if (value === null) continue;
    if (kind === "string" && typeof value !== "string") problems.push(decodeError([...base, key], `metadata.${key}`, value, "string"));
    if (kind === "integer" && !(typeof value === "number" && Number.isInteger(value))) problems.push(decodeError([...base, key], `metadata.${key}`, value, "int64"));
    if (kind === "array" && !Array.isArray(value)) problems.push(decodeError([...base, key], `metadata.${key}`, value, "[]"));
    if (kind === "map" && (typeof value !== "object" || Array.isArray(value))) problems.push(decodeError([...base, key], `metadata.${key}`, value, "map[string]string"));
  }
}

/** Options for {@link objectMetaProblems}. */
export interface ObjectMetaOptions {
  /** Whether the kind is namespaced (a namespace on a cluster-scoped object is forbidden). */
  namespaced?: boolean;
  /** Receives each unknown field under metadata (reported as `unknown-field`). */
  unknownField?: (key: string) => void;
}

/**
 * Checks `metadata` as the API server does for a custom resource: name (or generateName) present
 * and a DNS-1123 subdomain, namespace a DNS-1123 label, labels and annotations well formed.
 */
export function objectMetaProblems(metadata: unknown, options: ObjectMetaOptions = {}): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const base: PathSegment[] = ["metadata"];
  if (metadata === undefined || metadata === null) {
    problems.push({ path: ["metadata", "name"], severity: 2, source: "apiserver", message: "metadata.name: Required value: name or generateName is required" });
    return problems;
  }
  if (typeof metadata !== "object" || Array.isArray(metadata)) {
    problems.push({
      path: base,
      severity: 2,
      source: "apiserver",
      message: `json: cannot unmarshal ${goKind(metadata)} into Go struct field .metadata of type v1.ObjectMeta`,
    });
    return problems;
  }
  const meta = metadata as Record<string, unknown>;
  fieldTypeProblems(meta, problems, options.unknownField);

  const name = typeof meta.name === "string" ? meta.name : "";
  const generateName = typeof meta.generateName === "string" ? meta.generateName : "";
  if (name === "") {
    if (generateName === "") {
      problems.push({ path: [...base, "name"], severity: 2, source: "apiserver", message: "metadata.name: Required value: name or generateName is required" });
    } else {
      // The server appends a random suffix: the prefix is checked with a trailing dash masked.
      const prefix = generateName.endsWith("-") ? generateName.slice(0, -1) + "a" : generateName;
      for (const e of dns1123SubdomainErrors(prefix)) {
        problems.push({ path: [...base, "generateName"], severity: 2, source: "apiserver", message: `metadata.generateName: Invalid value: ${q(generateName)}: ${e}` });
      }
    }
  } else {
    for (const e of dns1123SubdomainErrors(name)) {
      problems.push({ path: [...base, "name"], severity: 2, source: "apiserver", message: `metadata.name: Invalid value: ${q(name)}: ${e}` });
    }
  }

  if (typeof meta.namespace === "string" && meta.namespace !== "") {
    if (options.namespaced === false) {
      problems.push({ path: [...base, "namespace"], severity: 2, source: "apiserver", message: "metadata.namespace: Forbidden: not allowed on this type" });
    } else {
      for (const e of dns1123LabelErrors(meta.namespace)) {
        problems.push({ path: [...base, "namespace"], severity: 2, source: "apiserver", message: `metadata.namespace: Invalid value: ${q(meta.namespace)}: ${e}` });
      }
    }
  }

  const labels = meta.labels;
  if (labels && typeof labels === "object" && !Array.isArray(labels)) {
    const map = labels as Record<string, unknown>;
    for (const key of Object.keys(map)) {
      const value = map[key];
      const keyErrors = qualifiedNameErrors(key);
      const valueErrors = typeof value === "string" ? labelValueErrors(value) : NO_ERRORS;
      // Most labels are well formed: nothing to report, no path made.
      if ((value === null || typeof value === "string") && keyErrors.length === 0 && valueErrors.length === 0) continue;
      const at: PathSegment[] = [...base, "labels", key];
      for (const e of keyErrors) {
        problems.push({ path: at, severity: 2, source: "apiserver", message: `metadata.labels: Invalid value: ${q(key)}: ${e}` });
      }
      if (value === null) continue;
      if (typeof value !== "string") {
        problems.push(decodeError(at, "metadata.labels", value, "string"));
        continue;
      }
      for (const e of valueErrors) {
        problems.push({ path: at, severity: 2, source: "apiserver", message: `metadata.labels: Invalid value: ${q(value)}: ${e}` });
      }
    }
  }

  const annotations = meta.annotations;
  if (annotations && typeof annotations === "object" && !Array.isArray(annotations)) {
    let total = 0;
    const map = annotations as Record<string, unknown>;
    for (const key of Object.keys(map)) {
      const value = map[key];
      const keyErrors = qualifiedNameErrors(key.toLowerCase());
      if (typeof value === "string" && keyErrors.length === 0) {
        total += Buffer.byteLength(key) + Buffer.byteLength(value);
        continue;
      }
      const at: PathSegment[] = [...base, "annotations", key];
      for (const e of keyErrors) {
        problems.push({ path: at, severity: 2, source: "apiserver", message: `metadata.annotations: Invalid value: ${q(key)}: ${e}` });
      }
      if (value === null) continue;
      if (typeof value !== "string") {
        problems.push(decodeError(at, "metadata.annotations", value, "string"));
        continue;
      }
      total += Buffer.byteLength(key) + Buffer.byteLength(value);
    }
    if (total > TOTAL_ANNOTATION_SIZE_LIMIT) {
      problems.push({
        path: [...base, "annotations"],
        severity: 2,
        source: "apiserver",
        message: `metadata.annotations: Too long: must have at most ${TOTAL_ANNOTATION_SIZE_LIMIT} bytes`,
      });
    }
  }
  return problems;
}
