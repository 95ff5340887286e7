#!/usr/bin/env node
// Generates schemas/istio/<group>/<Kind>.<version>.json from Istio's CustomResourceDefinitions.
//
// Usage: node scripts/generate-schemas.mjs <crd-file> [<crd-file>...] [--out <dir>]
//
// Every served version's openAPIV3Schema is written with its prose (description, title, example)
// removed and its structure and constraints kept. An index (schemas/istio/index.json) maps
// "group/version/Kind" to the file, scope and plural. Output is deterministic: keys are sorted
// and files end with a newline.

import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));

/** Schema keywords whose value is prose, dropped from the output. */
const PROSE = new Set(["description", "title", "example", "externalDocs"]);

/** Keywords whose value is a map of property name → schema. */
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "definitions"]);
/** Keywords whose value is one schema (or, for additionalProperties/items, possibly a boolean/array). */
const SCHEMA_ONE = new Set(["items", "additionalProperties", "not", "additionalItems"]);
/** Keywords whose value is a list of schemas. */
const SCHEMA_LIST = new Set(["oneOf", "anyOf", "allOf"]);

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key]);
    return out;
  }
  return value;
}

/** Copies a schema node keeping only structure and constraints. */
export function stripSchema(schema) {
  if (Array.isArray(schema)) return schema.map(stripSchema);
  if (!schema || typeof schema !== "object") return schema;
  const out = {};
  for (const key of Object.keys(schema).sort()) {
    const value = schema[key];
    if (PROSE.has(key)) continue;
    if (SCHEMA_MAPS.has(key) && value && typeof value === "object") {
      const props = {};
      for (const name of Object.keys(value).sort()) props[name] = stripSchema(value[name]);
      out[key] = props;
    } else if (SCHEMA_ONE.has(key)) {
      out[key] = typeof value === "object" && value !== null ? stripSchema(value) : value;
    } else if (SCHEMA_LIST.has(key) && Array.isArray(value)) {
      out[key] = value.map(stripSchema);
    } else if (key === "x-kubernetes-validations" && Array.isArray(value)) {
      out[key] = value.map((rule) => {
        const kept = {};
        for (const k of ["fieldPath", "message", "messageExpression", "optionalOldSelf", "reason", "rule"]) {
          if (rule[k] !== undefined) kept[k] = rule[k];
        }
        return kept;
      });
    } else {
      // Constraint values (enum, default, required, pattern, ...) are data: kept as they are.
      out[key] = sortKeys(value);
    }
  }
  return out;
}

function main(argv) {
  const files = [];
  let outDir = resolve(here, "..", "schemas", "istio");
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out") outDir = resolve(argv[++i]);
    else files.push(argv[i]);
  }
  if (files.length === 0) {
    process.stderr.write("usage: generate-schemas.mjs <crd-file> [...] [--out <dir>]\n");
    return 2;
  }
  const entries = {};
  const outputs = new Map();
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
      const crd = doc.toJS({ maxAliasCount: -1 });
      if (!crd || crd.kind !== "CustomResourceDefinition") continue;
      const spec = crd.spec ?? {};
      const group = spec.group;
      const kind = spec.names?.kind;
      if (!group || !kind) continue;
      for (const version of spec.versions ?? []) {
        if (!version.served) continue;
        const schema = version.schema?.openAPIV3Schema;
        if (!schema) continue;
        const rel = `${group}/${kind}.${version.name}.json`;
        outputs.set(rel, stripSchema(schema));
        const entry = {
          file: rel,
          plural: spec.names.plural,
          scope: spec.scope ?? "Namespaced",
        };
        if (version.storage) entry.storage = true;
        if (version.subresources?.status) entry.statusSubresource = true;
        if (version.deprecated) entry.deprecated = true;
        entries[`${group}/${version.name}/${kind}`] = entry;
      }
    }
  }
  if (existsSync(outDir)) rmSync(outDir, { recursive: true, force: true });
  for (const [rel, schema] of [...outputs].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const path = join(outDir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(schema, null, 2) + "\n");
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "index.json"), JSON.stringify(sortKeys(entries), null, 2) + "\n");
  process.stdout.write(`wrote ${outputs.size} schemas and index.json to ${outDir}\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
