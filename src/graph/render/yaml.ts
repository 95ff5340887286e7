/** YAML rendering of the graph views (the same data as `json.ts`). */
import { stringify } from "yaml";

export function toYaml(view: unknown): string {
  return stringify(view, { aliasDuplicateObjects: false, lineWidth: 0 });
}
