import { parseSource } from "../../src/load/parse.js";
import { buildGraph, type MeshGraph } from "../../src/graph/index.js";
import { buildModel } from "../../src/model/index.js";
import { DEFAULT_MESH, type MeshSettings } from "../../src/model/mesh.js";

/** Builds the graph of some YAML, as a run over one file would. */
export function graphOf(yaml: string, mesh: Partial<MeshSettings> = {}, defaultNamespace = "default"): MeshGraph {
  const file = parseSource("mesh.yaml", yaml, "lint");
  if (file.problems.length > 0) throw new Error(file.problems.map((p) => p.message).join("; "));
  return buildGraph(buildModel([file], { defaultNamespace, mesh: { ...DEFAULT_MESH, ...mesh } }));
}

/** Kubernetes Service + Deployment per version, the usual shape of a mesh service. */
export function service(name: string, namespace: string, port = 9080, versions = ["v1"], portName = "http"): string {
  const deployments = versions
    .map(
      (version) => `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}-${version}, namespace: ${namespace}}
spec:
  selector: {matchLabels: {app: ${name}, version: ${version}}}
  template:
    metadata: {labels: {app: ${name}, version: ${version}}}
    spec:
      containers:
      - name: app
        image: example/${name}:${version}
        ports: [{containerPort: ${port}}]
`,
    )
    .join("");
  return `---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  selector: {app: ${name}}
  ports: [{name: ${portName}, port: ${port}, targetPort: ${port}}]
${deployments}`;
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
