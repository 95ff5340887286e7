import leven from "leven";
import type { NodePath } from "../load/types.js";
import type { SidecarInfo } from "../graph/sidecars.js";
import type { Workload } from "../graph/types.js";
import { namespaceInAmbientMode, selects, workloadInAmbientMode } from "../graph/workloads.js";
import { ruleUrl, type Rule } from "./types.js";

/** A `matchLabels` selector as Kubernetes prints it: `app=reviews,version=v1` (keys sorted). */
export function formatSelector(selector: Readonly<Record<string, string>>): string {
  return Object.keys(selector)
    .sort()
    .map((key) => `${key}=${selector[key]}`)
    .join(",");
}

/** The first selector label that no candidate carries (key and value), if any. */
export function unmatchedLabel(
  selector: Readonly<Record<string, string>>,
  candidates: readonly { labels: Readonly<Record<string, string>> }[],
): string | undefined {
  return Object.keys(selector).find((key) => !candidates.some((candidate) => candidate.labels[key] === selector[key]));
}

/**
 * " Did you mean ...?" for a selector that selects nothing: the closest value some candidate has for
 * the same key, or the closest key carrying the same value. Empty when nothing is close.
 */
export function selectorSuggestion(
  selector: Readonly<Record<string, string>>,
  candidates: readonly { labels: Readonly<Record<string, string>> }[],
): string {
  const key = unmatchedLabel(selector, candidates);
  if (key === undefined) return "";
  const value = selector[key];
  let best: { text: string; distance: number } | undefined;
  const consider = (text: string, distance: number, length: number) => {
    if (distance === 0 || distance > Math.max(2, Math.floor(length / 3))) return;
    if (!best || distance < best.distance) best = { text, distance };
  };
  for (const candidate of candidates) {
    for (const [k, v] of Object.entries(candidate.labels)) {
      if (k === key) consider(`${k}: ${v}`, leven(v, value), value.length);
      else if (v === value) consider(`${k}: ${v}`, leven(k, key), key.length);
    }
  }
  return best ? ` Did you mean "${best.text}"?` : "";
}

/**
 * " X in namespace Y matches, ..." when a selector that selects nothing in its own namespace would
 * select a workload elsewhere (the resource is in the wrong namespace). Empty otherwise.
 */
export function otherNamespaceHint(
  workloads: readonly Workload[],
  selector: Readonly<Record<string, string>>,
  namespace: string,
  scope: string,
): string {
  const elsewhere = workloads.find((workload) => workload.namespace !== namespace && selects(selector, workload.labels));
  return elsewhere ? ` ${workloadName(elsewhere)} in namespace ${elsewhere.namespace} matches, but ${scope}.` : "";
}

/** The YAML node to point at for a selector that selects nothing: the label no workload has, else the map. */
export function selectorPath(
  labelsPath: NodePath,
  selector: Readonly<Record<string, string>>,
  candidates: readonly { labels: Readonly<Record<string, string>> }[],
): NodePath {
  const key = unmatchedLabel(selector, candidates);
  return key === undefined ? labelsPath : [...labelsPath, key];
}

/**
 * The items whose key comes first: one object given twice (in two files, or as lint and context input)
 * is one object to the API server and must not conflict with itself.
 */
export function distinct<T>(items: readonly T[], key: (item: T) => string): T[] {
  const out: T[] = [];
  // A few items (the usual case: the workloads a selector picks) are compared with the earlier ones.
  if (items.length <= 8) {
    next: for (let i = 0; i < items.length; i++) {
      const k = key(items[i]);
      for (let j = 0; j < i; j++) if (key(items[j]) === k) continue next;
      out.push(items[i]);
    }
    return out;
  }
  const seen = new Set<string>();
  for (let i = 0; i < items.length; i++) {
    const k = key(items[i]);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(items[i]);
  }
  return out;
}

export function workloadName(workload: Workload): string {
  return `${workload.kind} ${workload.name}`;
}

function quoteList(names: readonly string[]): string {
  return names.map((name) => `"${name}"`).join(", ");
}

const SELECTOR_LABELS: NodePath = ["spec", "workloadSelector", "labels"];

/**
 * `sidecar-selector`: Sidecar resources that select no workload, or compete for the same workloads
 * (Istio's `sidecar.SelectorAnalyzer`).
 */
