import type { MeshModel, Resource } from "../model/index.js";
import { isIstioGroup, kindInfo } from "../model/kinds.js";
import { kubernetesProblems } from "./kubernetes.js";
import type { SchemaRegistry } from "./registry.js";
import type { SchemaProblem } from "./types.js";
import { webhookProblems } from "./webhook/index.js";

export type { SchemaProblem } from "./types.js";

/**
 * The schema stage: every linted object checked as the API server would check it, with Istio's
 * CRDs (OpenAPI + CEL) and validation webhook installed. Context and assumed objects are not
 * reported on, so they are not validated.
 */
export function validateModel(
  model: MeshModel,
  registry: SchemaRegistry,
  /** Problems already known for a resource (validated elsewhere with the same registry), if any. */
  known?: (resource: Resource) => SchemaProblem[] | undefined,
): Map<Resource, SchemaProblem[]> {
  const problems = new Map<Resource, SchemaProblem[]>();
  for (const resource of model.resources) {
    if (resource.origin !== "lint") continue;
    const found = known?.(resource) ?? validateResource(resource, registry);
    if (found.length > 0) problems.set(resource, found);
  }
  return problems;
}

export function validateResource(resource: Resource, registry: SchemaRegistry): SchemaProblem[] {
  const object = resource.object;
  if (registry.knows(resource.apiVersion, resource.kind) || isIstioGroup(resource.group)) {
    const structural = registry.validate(object);
    // Istio's webhook only sees objects the schema admitted; when the schema rejects the object's
    // shape, the webhook's view of it would be guesswork.
    const rejected = structural.some((problem) => problem.severity === 2 && problem.source === "structural");
    if (rejected) return structural;
    const webhook = webhookProblems(object);
    return webhook.length === 0 ? structural : structural.concat(webhook);
  }
  if (kindInfo(resource.group, resource.kind)) return kubernetesProblems(object);
  return [];
}
