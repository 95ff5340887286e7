import type { NodePath } from "../load/types.js";

/**
 * One reason the Kubernetes API server (with Istio's CRDs and validation webhook installed)
 * would reject or silently alter an object.
 */
export interface SchemaProblem {
  /** Path of the offending node inside the object, e.g. `["spec", "http", 1, "route", 0, "weight"]`. */
  path: NodePath;
  /** The message, worded the way `kubectl apply` shows it where the API server has one. */
  message: string;
  /** 2: the API server (or Istio's webhook) rejects the object; 1: accepted but probably not what was meant. */
  severity: 1 | 2;
  /**
   * What kind of check found it: `structural` (OpenAPI type/enum/required/pattern/...), `cel`
   * (x-kubernetes-validations), `list` (x-kubernetes-list-type duplicates), `unknown-field`
   * (pruned by the API server), `webhook` (Istio's validation webhook), `apiserver` (metadata and
   * envelope rules).
   */
  source: "structural" | "cel" | "list" | "unknown-field" | "webhook" | "apiserver";
  /**
   * The id of a rule that reports the same finding with more precision (for example the webhook's
   * "rule not used" warning, which `unreachable-route` judges on the merged routes): the `schema`
   * rule leaves the problem to that rule while it is enabled.
   */
  coveredBy?: string;
}
