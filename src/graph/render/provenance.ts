/**
 * Positions for the graph's provenance: `{kind, namespace, name, file, line}` of the YAML node a
 * listener, route, cluster or endpoint came from, found with the engine's Locator.
 */
import { isAbsolute, relative } from "node:path";
import { Locator } from "../../load/locate.js";
import { resourceSpan, type Resource } from "../../model/resource.js";
import type { Provenance } from "../types.js";

export interface ResourceRef {
  kind: string;
  namespace: string;
  name: string;
}

export interface Position extends ResourceRef {
  /** The file (relative to the working directory), absent for resources mesh-lint assumed. */
  file?: string;
  line?: number;
  /** The path of the node inside the resource (`spec.http.0.route.0.destination`). */
  path?: string;
  /** Assumed by mesh-lint (the Istio installation the input does not contain). */
  assumed?: true;
}

export function resourceRef(resource: Resource): ResourceRef {
  return { kind: resource.kind, namespace: resource.namespace, name: resource.name };
}

/** Turns provenance into file:line, caching the syntax trees the Locator parses. */
export class Positions {
  private readonly locator = new Locator();

  constructor(private readonly cwd: string = process.cwd()) {}

  of(provenance: Provenance): Position {
    return this.at(provenance.resource, provenance.path);
  }

  /** The position of a node of a resource (its `metadata.name` when the path is empty). */
  at(resource: Resource, path: readonly (string | number)[] = []): Position {
    const position: Position = { ...resourceRef(resource) };
    if (path.length > 0) position.path = path.join(".");
    const source = resource.source;
    const span = resourceSpan(this.locator, resource, path);
    if (!source || !span) {
      position.assumed = true;
      return position;
    }
    position.file = isAbsolute(source.file.path) ? relative(this.cwd, source.file.path) || source.file.path : source.file.path;
    position.line = span.start.line;
    return position;
  }

  /** `file:line` (or `assumed`) for text output. */
  where(provenance: Provenance | undefined): string {
    if (!provenance) return "";
    const position = this.of(provenance);
    return position.file ? `${position.file}:${position.line}` : "assumed";
  }
}
