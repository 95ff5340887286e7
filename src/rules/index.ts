import { schema } from "./schema.js";
import { unknownDestinationHost } from "./unknown-destination-host.js";
import { unknownGateway } from "./unknown-gateway.js";
import { conflictingVirtualServiceHosts } from "./conflicting-virtualservice-hosts.js";
import { unknownDestinationRuleHost } from "./unknown-destinationrule-host.js";
import { conflictingDestinationRules } from "./conflicting-destinationrules.js";
import { sidecarSelector } from "./sidecar-selector.js";
import { policySelector } from "./policy-selector.js";
import { deploymentServices } from "./deployment-services.js";
import { gatewayWorkload } from "./gateway-workload.js";
import { conflictingGateways } from "./conflicting-gateways.js";
import { portProtocol } from "./port-protocol.js";
import { tlsNoCa } from "./tls-no-ca.js";
import { serviceentryAddresses } from "./serviceentry-addresses.js";
import { conflictingServiceentryProtocol } from "./conflicting-serviceentry-protocol.js";
import { missingSubset } from "./missing-subset.js";
import { subsetNoEndpoints } from "./subset-no-endpoints.js";
import { mtlsMismatch } from "./mtls-mismatch.js";
import { egressGatewayBypass } from "./egress-gateway-bypass.js";
import { outboundTrafficPolicy } from "./outbound-traffic-policy.js";
import { unreachableRoute } from "./unreachable-route.js";
import { duplicateResource } from "./duplicate-resource.js";
import type { Rule } from "./types.js";

export type { Rule, RuleMeta, RuleContext, Report, Severity } from "./types.js";

/** Every rule, in the order they run. */
export const rules: readonly Rule[] = [schema, unknownDestinationHost, unknownGateway, conflictingVirtualServiceHosts, unknownDestinationRuleHost, conflictingDestinationRules, sidecarSelector, policySelector, deploymentServices, gatewayWorkload, conflictingGateways, portProtocol, tlsNoCa, serviceentryAddresses, conflictingServiceentryProtocol, missingSubset, subsetNoEndpoints, mtlsMismatch, egressGatewayBypass, outboundTrafficPolicy, unreachableRoute, duplicateResource];

export function findRule(id: string): Rule | undefined {
  return rules.find((rule) => rule.meta.id === id);
}
