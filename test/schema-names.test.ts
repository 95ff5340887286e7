import { describe, expect, it } from "vitest";
import { dns1035LabelErrors, dns1123LabelErrors, dns1123SubdomainErrors, labelValueErrors, qualifiedNameErrors } from "../src/schema/names.js";

// Each name check on values at the edges of its form: a valid value has no errors (the shared
// empty list), an invalid one the API server's reasons, in its order.
const LABEL_MSG = expect.stringContaining("a lowercase RFC 1123 label");
const SUBDOMAIN_MSG = expect.stringContaining("a lowercase RFC 1123 subdomain");
const NAME_PART_MSG = expect.stringContaining("name part must consist of alphanumeric characters");
const VALUE_MSG = expect.stringContaining("a valid label must be an empty string");
const DNS1035_MSG = expect.stringContaining("a DNS-1035 label");

const cases: { check: (v: string) => readonly string[]; name: string; value: string; errors: unknown[] }[] = [
  { check: dns1123LabelErrors, name: "label", value: "a".repeat(63), errors: [] },
  { check: dns1123LabelErrors, name: "label", value: "a".repeat(64), errors: ["must be no more than 63 characters"] },
  { check: dns1123LabelErrors, name: "label", value: "A", errors: [LABEL_MSG] },
  { check: dns1123LabelErrors, name: "label", value: "", errors: [LABEL_MSG] },
  { check: dns1123SubdomainErrors, name: "subdomain", value: "a.b-c.d", errors: [] },
  { check: dns1123SubdomainErrors, name: "subdomain", value: `${"a".repeat(250)}.bcd`, errors: ["must be no more than 253 characters"] },
  { check: dns1123SubdomainErrors, name: "subdomain", value: `${"a".repeat(250)}.b_d`, errors: ["must be no more than 253 characters", SUBDOMAIN_MSG] },
  { check: dns1123SubdomainErrors, name: "subdomain", value: "a..b", errors: [SUBDOMAIN_MSG] },
  { check: qualifiedNameErrors, name: "qualified name", value: "app.kubernetes.io_x-Y", errors: [] },
  { check: qualifiedNameErrors, name: "qualified name", value: "a".repeat(63), errors: [] },
  { check: qualifiedNameErrors, name: "qualified name", value: "a".repeat(64), errors: ["name part must be no more than 63 characters"] },
  { check: qualifiedNameErrors, name: "qualified name", value: "", errors: ["name part must be non-empty"] },
  { check: qualifiedNameErrors, name: "qualified name", value: "-a", errors: [NAME_PART_MSG] },
  { check: qualifiedNameErrors, name: "qualified name", value: "example.com/app", errors: [] },
  { check: qualifiedNameErrors, name: "qualified name", value: "/app", errors: ["prefix part must be non-empty"] },
  { check: qualifiedNameErrors, name: "qualified name", value: "Example.com/app", errors: [expect.stringMatching(/^prefix part a lowercase RFC 1123 subdomain/)] },
  { check: qualifiedNameErrors, name: "qualified name", value: "example.com/", errors: ["name part must be non-empty"] },
  { check: qualifiedNameErrors, name: "qualified name", value: "a/b/c", errors: [expect.stringContaining("a qualified name must consist of")] },
  { check: labelValueErrors, name: "label value", value: "", errors: [] },
  { check: labelValueErrors, name: "label value", value: "v1.2_b-C", errors: [] },
  { check: labelValueErrors, name: "label value", value: "a".repeat(64), errors: ["must be no more than 63 characters"] },
  { check: labelValueErrors, name: "label value", value: "a b", errors: [VALUE_MSG] },
  { check: dns1035LabelErrors, name: "DNS-1035 label", value: "reviews-v1", errors: [] },
  { check: dns1035LabelErrors, name: "DNS-1035 label", value: "1reviews", errors: [DNS1035_MSG] },
  { check: dns1035LabelErrors, name: "DNS-1035 label", value: `${"a".repeat(63)}-`, errors: ["must be no more than 63 characters", DNS1035_MSG] },
];

describe("name checks", () => {
  it.each(cases)("$name $value", ({ check, value, errors }) => {
    expect(check(value)).toEqual(errors);
  });
});
