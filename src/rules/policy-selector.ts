import leven from "leven";
import type { NodePath } from "../load/types.js";
import type { MeshGraph } from "../graph/index.js";
import type { Workload } from "../graph/types.js";
import { workloadInAmbientMode } from "../graph/workloads.js";
import type { Resource } from "../model/index.js";
import { asArray, asRecord, asString, hasKeys, selectorMap } from "../model/resource.js";
import { distinct, formatSelector, otherNamespaceHint, selectorPath, selectorSuggestion, workloadName } from "./sidecar-selector.js";
import { ruleUrl, type Rule, type RuleContext } from "./types.js";

/** Policy kinds that pick their workloads with `selector.matchLabels` (or attach with `targetRef(s)`). */
const POLICY_KINDS = ["AuthorizationPolicy", "PeerAuthentication", "RequestAuthentication", "WasmPlugin", "Telemetry"] as const;

const MATCH_LABELS: NodePath = ["spec", "selector", "matchLabels"];

function matchLabelsOf(resource: Resource): Record<string, string> | undefined {
  const labels = selectorMap(asRecord(resource.spec.selector).matchLabels);
  return hasKeys(labels) ? labels : undefined;
}

/** A policy with `targetRef`/`targetRefs` attaches to a Gateway or Service (waypoints), not by selector. */
function hasTargetRef(resource: Resource): boolean {
  return asArray(resource.spec.targetRefs).length > 0 || Object.keys(asRecord(resource.spec.targetRef)).length > 0;
}

/** Whether a workload has an Istio proxy that enforces the policy: a sidecar, a gateway, or ztunnel (ambient). */
function inMesh(graph: MeshGraph, workload: Workload): boolean {
  return workload.sidecar.injected || workloadInAmbientMode(workload, graph.namespaces.get(workload.namespace));
}

/** Whether a `source.namespaces` entry (`*`, `prefix*`, `*suffix` or a name) matches a namespace. */
export function namespacePatternMatches(pattern: string, namespace: string): boolean {
  if (pattern === "*") return true;
  if (pattern.startsWith("*")) return namespace.endsWith(pattern.slice(1));
  if (pattern.endsWith("*")) return namespace.startsWith(pattern.slice(0, -1));
  return pattern.toLowerCase() === namespace.toLowerCase();
}

/**
 * `policy-selector`: security, telemetry and extension policies whose selector picks no workload with a
 * proxy, AuthorizationPolicy sources naming namespaces that do not exist, and Telemetries that compete
 * for the same workloads (Istio's `auth.AuthorizationPoliciesAnalyzer`, `telemetry.SelectorAnalyzer`,
 * `telemetry.DefaultSelectorAnalyzer`).
 */