export const sidecarSelector: Rule = {
  meta: {
    id: "sidecar-selector",
    description: "Sidecars whose workloadSelector selects no workload, several Sidecars for one workload or namespace, Sidecars in ambient namespaces",
    severity: "error",
    url: ruleUrl("sidecar-selector"),
    istioCodes: ["IST0101", "IST0110", "IST0111", "IST0167"],
    inputs: ["Sidecar", "Namespace", "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "WorkloadEntry"],
    messages: {
      noWorkload:
        "No workload in namespace {{namespace}} matches workloadSelector {{selector}}: this Sidecar configures no proxy.{{suggestion}}",
      conflictingSelectors:
        "Sidecars {{sidecars}} in namespace {{namespace}} all select {{workloads}}: istiod applies only one of them (the oldest) to each proxy and ignores the others. Narrow the selectors so that each workload has one Sidecar.",
      multipleDefaults:
        "Sidecars {{sidecars}} in namespace {{namespace}} have no workloadSelector: istiod uses only one of them (the oldest) as the namespace default and ignores the others. Merge them into one, or give the others a workloadSelector.",
      ambientWorkloads:
        "This Sidecar has no effect on {{workloads}}: workloads in ambient mode have no sidecar proxy to configure.",
      ambientNamespace:
        "This Sidecar has no effect: namespace {{namespace}} is in ambient mode, so its workloads have no sidecar proxy to configure.",
    },
  },
  check(context) {
    const { graph } = context;
    const byWorkload = new Map<Workload, SidecarInfo[]>();
    const defaultsByNamespace = new Map<string, SidecarInfo[]>();

    for (const sidecar of distinct(graph.sidecars, (info) => info.resource.key)) {
      const selector = sidecar.workloadSelector;
      if (!selector) {
        const list = defaultsByNamespace.get(sidecar.namespace);
        if (list) list.push(sidecar);
        else defaultsByNamespace.set(sidecar.namespace, [sidecar]);
        continue;
      }
      const candidates = graph.workloadsIn(sidecar.namespace);
      const selected = distinct(graph.selectedWorkloads(selector, sidecar.namespace), (workload) => workload.resource.key);
      if (selected.length === 0) {
        context.report({
          messageId: "noWorkload",
          data: {
            namespace: sidecar.namespace,
            selector: formatSelector(selector),
            suggestion:
              selectorSuggestion(selector, candidates) ||
              otherNamespaceHint(graph.workloads, selector, sidecar.namespace, "a Sidecar only selects workloads of its own namespace"),
          },
          resource: sidecar.resource,
          path: selectorPath(SELECTOR_LABELS, selector, candidates),
          istioCode: "IST0101",
        });
        continue;
      }
      for (const workload of selected) {
        const list = byWorkload.get(workload);
        if (list) list.push(sidecar);
        else byWorkload.set(workload, [sidecar]);
      }
    }

    // One report per Sidecar and set of competitors, naming the workloads they share.
    const ineffective = new Map<SidecarInfo, Workload[]>();
    const conflicts = new Map<SidecarInfo, Map<string, { names: string[]; workloads: Workload[] }>>();
    for (const [workload, sidecars] of byWorkload) {
      if (workloadInAmbientMode(workload, graph.namespaces.get(workload.namespace))) {
        for (const sidecar of sidecars) {
          const list = ineffective.get(sidecar);
          if (list) list.push(workload);
          else ineffective.set(sidecar, [workload]);
        }
        continue;
      }
      if (sidecars.length < 2) continue;
      const names = sidecars.map((sidecar) => sidecar.name).sort();
      const key = names.join("\0");
      for (const sidecar of sidecars) {
        let groups = conflicts.get(sidecar);
        if (!groups) conflicts.set(sidecar, (groups = new Map()));
        const group = groups.get(key);
        if (group) group.workloads.push(workload);
        else groups.set(key, { names, workloads: [workload] });
      }
    }
    for (const [sidecar, groups] of conflicts) {
      for (const { names, workloads } of groups.values()) {
        context.report({
          messageId: "conflictingSelectors",
          data: {
            sidecars: quoteList(names),
            namespace: sidecar.namespace,
            workloads: workloads.map(workloadName).sort().join(", "),
          },
          resource: sidecar.resource,
          path: SELECTOR_LABELS,
          istioCode: "IST0110",
        });
      }
    }
    for (const [sidecar, workloads] of ineffective) {
      context.report({
        messageId: "ambientWorkloads",
        data: { workloads: workloads.map(workloadName).sort().join(", ") },
        resource: sidecar.resource,
        path: SELECTOR_LABELS,
        severity: 1,
        istioCode: "IST0167",
      });
    }

    for (const [namespace, sidecars] of defaultsByNamespace) {
      if (namespaceInAmbientMode(graph.namespaces.get(namespace))) {
        for (const sidecar of sidecars) {
          context.report({
            messageId: "ambientNamespace",
            data: { namespace },
            resource: sidecar.resource,
            path: ["metadata", "name"],
            severity: 1,
            istioCode: "IST0167",
          });
        }
        continue;
      }
      if (sidecars.length < 2) continue;
      const names = quoteList(sidecars.map((sidecar) => sidecar.name).sort());
      for (const sidecar of sidecars) {
        context.report({
          messageId: "multipleDefaults",
          data: { sidecars: names, namespace },
          resource: sidecar.resource,
          path: ["metadata", "name"],
          istioCode: "IST0111",
        });
      }
    }
  },
};
