import type { SourceFile } from "../load/types.js";
import { assumedInstallation } from "./assumed.js";
import type { MeshSettings } from "./mesh.js";
import { toResource, type Resource } from "./resource.js";

export type { Resource, ResourceOrigin } from "./resource.js";
export type { MeshSettings, InstallProfile } from "./mesh.js";

/** Every resource of a run, indexed by kind, plus the mesh settings. */
export interface MeshModel {
  /** Every object of the input (each one is validated), then the assumed installation. */
  resources: Resource[];
  mesh: MeshSettings;
  /** The objects the mesh is made of, by kind: of several definitions of one object, the last. */
  byKind: Map<string, Resource[]>;
  /**
   * Definitions of an object that a later definition of the same object (API group, kind, namespace
   * and name) replaces, as `kubectl apply` and `istioctl analyze` do with the files in order (a linted
   * definition also replaces a context one): they are left out of `byKind`, so the graph never sees
   * them.
   */
  replaced: { resource: Resource; by: Resource }[];
}

export interface ModelOptions {
  /** Namespace for objects that name none (kubectl's `--namespace`, default `default`). */
  defaultNamespace: string;
  mesh: MeshSettings;
}

/** Builds the model from loaded files: one resource per Kubernetes object, then the assumed installation. */
export function buildModel(files: SourceFile[], options: ModelOptions): MeshModel {
  const resources: Resource[] = [];
  // Indexed loops: these run once per document of the run, before the code is optimized, where
  // `for...of` allocates an iterator result per step.
  for (let f = 0; f < files.length; f++) {
    const file = files[f];
    const documents = file.documents;
    for (let d = 0; d < documents.length; d++) {
      const document = documents[d];
      resources.push(toResource(document.value, { defaultNamespace: options.defaultNamespace, origin: file.role, source: { file, document } }));
    }
  }
  // The last definition of each object wins, a linted one over one only read for context (the file
  // being changed is the one to judge); unnamed objects (the schema rule reports them) replace nothing.
  const winners = new Map<string, Resource>();
  const replaced: MeshModel["replaced"] = [];
  for (const origin of ["lint", "context"] as const) {
    for (let i = resources.length - 1; i >= 0; i--) {
      const resource = resources[i];
      if (resource.origin !== origin || !resource.name) continue;
      const identity = `${resource.group}/${resource.key}`;
      const by = winners.get(identity);
      if (by) replaced.push({ resource, by });
      else winners.set(identity, resource);
    }
  }
  if (replaced.length > 1) {
    const order = new Map(resources.map((resource, i) => [resource, i]));
    replaced.sort((a, b) => order.get(a.resource)! - order.get(b.resource)!);
  }
  const gone = new Set(replaced.map((entry) => entry.resource));
  const byKind = new Map<string, Resource[]>();
  const index = (resource: Resource) => {
    const list = byKind.get(resource.kind);
    if (list) list.push(resource);
    else byKind.set(resource.kind, [resource]);
  };
  const effective = gone.size === 0 ? resources : resources.filter((resource) => !gone.has(resource));
  for (let i = 0; i < effective.length; i++) index(effective[i]);
  for (const resource of assumedInstallation(effective, options.mesh)) {
    resources.push(resource);
    index(resource);
  }
  return { resources, mesh: options.mesh, byKind, replaced };
}

export function resourcesOfKind(model: MeshModel, kind: string): Resource[] {
  return model.byKind.get(kind) ?? [];
}