export const policySelector: Rule = {
  meta: {
    id: "policy-selector",
    description:
      "AuthorizationPolicy, PeerAuthentication, RequestAuthentication, Telemetry and WasmPlugin selectors that select no workload; unknown source namespaces; competing Telemetries",
    severity: "warn",
    url: ruleUrl("policy-selector"),
    istioCodes: ["IST0127", "IST0101", "IST0159", "IST0160"],
    inputs: [...POLICY_KINDS, "Namespace", "MeshConfig", "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "WorkloadEntry"],
    messages: {
      noWorkload: "No workload {{scope}} matches selector {{selector}}: this {{kind}} applies to no proxy.{{suggestion}}",
      notInMesh:
        "Selector {{selector}} matches only workloads without an Istio proxy ({{workload}}: {{reason}}): this {{kind}} is not enforced on them.",
      emptyNamespace:
        "Namespace {{namespace}} has no workload with an Istio proxy: this namespace-wide {{kind}} applies to no proxy.",
      emptyNamespaceNotInMesh:
        "The workloads of namespace {{namespace}} have no Istio proxy ({{workload}}: {{reason}}): this namespace-wide {{kind}} applies to no proxy.",
      unknownNamespace: "No namespace matches {{field}} entry \"{{namespace}}\": {{effect}}.{{suggestion}}",
      telemetryNoWorkload:
        "No workload in namespace {{namespace}} matches selector {{selector}}: this Telemetry configures no proxy.{{suggestion}}",
      conflictingTelemetries:
        "Telemetries {{telemetries}} in namespace {{namespace}} all select {{workloads}}: istiod layers them in an unspecified order. Narrow the selectors so that each workload has one Telemetry.",
      multipleDefaultTelemetries:
        "Telemetries {{telemetries}} in namespace {{namespace}} have no selector: istiod uses only one of them as the namespace default and ignores the others. Merge them into one.",
    },
  },
  check(context) {
    const { graph, model } = context;
    const root = graph.mesh.rootNamespace;
    const telemetries: Resource[] = [];
    let knownNamespaces: string[] | undefined;
    for (const kind of POLICY_KINDS) {
      for (const resource of distinct(model.byKind.get(kind) ?? [], (policy) => policy.key)) {
        if (!resource.group.endsWith("istio.io") || hasTargetRef(resource)) continue;
        if (kind === "Telemetry") {
          telemetries.push(resource);
          continue;
        }
        checkSelection(context, resource);
        if (kind === "AuthorizationPolicy") checkSourceNamespaces(context, resource);
      }
    }
    checkTelemetries(context, telemetries);

    function checkSelection(ctx: RuleContext, resource: Resource): void {
      const selector = matchLabelsOf(resource);
      const meshWide = resource.namespace === root;
      if (!selector) {
        // Namespace-wide policies: only an AuthorizationPolicy outside the root namespace is checked
        // (istioctl's analyzer); a PeerAuthentication or RequestAuthentication default is harmless.
        if (meshWide || resource.kind !== "AuthorizationPolicy") return;
        const workloads = graph.workloadsIn(resource.namespace);
        if (workloads.some((workload) => inMesh(graph, workload))) return;
        const outside = workloads[0];
        ctx.report({
          messageId: outside ? "emptyNamespaceNotInMesh" : "emptyNamespace",
          data: {
            namespace: resource.namespace,
            kind: resource.kind,
            workload: outside ? workloadName(outside) : "",
            reason: outside?.sidecar.reason ?? "",
          },
          resource,
          path: ["metadata", "name"],
          istioCode: "IST0127",
        });
        return;
      }
      // A selector in the root namespace selects workloads in every namespace.
      const candidates = meshWide ? graph.workloads : graph.workloadsIn(resource.namespace);
      const selected = graph.selectedWorkloads(selector, meshWide ? undefined : resource.namespace);
      if (selected.some((workload) => inMesh(graph, workload))) return;
      const data = { selector: formatSelector(selector), kind: resource.kind };
      if (selected.length > 0) {
        ctx.report({
          messageId: "notInMesh",
          data: { ...data, workload: workloadName(selected[0]), reason: selected[0].sidecar.reason },
          resource,
          path: MATCH_LABELS,
          istioCode: "IST0127",
        });
        return;
      }
      ctx.report({
        messageId: "noWorkload",
        data: {
          ...data,
          scope: meshWide ? "in the mesh" : `in namespace ${resource.namespace}`,
          suggestion:
            selectorSuggestion(selector, candidates) ||
            (meshWide
              ? ""
              : otherNamespaceHint(
                  graph.workloads,
                  selector,
                  resource.namespace,
                  `outside the root namespace (${root}) a policy only selects workloads of its own namespace`,
                )),
        },
        resource,
        path: selectorPath(MATCH_LABELS, selector, candidates),
        istioCode: "IST0127",
      });
    }

    function checkSourceNamespaces(ctx: RuleContext, resource: Resource): void {
      const known = (knownNamespaces ??= [...graph.namespaces.keys()]);
      asArray(resource.spec.rules).forEach((rule, i) => {
        asArray(asRecord(rule).from).forEach((from, j) => {
          const source = asRecord(asRecord(from).source);
          for (const field of ["namespaces", "notNamespaces"] as const) {
            asArray(source[field]).forEach((entry, k) => {
              const pattern = asString(entry);
              if (pattern === undefined || graph.namespaces.has(pattern) || known.some((namespace) => namespacePatternMatches(pattern, namespace))) return;
              const close = pattern.includes("*")
                ? undefined
                : known
                    .map((namespace) => ({ namespace, distance: leven(namespace, pattern) }))
                    .filter((c) => c.distance <= Math.max(2, Math.floor(pattern.length / 3)))
                    .sort((a, b) => a.distance - b.distance)[0];
              ctx.report({
                messageId: "unknownNamespace",
                data: {
                  field,
                  namespace: pattern,
                  effect: field === "namespaces" ? "this source matches no request from it" : "this exclusion excludes nothing",
                  suggestion: close ? ` Did you mean "${close.namespace}"?` : "",
                },
                resource,
                path: ["spec", "rules", i, "from", j, "source", field, k],
                severity: 1,
                istioCode: "IST0101",
              });
            });
          }
        });
      });
    }

    function checkTelemetries(ctx: RuleContext, list: Resource[]): void {
      const byWorkload = new Map<Workload, Resource[]>();
      const defaults = new Map<string, Resource[]>();
      for (const resource of list) {
        const selector = matchLabelsOf(resource);
        if (!selector) {
          const group = defaults.get(resource.namespace);
          if (group) group.push(resource);
          else defaults.set(resource.namespace, [resource]);
          continue;
        }
        // A Telemetry selector only selects workloads of its own namespace, the root namespace included.
        const candidates = graph.workloadsIn(resource.namespace);
        const selected = distinct(graph.selectedWorkloads(selector, resource.namespace), (workload) => workload.resource.key);
        if (selected.length === 0) {
          ctx.report({
            messageId: "telemetryNoWorkload",
            data: {
              namespace: resource.namespace,
              selector: formatSelector(selector),
              suggestion:
                selectorSuggestion(selector, candidates) ||
                otherNamespaceHint(graph.workloads, selector, resource.namespace, "a Telemetry only selects workloads of its own namespace"),
            },
            resource,
            path: selectorPath(MATCH_LABELS, selector, candidates),
            istioCode: "IST0101",
          });
          continue;
        }
        for (const workload of selected) {
          const group = byWorkload.get(workload);
          if (group) group.push(resource);
          else byWorkload.set(workload, [resource]);
        }
      }
      const conflicts = new Map<Resource, Map<string, { names: string[]; workloads: Workload[] }>>();
      for (const [workload, resources] of byWorkload) {
        if (resources.length < 2) continue;
        const names = resources.map((resource) => resource.name).sort();
        const key = names.join("\0");
        for (const resource of resources) {
          let groups = conflicts.get(resource);
          if (!groups) conflicts.set(resource, (groups = new Map()));
          const group = groups.get(key);
          if (group) group.workloads.push(workload);
          else groups.set(key, { names, workloads: [workload] });
        }
      }
      for (const [resource, groups] of conflicts) {
        for (const { names, workloads } of groups.values()) {
          ctx.report({
            messageId: "conflictingTelemetries",
            data: {
              telemetries: names.map((name) => `"${name}"`).join(", "),
              namespace: resource.namespace,
              workloads: workloads.map(workloadName).sort().join(", "),
            },
            resource,
            path: MATCH_LABELS,
            severity: 2,
            istioCode: "IST0159",
          });
        }
      }
      for (const [namespace, resources] of defaults) {
        if (resources.length < 2) continue;
        const names = resources.map((resource) => `"${resource.name}"`).sort().join(", ");
        for (const resource of resources) {
          ctx.report({
            messageId: "multipleDefaultTelemetries",
            data: { telemetries: names, namespace },
            resource,
            path: ["metadata", "name"],
            severity: 2,
            istioCode: "IST0160",
          });
        }
      }
    }
  },
};
