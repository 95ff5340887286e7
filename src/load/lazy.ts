import { createRequire } from "node:module";
import type * as YamlModule from "yaml";

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
