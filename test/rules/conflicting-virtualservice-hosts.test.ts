import { describe, expect, it } from "vitest";
import { lintRule } from "../helpers.js";

const RULE = "conflicting-virtualservice-hosts";

/** Runs the rule; each message as `Kind ns/name line:column` (plus the message text when `withText`). */
async function run(yaml: string, withText = false): Promise<string[]> {
  const { messages } = await lintRule(RULE, yaml);
  return messages.map(
      (message) =>
        `${message.resource?.namespace}/${message.resource?.name} ${message.line}:${message.column} ${message.istioCode}${withText ? ` ${message.message}` : ""}`,
    );
}

function vs(namespace: string, name: string, hosts: string, extra = ""): string {
  return `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  hosts: ${hosts}${extra}
  http:
  - route:
    - destination: {host: backend}
`;
}

describe(RULE, () => {
  const valid: [string, string][] = [
    ["different hosts", vs("foo", "a", "[reviews]") + vs("foo", "b", "[ratings]")],
    ["same short name in different namespaces", vs("foo", "a", "[reviews]") + vs("bar", "a", "[reviews]")],
    ["one bound to a gateway only", vs("foo", "a", "[reviews]") + vs("bar", "b", "[reviews.foo.svc.cluster.local]", "\n  gateways: [istio-system/public]")],
    ["private to different namespaces", vs("foo", "a", "[reviews]", "\n  exportTo: ['.']") + vs("bar", "b", "[reviews.foo.svc.cluster.local]", "\n  exportTo: ['.']")],
    ["exported to disjoint namespaces", vs("foo", "a", "['*.b']", "\n  exportTo: [foo]") + vs("bar", "b", "['*.b']", "\n  exportTo: ['.']")],
    ["two public wildcards of different specificity", vs("foo", "a", "['*.example.com']") + vs("bar", "b", "[shop.example.com]")],
  ];
  it.each(valid)("valid: %s", async (_, yaml) => {
    expect(await run(yaml)).toEqual([]);
  });

  const invalid: [string, string, string[]][] = [
    [
      "short name and FQDN of the same host, mesh implied and explicit",
      vs("foo", "a", "[ratings]") + vs("bar", "b", "[ratings.foo.svc.cluster.local, google.com]", "\n  gateways: [istio-system/public, mesh]"),
      ["foo/a 6:11 IST0109", "bar/b 15:11 IST0109"],
    ],
    [
      "a namespace-scoped VirtualService and a public one whose wildcard covers its host",
      vs("foo", "d", "['*.productpage.d']", "\n  exportTo: ['.']") + vs("bar", "d", "['*.d']"),
      ["foo/d 6:11 IST0109", "bar/d 16:11 IST0109"],
    ],
    [
      "a namespace-scoped host that a public wildcard and a public exact host both cover",
      vs("pub-wide", "a", "['*.example.com']") + vs("mine", "b", "[shop.example.com]", "\n  exportTo: ['.']") + vs("pub-exact", "c", "[shop.example.com]"),
      ["pub-wide/a 6:11 IST0109", "mine/b 15:11 IST0109", "pub-exact/c 25:11 IST0109"],
    ],
    [
      "exported to a common namespace",
      vs("foo", "a", "[reviews]", "\n  exportTo: [foo, team]") + vs("bar", "b", "[reviews.foo.svc.cluster.local]", "\n  exportTo: [team]"),
      ["foo/a 6:11 IST0109", "bar/b 16:11 IST0109"],
    ],
  ];
  it.each(invalid)("invalid: %s", async (_, yaml, expected) => {
    expect(await run(yaml)).toEqual(expected);
  });

  it("names the VirtualService sidecars keep: the oldest, then by name", async () => {
    const yaml =
      vs("foo", "zeta", "[reviews]").replace("namespace: foo}", "namespace: foo, creationTimestamp: '2024-01-01T00:00:00Z'}") +
      vs("foo", "alpha", "[reviews]").replace("namespace: foo}", "namespace: foo, creationTimestamp: '2025-01-01T00:00:00Z'}");
    const got = await run(yaml, true);
    expect(got).toHaveLength(2);
    for (const line of got) expect(line).toContain("they use only foo/zeta for it");
  });

  it("prefers a VirtualService private to the namespace over a public one", async () => {
    const yaml = vs("team", "private", "[reviews.foo.svc.cluster.local]", "\n  exportTo: ['.']") + vs("foo", "a-public", "[reviews]");
    const got = await run(yaml, true);
    expect(got).toHaveLength(2);
    for (const line of got) expect(line).toContain("to the mesh for namespace team: sidecars do not merge them, they use only team/private");
  });
});

describe(`${RULE}: one object given twice`, () => {
  it("does not conflict with itself", async () => {
    expect(await run(vs("foo", "a", "[reviews]") + vs("foo", "a", "[reviews]"))).toEqual([]);
  });
});
