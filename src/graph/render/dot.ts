/** Graphviz DOT of a picture: the same nodes, subgraphs and problems as the Mermaid rendering. */
import type { Picture, PictureNode } from "./picture.js";

export function dotString(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

function node(n: PictureNode): string {
  const attributes = [`label=${dotString(n.lines.join("\n"))}`];
  if (n.side === "resources") attributes.push('shape=note', 'style=filled', 'fillcolor="#eef4ff"', 'color="#3b6fd8"');
  else if (n.kind === "cluster") attributes.push("shape=cylinder");
  else if (n.kind === "listener") attributes.push("shape=parallelogram");
  else if (n.kind === "endpoint") attributes.push('shape=box', 'style="rounded"');
  if (n.problem) attributes.push('style=filled', 'fillcolor="#ffe0e0"', 'color="#d00000"', 'fontcolor="#900000"', "penwidth=2");
  return `${n.id} [${attributes.join(", ")}];`;
}

export function toDot(picture: Picture): string {
  const out: string[] = [`digraph ${dotString(`mesh-lint ${picture.title}`)} {`, "  rankdir=LR;", '  node [shape=box, fontname="Helvetica", fontsize=10];', '  edge [fontname="Helvetica", fontsize=9];'];
  const resources = picture.nodes.filter((n) => n.side === "resources");
  if (resources.length > 0) {
    out.push("  subgraph cluster_resources {", `    label=${dotString("Istio resources")};`, "    style=dashed;");
    for (const n of resources) out.push(`    ${node(n)}`);
    out.push("  }");
  }
  let index = 0;
  for (const [group, title] of picture.groups) {
    const nodes = picture.nodes.filter((n) => n.side === "envoy" && n.group === group);
    if (nodes.length === 0) continue;
    out.push(`  subgraph cluster_envoy${++index} {`, `    label=${dotString(title)};`, "    style=rounded;");
    for (const n of nodes) out.push(`    ${node(n)}`);
    out.push("  }");
  }
  for (const edge of picture.edges) {
    const attributes: string[] = [];
    if (edge.label) attributes.push(`label=${dotString(edge.label)}`);
    if (edge.produces) attributes.push("style=dashed", 'color="#888888"');
    if (edge.problem) attributes.push('color="#d00000"', "penwidth=2");
    out.push(`  ${edge.from} -> ${edge.to}${attributes.length ? ` [${attributes.join(", ")}]` : ""};`);
  }
  out.push("}");
  return `${out.join("\n")}\n`;
}
