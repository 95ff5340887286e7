import { ruleUrl, type Rule } from "./types.js";

/**
 * `schema`: what the Kubernetes API server (with Istio's CRDs and validation webhook) rejects, and
 * fields it would silently drop. The schema stage computes the problems; this rule reports them.
 */
export const schema: Rule = {
  meta: {
    id: "schema",
    description: "Objects the Kubernetes API server would reject (Istio CRD schemas, CEL rules, Istio's webhook) or silently prune",
    severity: "error",
    url: ruleUrl("schema"),
    istioCodes: ["IST0106"],
    inputs: ["*"],
    messages: {
      rejected: "{{message}}",
      pruned: "{{message}}",
    },
  },
  check(context) {
    for (const [resource, problems] of context.schemaProblems) {
      for (const problem of problems) {
        if (problem.coveredBy && context.enabled(problem.coveredBy)) continue;
        context.report({
          messageId: problem.severity === 2 ? "rejected" : "pruned",
          data: { message: problem.message },
          resource,
          path: problem.path,
          severity: problem.severity,
          istioCode: problem.severity === 2 ? "IST0106" : undefined,
        });
      }
    }
  },
};
