import type { SourceFile } from "../load/types.js";
import { assumedInstallation } from "./assumed.js";
import type { MeshSettings } from "./mesh.js";
import { toResource, type Resource } from "./resource.js";

export type { Resource, ResourceOrigin } from "./resource.js";
export type { MeshSettings, InstallProfile } from "./mesh.js";

/** Every resource of a run, indexed by kind, plus the mesh settings. */
export interface MeshModel {
  resources: Resource[];
  mesh: MeshSettings;
  byKind: Map<string, Resource[]>;
}

export interface ModelOptions {
  /** Namespace for objects that name none (kubectl's `--namespace`, default `default`). */
  defaultNamespace: string;
  mesh: MeshSettings;
}

/** Builds the model from loaded files: one resource per Kubernetes object, then the assumed installation. */
export function buildModel(files: SourceFile[], options: ModelOptions): MeshModel {
  const resources: Resource[] = [];
  const byKind = new Map<string, Resource[]>();
  const add = (resource: Resource) => {
    resources.push(resource);
    const list = byKind.get(resource.kind);
    if (list) list.push(resource);
    else byKind.set(resource.kind, [resource]);
  };
  // Indexed loops: these run once per document of the run, before the code is optimized, where
  // `for...of` allocates an iterator result per step.
  for (let f = 0; f < files.length; f++) {
    const file = files[f];
    const documents = file.documents;
    for (let d = 0; d < documents.length; d++) {
      const document = documents[d];
      add(toResource(document.value, { defaultNamespace: options.defaultNamespace, origin: file.role, source: { file, document } }));
    }
  }
  for (const resource of assumedInstallation(resources, options.mesh)) add(resource);
  return { resources, mesh: options.mesh, byKind };
}

export function resourcesOfKind(model: MeshModel, kind: string): Resource[] {
  return model.byKind.get(kind) ?? [];
}
