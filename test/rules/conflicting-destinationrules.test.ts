import { describe, expect, it } from "vitest";
import { lintRule } from "../helpers.js";

const RULE = "conflicting-destinationrules";

/**
 * A DestinationRule (with `---`) for `host`: `meta` is added to metadata, `body` (YAML lines under
 * spec, two spaces in) follows the host. Six lines before the body.
 */
function rule(name: string, body: string, { namespace = "shop", host = "reviews", meta = "" } = {}): string {
  return `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}, namespace: ${namespace}${meta}}
spec:
  host: ${host}
${body}`;
}
const subset = (name: string, version: string, extra = "") => `  - {name: ${name}, labels: {version: ${version}}${extra}}\n`;
const subsets = (...list: string[]) => `  subsets:\n${list.join("")}`;
const policy = (settings: string) => `  trafficPolicy: ${settings}\n`;
const older = ', creationTimestamp: "2024-01-01T00:00:00Z"';
const newer = ', creationTimestamp: "2024-06-01T00:00:00Z"';

async function run(files: string | Record<string, string>): Promise<string[]> {
  const { messages } = await lintRule(RULE, files);
  return messages.map((message) => `${message.line}:${message.column} ${message.severity === 2 ? "error" : "warning"} ${message.message}`);
}

const dropped = (subsetName: string, first: string, at: string, effect: string) =>
  `Subset "${subsetName}" is dropped: DestinationRule ${first} (${at}) defines it first for reviews.shop.svc.cluster.local, and istiod merges the DestinationRules of a namespace for one host, keeping the first definition of each subset${effect}. Give this subset another name, or define it in one rule only`;
const policyDropped = (first: string, at: string, settings: string, verb: string, them: string, firstName: string) =>
  `This trafficPolicy is dropped: DestinationRule ${first} (${at}), merged with this one for reviews.shop.svc.cluster.local, comes first and has its own, and istiod keeps only the first top-level traffic policy when merging, so ${settings} here never ${verb}. Move ${them} into ${firstName}, or make the two one rule`;

describe(RULE, () => {
  const valid: [string, string][] = [
    ["one rule", rule("a", subsets(subset("v1", "v1"), subset("v2", "v2")) + policy("{tls: {mode: ISTIO_MUTUAL}}"))],
    ["two rules adding different subsets, one traffic policy", rule("a", policy("{tls: {mode: ISTIO_MUTUAL}}") + subsets(subset("v1", "v1"))) + rule("b", subsets(subset("v2", "v2")))],
    ["other namespaces", rule("a", subsets(subset("v1", "v1")) + policy("{tls: {mode: ISTIO_MUTUAL}}")) + rule("b", subsets(subset("v1", "v2")) + policy("{tls: {mode: DISABLE}}"), { namespace: "web", host: "reviews.shop.svc.cluster.local" })],
    ["other hosts", rule("a", subsets(subset("v1", "v1"))) + rule("b", subsets(subset("v1", "v2")), { host: "ratings" })],
    ["exportTo written differently: not merged", rule("a", `  exportTo: ["."]\n` + subsets(subset("v1", "v1")) + policy("{tls: {mode: ISTIO_MUTUAL}}")) + rule("b", subsets(subset("v1", "v2")) + policy("{tls: {mode: DISABLE}}"))],
    [
      "different workload selectors: not merged",
      rule("a", `  workloadSelector: {matchLabels: {app: web}}\n` + subsets(subset("v1", "v1"))) + rule("b", `  workloadSelector: {matchLabels: {app: api}}\n` + subsets(subset("v1", "v2"))),
    ],
    ["a workload selector and none: not merged", rule("a", `  workloadSelector: {matchLabels: {app: web}}\n` + subsets(subset("v1", "v1"))) + rule("b", subsets(subset("v1", "v2")))],
  ];
  it.each(valid)("valid: %s", async (_, yaml) => {
    expect(await run(yaml)).toEqual([]);
  });

  const invalid: [string, string | Record<string, string>, string[]][] = [
    [
      "a later rule defines a subset again with other labels: error at its subset",
      rule("a", subsets(subset("v1", "v1"))) + rule("b", subsets(subset("v1", "v1-canary"), subset("v2", "v2"))),
      [`16:5 error ${dropped("v1", "shop/a", "line 8", ": Envoy's cluster for subset v1 selects version: v1, not version: v1-canary")}`],
    ],
    [
      "the same labels, another subset traffic policy: error",
      rule("a", subsets(subset("v1", "v1"))) + rule("b", subsets(subset("v1", "v1", ", trafficPolicy: {tls: {mode: DISABLE}}"))),
      [`16:5 error ${dropped("v1", "shop/a", "line 8", ": Envoy's cluster for subset v1 selects version: v1 with that rule's traffic policy")}`],
    ],
    [
      "an identical subset: a warning",
      rule("a", subsets(subset("v1", "v1"))) + rule("b", subsets(subset("v1", "v1"))),
      [`16:5 warning ${dropped("v1", "shop/a", "line 8", " (it is the same there, so nothing changes)")}`],
    ],
    [
      "a second top-level traffic policy: a warning at it",
      rule("a", policy("{tls: {mode: ISTIO_MUTUAL}}")) + rule("b", policy("{loadBalancer: {simple: RANDOM}, tls: {mode: DISABLE}}")),
      [`14:3 warning ${policyDropped("shop/a", "line 7", "loadBalancer, tls", "apply", "them", "a")}`],
    ],
    [
      "istiod's order is creation time, then name: the older rule wins",
      rule("a", policy("{tls: {mode: ISTIO_MUTUAL}}") + subsets(subset("v1", "v1")), { meta: newer }) + rule("b", policy("{tls: {mode: DISABLE}}") + subsets(subset("v1", "v2")), { meta: older }),
      [
        `7:3 warning ${policyDropped("shop/b", "line 16", "tls", "applies", "it", "b")}`,
        `9:5 error ${dropped("v1", "shop/b", "line 18", ": Envoy's cluster for subset v1 selects version: v2, not version: v1")}`,
      ],
    ],
    [
      "three rules: the first definition is named, in another file",
      { "a.yaml": rule("a", subsets(subset("v1", "v1"))), "b.yaml": rule("b", subsets(subset("v2", "v2"))), "c.yaml": rule("c", subsets(subset("v2", "v3"))) },
      [`8:5 error ${dropped("v2", "shop/b", "b.yaml:8", ": Envoy's cluster for subset v2 selects version: v2, not version: v3")}`],
    ],
  ];
  it.each(invalid)("invalid: %s", async (_, files, expected) => {
    expect(await run(files)).toEqual(expected);
  });
});
