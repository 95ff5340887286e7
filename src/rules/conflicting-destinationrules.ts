import type { DestinationRuleInfo, SubsetInfo } from "../graph/destination-rules.js";
import type { NodePath } from "../load/types.js";
import type { Resource } from "../model/index.js";
import { ruleUrl, type Rule, type RuleContext } from "./types.js";

/**
 * `conflicting-destinationrules`: DestinationRules that istiod merges into one (same namespace and
 * host, `exportTo` written alike, the same workload selector or none) and whose later parts it drops:
 * a subset whose name an earlier rule of the group defines already, and a top-level `trafficPolicy`
 * when an earlier rule has one (pilot/pkg/model/destination_rule.go keeps the first of each). The
 * dropped definitions never reach Envoy, silently; `istioctl analyze` has no check for it.
 */
export const conflictingDestinationRules: Rule = {
  meta: {
    id: "conflicting-destinationrules",
    description: "DestinationRules istiod merges for one host, whose later subsets or traffic policy it drops",
    severity: "error",
    url: ruleUrl("conflicting-destinationrules"),
    istioCodes: [],
    inputs: ["DestinationRule"],
    messages: {
      subsetDropped:
        'Subset "{{subset}}" is dropped: DestinationRule {{first}} ({{at}}) defines it first for {{host}}, and istiod merges the DestinationRules of a namespace for one host, keeping the first definition of each subset{{effect}}. Give this subset another name, or define it in one rule only',
      trafficPolicyDropped:
        "This trafficPolicy is dropped: DestinationRule {{first}} ({{at}}), merged with this one for {{host}}, comes first and has its own, and istiod keeps only the first top-level traffic policy when merging, so {{settings}} here never {{apply}}. Move {{them}} into {{firstName}}, or make the two one rule",
    },
  },
  check(context) {
    const reported = new Set<string>();
    for (const group of context.graph.destinationRules.mergedGroups()) {
      const [first] = group;
      const subsets = new Map<string, { subset: SubsetInfo; rule: DestinationRuleInfo }>();
      let policy: DestinationRuleInfo | undefined;
      for (const rule of group) {
        for (const subset of rule.subsets) {
          const earlier = subsets.get(subset.name);
          if (!earlier) {
            subsets.set(subset.name, { subset, rule });
            continue;
          }
          if (earlier.rule === rule) continue; // the same rule names it twice: the schema's business
          const same = sameSubset(earlier.subset, subset);
          report(context, reported, rule.resource, subset.provenance.path, {
            messageId: "subsetDropped",
            severity: same ? 1 : 2,
            data: {
              subset: subset.name,
              first: `${earlier.rule.namespace}/${earlier.rule.name}`,
              at: where(context, earlier.rule.resource, earlier.subset.provenance.path, rule.resource),
              host: first.host,
              effect: same
                ? " (it is the same there, so nothing changes)"
                : `: Envoy's cluster for subset ${subset.name} selects ${labelText(earlier.subset.labels)}${sameLabels(earlier.subset.labels, subset.labels) ? " with that rule's traffic policy" : `, not ${labelText(subset.labels)}`}`,
            },
          });
        }
        if (!rule.trafficPolicy) continue;
        if (!policy) {
          policy = rule;
          continue;
        }
        const settings = Object.keys(rule.trafficPolicy);
        report(context, reported, rule.resource, ["spec", "trafficPolicy"], {
          messageId: "trafficPolicyDropped",
          severity: 1,
          data: {
            first: `${policy.namespace}/${policy.name}`,
            firstName: policy.name,
            at: where(context, policy.resource, ["spec", "trafficPolicy"], rule.resource),
            host: first.host,
            settings: settings.length > 0 ? settings.join(", ") : "its settings",
            apply: settings.length === 1 ? "applies" : "apply",
            them: settings.length === 1 ? "it" : "them",
          },
        });
      }
    }
  },
};

interface Finding {
  messageId: string;
  severity: 1 | 2;
  data: Record<string, string>;
}

/** Reports once per node (a rule may belong to two merged groups, as istiod merges it). */
function report(context: RuleContext, reported: Set<string>, resource: Resource, path: NodePath, finding: Finding): void {
  const key = `${resource.key}|${path.join(".")}`;
  if (reported.has(key)) return;
  reported.add(key);
  context.report({ ...finding, resource, path });
}

/** `line N` of a node, or `file:N` when it is in another file than `from`'s. */
function where(context: RuleContext, resource: Resource, path: NodePath, from: Resource): string {
  const position = context.position(resource, path);
  if (!position) return "assumed";
  if (resource.source?.file !== from.source?.file) return `${position.file ?? "?"}:${position.line}`;
  return `line ${position.line}`;
}

function labelText(labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels);
  return entries.length === 0 ? "every pod of the service" : entries.map(([key, value]) => `${key}: ${value}`).join(", ");
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => b[key] === a[key]);
}

function sameSubset(a: SubsetInfo, b: SubsetInfo): boolean {
  return sameLabels(a.labels, b.labels) && JSON.stringify(a.trafficPolicy ?? null) === JSON.stringify(b.trafficPolicy ?? null);
}
