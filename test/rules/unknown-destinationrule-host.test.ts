import { describe, expect, it } from "vitest";
import { tlsServiceEntry } from "../fixtures/manifests.js";
import { lintRule } from "../helpers.js";

const RULE = "unknown-destinationrule-host";

/** Runs the rule on one manifest; each message as `ns/name line:column messageId istioCode`. */
async function run(yaml: string): Promise<string[]> {
  const { messages } = await lintRule(RULE, yaml);
  return messages.map(
      (message) =>
        `${message.resource?.namespace}/${message.resource?.name} ${message.line}:${message.column} ${message.messageId} ${message.istioCode}`,
    );
}

const SERVICES = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: bookinfo}
spec:
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Service
metadata:
  name: local
  namespace: bookinfo
  annotations: {networking.istio.io/exportTo: "."}
spec:
  ports: [{name: http, port: 80}]
---
${tlsServiceEntry("eu", "bookinfo", '["*.eu.example.com"]')}---
${tlsServiceEntry("private", "other", "[private.example.com]", '["."]')}`;
const BASE = SERVICES.split("\n").length;

function dr(namespace: string, host: string, extra = ""): string {
  return `---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: dr, namespace: ${namespace}}
spec:
  host: "${host}"${extra}
`;
}

describe(RULE, () => {
  const valid: [string, string][] = [
    ["short name in the service's namespace", dr("bookinfo", "reviews")],
    ["FQDN from another namespace", dr("team", "reviews.bookinfo.svc.cluster.local")],
    ["host covered by a wildcard ServiceEntry", dr("bookinfo", "api.eu.example.com")],
    ["wildcard host covering Services", dr("istio-system", "*.local")],
    ["wildcard host equal to a wildcard ServiceEntry", dr("bookinfo", "*.eu.example.com")],
    ["root-namespace rule for a service exported to its own namespace only", dr("istio-system", "local.bookinfo.svc.cluster.local")],
    ["ServiceEntry private to the rule's namespace", dr("other", "private.example.com")],
  ];
  it.each(valid)("valid: %s", async (_, yaml) => {
    expect(await run(SERVICES + yaml)).toEqual([]);
  });

  const invalid: [string, string, string[]][] = [
    ["a host no service provides", dr("default", "fake-svc.default.svc.cluster.local"), [`default/dr ${BASE + 5}:3 unknownHost IST0174`]],
    ["a short name resolved in the wrong namespace", dr("team", "reviews"), [`team/dr ${BASE + 5}:3 unknownHost IST0174`]],
    ["a wildcard host covering nothing", dr("bookinfo", "*.us.example.com"), [`bookinfo/dr ${BASE + 5}:3 unknownHost IST0174`]],
    ["a ServiceEntry private to another namespace", dr("default", "private.example.com"), [`default/dr ${BASE + 5}:3 notExported IST0174`]],
    [
      "a service exported to its own namespace, the rule in a third namespace",
      dr("team", "local.bookinfo.svc.cluster.local"),
      [`team/dr ${BASE + 5}:3 notExported IST0174`],
    ],
  ];
  it.each(invalid)("invalid: %s", async (_, yaml, expected) => {
    expect(await run(SERVICES + yaml)).toEqual(expected);
  });
});
