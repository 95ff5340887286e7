import { parseSource } from "../../src/load/parse.js";
import { buildGraph, type MeshGraph } from "../../src/graph/index.js";
import { buildModel } from "../../src/model/index.js";
import { DEFAULT_MESH, type MeshSettings } from "../../src/model/mesh.js";

export { service } from "../fixtures/manifests.js";

/** Builds the graph of some YAML, as a run over one file would. */
export function graphOf(yaml: string, mesh: Partial<MeshSettings> = {}, defaultNamespace = "default"): MeshGraph {
  const file = parseSource("mesh.yaml", yaml, "lint");
  if (file.problems.length > 0) throw new Error(file.problems.map((p) => p.message).join("; "));
  return buildGraph(buildModel([file], { defaultNamespace, mesh: { ...DEFAULT_MESH, ...mesh } }));
}

/** Route summary `match -> cluster@weight, ...` of a virtual host, for compact assertions. */
export function routesOf(graph: MeshGraph, namespace: string, host: string, port: number): string[] {
  const vh = graph.outboundScope(namespace).virtualHost(host, port);
  if (!vh) return [];
  return vh.routes.map((route) => {
    const target =
      route.action.kind === "route"
        ? route.action.clusters.map((c) => `${c.name}@${c.weight}${c.exists ? "" : "!NC"}`).join(",")
        : route.action.kind;
    return `${JSON.stringify(route.match)} -> ${target}`;
  });
}
