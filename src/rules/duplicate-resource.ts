import { ruleUrl, type Rule } from "./types.js";

/**
 * `duplicate-resource`: one object (API group, kind, namespace, name) defined more than once. Applied
 * together, each definition replaces the one before it (`kubectl apply` and `istioctl analyze` keep
 * the last), so only the last one takes effect, silently. The model keeps only that one for the
 * analysis (see `MeshModel.replaced`); this rule says so at the definition that wins.
 */
export const duplicateResource: Rule = {
  meta: {
    id: "duplicate-resource",
    description: "The same object defined more than once, so that only its last definition takes effect",
    severity: "warn",
    url: ruleUrl("duplicate-resource"),
    istioCodes: [],
    inputs: ["*"],
    messages: {
      replaces:
        "{{kind}} {{name}} is defined more than once: this definition replaces the one at {{other}} (kubectl apply keeps the last one applied, and mesh-lint analyzes only this one). Keep one of them; if they are meant for different clusters or environments, lint those separately.",
    },
  },
  check(context) {
    for (const { resource, by } of context.model.replaced) {
      const at = context.position(resource, ["metadata", "name"]);
      context.report({
        messageId: "replaces",
        data: {
          kind: by.kind,
          name: by.namespace ? `${by.namespace}/${by.name}` : by.name,
          other: at ? `${at.file ?? "?"}:${at.line}:${at.column}` : "another document",
        },
        resource: by,
        path: ["metadata", "name"],
      });
    }
  },
};
