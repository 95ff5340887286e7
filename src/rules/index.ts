import { schema } from "./schema.js";
import type { Rule } from "./types.js";

export type { Rule, RuleMeta, RuleContext, Report, Severity } from "./types.js";

/** Every rule, in the order they run. */
export const rules: readonly Rule[] = [schema];

export function findRule(id: string): Rule | undefined {
  return rules.find((rule) => rule.meta.id === id);
}
