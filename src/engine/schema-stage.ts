/**
 * The schema stage and the validation the load stage and its worker do. Imported on demand
 * (`import()`): the validators, CEL and RE2 are a large part of the CLI's code; a big run whose
 * worker validated every file never needs them on the main thread, and the worker loads them once
 * it is done parsing.
 */
import type { SourceDocument, SourceFile } from "../load/types.js";
import type { MeshModel, Resource } from "../model/index.js";
import { isCustomResourceDefinition } from "../model/kinds.js";
import { toResource } from "../model/resource.js";
import { validateModel, validateResource, type SchemaProblem } from "../schema/index.js";
import { SchemaRegistry } from "../schema/registry.js";

export { SchemaRegistry };

/**
 * Validates the linted objects: CustomResourceDefinitions of the input (and `--crd`) replace the
 * bundled schemas of their kinds; without any, the problems the validation worker found are used as is.
 */
export function schemaStage(model: MeshModel, crdFiles: SourceFile[], prevalidated: Map<SourceDocument, SchemaProblem[]>) {
  const registry = new SchemaRegistry();
  const crdProblems = new Map<Resource, string[]>();
  let runtimeSchemas = 0;
  for (const file of crdFiles) {
    for (const document of file.documents) {
      if (document.value.kind === "CustomResourceDefinition" && registry.addCustomResourceDefinition(document.value).length === 0) runtimeSchemas++;
    }
  }
  for (const resource of model.resources) {
    if (isCustomResourceDefinition(resource)) {
      const errors = registry.addCustomResourceDefinition(resource.object);
      if (errors.length) crdProblems.set(resource, errors);
      else runtimeSchemas++;
    }
  }
  const known = runtimeSchemas === 0 && prevalidated.size > 0 ? prevalidated : undefined;
  const schemaProblems = validateModel(model, registry, known && ((resource) => (resource.source ? known.get(resource.source.document) : undefined)));
  return { schemaProblems, crdProblems };
}

/** The problems of each of a file's document values with the bundled schemas (the validation worker's validation). */
export function validateDocuments(values: readonly unknown[], registry: SchemaRegistry): SchemaProblem[][] {
  // Validation needs only the object's apiVersion and kind; the namespace plays no part.
  return values.map((value) => validateResource(toResource(value as Record<string, unknown>, { defaultNamespace: "default", origin: "lint" }), registry));
}

/** Validates a file's documents with the bundled schemas, as the worker does. */
export function prevalidate(file: SourceFile, registry: SchemaRegistry, into: Map<SourceDocument, SchemaProblem[]>): void {
  let problems: SchemaProblem[][];
  try {
    problems = validateDocuments(file.documents.map((document) => document.value), registry);
  } catch {
    return; // left to the schema stage, which meets the same trouble where it always has
  }
  file.documents.forEach((document, index) => into.set(document, problems[index]));
}
