import { createRequire } from "node:module";
import type * as YamlModule from "yaml";
import type { Tags } from "yaml";

/**
 * Packages most runs never need, loaded synchronously from node_modules on first use (kept out of
 * the CLI bundle, so start-up does not pay for compiling them).
 */
const loadPackage = createRequire(import.meta.url);

let yaml: typeof YamlModule | undefined;

/** The `yaml` package: exact positions (`locate.ts`) and the recovering parse (`parse.ts`). */
export function yamlModule(): typeof YamlModule {
  return (yaml ??= loadPackage("yaml") as typeof YamlModule);
}

/**
 * `yaml`'s options closest to how the API server reads scalars (see `KUBERNETES_SCHEMA`): YAML 1.1
 * with merge keys and Go's `0o` octal, without its dates and base-60 numbers.
 */
export const KUBERNETES_YAML_OPTIONS = {
  schema: "yaml-1.1",
  merge: true,
  customTags: (tags: Tags): Tags => [
    ...tags.filter((tag) => typeof tag === "string" || (tag.tag !== "tag:yaml.org,2002:timestamp" && tag.format !== "TIME")),
    // Go's `0o` octal prefix, which go-yaml reads as a number and YAML 1.1 does not.
    { tag: "tag:yaml.org,2002:int", default: true, test: /^[-+]?0o[0-7_]+$/, resolve: (source: string) => (source[0] === "-" ? -1 : 1) * parseInt(source.replace(/^[-+]?0o|_/g, ""), 8) },
  ],
} as const;
