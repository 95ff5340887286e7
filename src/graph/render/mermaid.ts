/**
 * Mermaid `flowchart LR` of a picture, valid for GitHub: subgraphs for the Istio resources and for
 * each Envoy proxy, quoted labels with Mermaid's entity codes for the characters its grammar reserves
 * (`"`, `|`, `<`, `>`, `#`, backtick), problems in red.
 */
import type { Picture, PictureNode } from "./picture.js";

/** Escapes a label line for a quoted Mermaid label. */
export function mermaidText(text: string): string {
  return text.replace(/[#"|<>`&{}[\]]/g, (c) => `#${c.charCodeAt(0)};`);
}

function label(node: PictureNode): string {
  return `"${node.lines.map(mermaidText).join("<br/>")}"`;
}

function shape(node: PictureNode): string {
  if (node.side === "resources") return `${node.id}[${label(node)}]`;
  if (node.kind === "cluster") return `${node.id}[(${label(node)})]`;
  if (node.kind === "listener") return `${node.id}[/${label(node)}/]`;
  if (node.kind === "endpoint") return `${node.id}([${label(node)}])`;
  return `${node.id}[${label(node)}]`;
}

export function toMermaid(picture: Picture): string {
  const out: string[] = ["flowchart LR"];
  const resources = picture.nodes.filter((n) => n.side === "resources");
  if (resources.length > 0) {
    out.push(`  subgraph resources["${mermaidText("Istio resources")}"]`, "    direction LR");
    for (const node of resources) out.push(`    ${shape(node)}`);
    out.push("  end");
  }
  let index = 0;
  for (const [group, title] of picture.groups) {
    const nodes = picture.nodes.filter((n) => n.side === "envoy" && n.group === group);
    if (nodes.length === 0) continue;
    out.push(`  subgraph envoy${++index}["${mermaidText(title)}"]`, "    direction LR");
    for (const node of nodes) out.push(`    ${shape(node)}`);
    out.push("  end");
  }
  if (picture.nodes.length === 0) out.push(`  empty["${mermaidText(`nothing routes ${picture.title}`)}"]`);
  const problemLinks: number[] = [];
  picture.edges.forEach((edge, i) => {
    const arrow = edge.produces ? "-.->" : "-->";
    out.push(`  ${edge.from} ${arrow}${edge.label ? `|"${mermaidText(edge.label)}"|` : ""} ${edge.to}`);
    if (edge.problem) problemLinks.push(i);
  });
  out.push("  classDef resource fill:#eef4ff,stroke:#3b6fd8,color:#102a5c");
  out.push("  classDef envoy fill:#f4f4f4,stroke:#666,color:#222");
  out.push("  classDef problem fill:#ffe0e0,stroke:#d00000,stroke-width:2px,color:#900000");
  const ids = (nodes: PictureNode[]) => nodes.map((n) => n.id).join(",");
  const plainResources = resources.filter((n) => !n.problem);
  const plainEnvoy = picture.nodes.filter((n) => n.side === "envoy" && !n.problem);
  const problems = picture.nodes.filter((n) => n.problem);
  if (plainResources.length) out.push(`  class ${ids(plainResources)} resource`);
  if (plainEnvoy.length) out.push(`  class ${ids(plainEnvoy)} envoy`);
  if (problems.length) out.push(`  class ${ids(problems)} problem`);
  if (problemLinks.length) out.push(`  linkStyle ${problemLinks.join(",")} stroke:#d00000,stroke-width:2px,color:#d00000`);
  return `${out.join("\n")}\n`;
}
