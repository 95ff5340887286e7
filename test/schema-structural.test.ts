import { describe, expect, it } from "vitest";
import type { CelOutcome, CelRule } from "../src/schema/cel.js";
import { SchemaRegistry } from "../src/schema/registry.js";
import { compileStructural, formatFieldPath, toAjvSchema } from "../src/schema/structural.js";
import type { SchemaProblem } from "../src/schema/types.js";

// A fake CEL evaluator: a few rule texts with a known meaning, and one it "cannot evaluate".
const celCalls: string[] = [];
function fakeCel(rule: CelRule, self: unknown, fieldPath: string): CelOutcome {
  celCalls.push(`${fieldPath}:${rule.rule}`);
  const obj = self as Record<string, number>;
  switch (rule.rule) {
    case "self.a < self.b":
      return obj.a < obj.b ? { ok: true } : { ok: false, message: rule.message ?? "failed" };
    case "self.size() > 0":
      return (self as string).length > 0 ? { ok: true } : { ok: false, message: rule.message ?? "failed" };
    case "self == oldSelf":
      throw new Error("transition rules must not be evaluated on create");
    default:
      return { ok: "error", message: "unsupported" };
  }
}

const widgetSchema = {
  type: "object",
  required: ["spec"],
  properties: {
    spec: {
      type: "object",
      required: ["tier"],
      properties: {
        tier: { type: "string", enum: ["gold", "silver"], default: "gold" },
        replicas: { type: "integer", minimum: 0, maximum: 10 },
        mode: { type: "string", enum: ["A", "B"] },
        name: { type: "string", pattern: "^[a-z]+$", minLength: 1, maxLength: 5 },
        port: { "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] },
        extra: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
        tags: { type: "array", items: { type: "string" }, "x-kubernetes-list-type": "set", maxItems: 3 },
        ports: {
          type: "array",
          "x-kubernetes-list-type": "map",
          "x-kubernetes-list-map-keys": ["name"],
          items: {
            type: "object",
            required: ["name"],
            properties: { name: { type: "string" }, number: { type: "integer", format: "int32" } },
          },
        },
        ratio: { type: "number", nullable: true },
        labels: { type: "object", additionalProperties: { type: "string", maxLength: 3 } },
        when: { type: "string", format: "date-time" },
        data: { type: "string", format: "byte" },
        guarded: {
          type: "object",
          properties: { a: { type: "integer" }, b: { type: "integer" }, note: { type: "string" } },
          "x-kubernetes-validations": [
            { rule: "self.a < self.b", message: "a must be less than b" },
            { rule: "self.unknownFunction()", message: "never reported" },
            { rule: "self == oldSelf", message: "immutable" },
            { rule: "self.a < self.b", message: "b too small", fieldPath: ".b", reason: "FieldValueForbidden" },
          ],
        },
        host: { type: "string", "x-kubernetes-validations": [{ rule: "self.size() > 0", message: "host must not be empty" }] },
        choice: {
          type: "object",
          properties: { x: { type: "string" }, y: { type: "string" } },
          oneOf: [{ not: { anyOf: [{ required: ["x"] }, { required: ["y"] }] } }, { required: ["x"] }, { required: ["y"] }],
        },
      },
    },
    status: { type: "object", properties: { phase: { type: "string" } } },
  },
};

function widgetCrd(schema: Record<string, unknown> = widgetSchema) {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "widgets.test.example.com" },
    spec: {
      group: "test.example.com",
      names: { kind: "Widget", plural: "widgets" },
      scope: "Namespaced",
      versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: schema }, subresources: { status: {} } }],
    },
  };
}

function widget(spec: Record<string, unknown> | undefined, metadata: Record<string, unknown> = { name: "w", namespace: "default" }, extra: Record<string, unknown> = {}) {
  const obj: Record<string, unknown> = { apiVersion: "test.example.com/v1", kind: "Widget", metadata, ...extra };
  if (spec !== undefined) obj.spec = spec;
  return obj;
}

function widgetRegistry(): SchemaRegistry {
  const reg = new SchemaRegistry({ bundled: false, cel: fakeCel });
  expect(reg.addCustomResourceDefinition(widgetCrd())).toEqual([]);
  return reg;
}

interface Case {
  name: string;
  object: Record<string, unknown>;
  /** Expected problems: message substring and path; none for a valid object. */
  expect?: { message: string; path: (string | number)[]; source?: SchemaProblem["source"]; severity?: 1 | 2 }[];
}

const cases: Case[] = [
  { name: "valid object", object: widget({ replicas: 3, mode: "A", name: "abc", port: 80, tags: ["a", "b"], ports: [{ name: "http" }, { name: "grpc" }] }) },
  // type
  {
    name: "type: string where integer is declared",
    object: widget({ replicas: "three" }),
    expect: [{ message: 'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"', path: ["spec", "replicas"] }],
  },
  { name: "type: float where integer is declared", object: widget({ replicas: 1.5 }), expect: [{ message: "must be of type integer", path: ["spec", "replicas"] }] },
  { name: "type: whole float is an integer", object: widget({ replicas: 2.0 }) },
  // enum
  { name: "enum: supported value", object: widget({ mode: "B" }) },
  {
    name: "enum: unsupported value",
    object: widget({ mode: "FOO" }),
    expect: [{ message: 'spec.mode: Unsupported value: "FOO": supported values: "A", "B"', path: ["spec", "mode"] }],
  },
  // required
  { name: "required: list-map key missing", object: widget({ ports: [{ number: 80 }] }), expect: [{ message: "spec.ports[0].name: Required value", path: ["spec", "ports", 0, "name"] }] },
  // pattern
  {
    name: "pattern: mismatch",
    object: widget({ name: "ABC" }),
    expect: [{ message: `spec.name: Invalid value: "ABC": spec.name in body should match '^[a-z]+$'`, path: ["spec", "name"] }],
  },
  // min/max
  {
    name: "maximum",
    object: widget({ replicas: 150 }),
    expect: [{ message: "spec.replicas: Invalid value: 150: spec.replicas in body should be less than or equal to 10", path: ["spec", "replicas"] }],
  },
  { name: "minimum", object: widget({ replicas: -1 }), expect: [{ message: "spec.replicas in body should be greater than or equal to 0", path: ["spec", "replicas"] }] },
  {
    name: "minLength (and the pattern, both reported)",
    object: widget({ name: "" }),
    expect: [
      { message: 'spec.name: Invalid value: "": spec.name in body should be at least 1 chars long', path: ["spec", "name"] },
      { message: "spec.name in body should match", path: ["spec", "name"] },
    ],
  },
  { name: "maxLength", object: widget({ name: "abcdefg" }), expect: [{ message: "spec.name: Too long: may not be more than 5", path: ["spec", "name"] }] },
  { name: "maxItems", object: widget({ tags: ["a", "b", "c", "d"] }), expect: [{ message: "spec.tags: Too many: 4: must have at most 3 items", path: ["spec", "tags"] }] },
  // int-or-string
  { name: "int-or-string: integer", object: widget({ port: 8080 }) },
  { name: "int-or-string: string", object: widget({ port: "http" }) },
  { name: "int-or-string: boolean", object: widget({ port: true }), expect: [{ message: "spec.port in body must be of type integer,string", path: ["spec", "port"] }] },
  // defaults
  { name: "default fills a required field", object: widget({}) },
  { name: "default replaces a null", object: widget({ tier: null }) },
  { name: "a given value is still checked", object: widget({ tier: "bronze" }), expect: [{ message: 'spec.tier: Unsupported value: "bronze": supported values: "gold", "silver"', path: ["spec", "tier"] }] },
  // nullable
  { name: "nullable: null allowed", object: widget({ ratio: null }) },
  { name: "not nullable: null is dropped, not an error", object: widget({ replicas: null }) },
  // preserve-unknown-fields
  { name: "preserve-unknown-fields keeps anything", object: widget({ extra: { anything: { goes: [1, 2] } } }) },
  // additionalProperties maps
  { name: "map values validated", object: widget({ labels: { key: "toolong" } }), expect: [{ message: "spec.labels[key]: Too long", path: ["spec", "labels", "key"] }] },
  // formats
  { name: "format date-time: valid", object: widget({ when: "2024-01-02T03:04:05Z", data: "aGVsbG8=" }) },
  { name: "format date-time: invalid", object: widget({ when: "yesterday" }), expect: [{ message: 'spec.when in body must be of type date-time: "yesterday"', path: ["spec", "when"] }] },
  { name: "format byte: invalid", object: widget({ data: "not base64!" }), expect: [{ message: "must be of type byte", path: ["spec", "data"] }] },
  // list types
  { name: "list-type set: duplicate", object: widget({ tags: ["a", "b", "a"] }), expect: [{ message: 'spec.tags[2]: Duplicate value: "a"', path: ["spec", "tags", 2], source: "list" }] },
  {
    name: "list-type map: duplicate key",
    object: widget({ ports: [{ name: "http", number: 80 }, { name: "http", number: 81 }] }),
    expect: [{ message: 'spec.ports[1]: Duplicate value: {"name":"http"}', path: ["spec", "ports", 1], source: "list" }],
  },
  // oneOf
  { name: "oneOf: one set", object: widget({ choice: { x: "1" } }) },
  { name: "oneOf: both set", object: widget({ choice: { x: "1", y: "2" } }), expect: [{ message: "spec.choice in body must validate one and only one schema (oneOf)", path: ["spec", "choice"] }] },
  // spec required
  { name: "spec required", object: widget(undefined), expect: [{ message: "spec: Required value", path: ["spec"] }] },
  { name: "spec: null counts as absent", object: widget(null as unknown as Record<string, unknown>), expect: [{ message: "spec: Required value", path: ["spec"] }] },
  // metadata
  { name: "metadata.name required", object: widget({}, {}), expect: [{ message: "metadata.name: Required value", path: ["metadata", "name"], source: "apiserver" }] },
  { name: "metadata.generateName instead of name", object: widget({}, { generateName: "w-" }) },
  { name: "metadata.name not a DNS subdomain", object: widget({}, { name: "My_Widget" }), expect: [{ message: 'metadata.name: Invalid value: "My_Widget": a lowercase RFC 1123 subdomain', path: ["metadata", "name"] }] },
  { name: "metadata.name with dots is fine", object: widget({}, { name: "a.b-c" }) },
  { name: "metadata.namespace not a DNS label", object: widget({}, { name: "w", namespace: "a.b" }), expect: [{ message: 'metadata.namespace: Invalid value: "a.b": a lowercase RFC 1123 label', path: ["metadata", "namespace"] }] },
  { name: "labels: valid", object: widget({}, { name: "w", labels: { "app.kubernetes.io/name": "x", version: "v1", empty: "" } }) },
  { name: "labels: bad key", object: widget({}, { name: "w", labels: { "bad key": "x" } }), expect: [{ message: 'metadata.labels: Invalid value: "bad key": name part must consist', path: ["metadata", "labels", "bad key"] }] },
  { name: "labels: bad value", object: widget({}, { name: "w", labels: { app: "-x" } }), expect: [{ message: 'metadata.labels: Invalid value: "-x": a valid label must be an empty string', path: ["metadata", "labels", "app"] }] },
  { name: "labels: number value", object: widget({}, { name: "w", labels: { version: 1 } }), expect: [{ message: "cannot unmarshal number", path: ["metadata", "labels", "version"] }] },
  { name: "annotations: bad key", object: widget({}, { name: "w", annotations: { "a/b/c": "x" } }), expect: [{ message: "metadata.annotations: Invalid value", path: ["metadata", "annotations", "a/b/c"] }] },
  {
    name: "metadata: unknown field",
    object: widget({}, { name: "w", lables: {} }),
    expect: [{ message: 'unknown field "metadata.lables"', path: ["metadata", "lables"], source: "unknown-field", severity: 1 }],
  },
  // unknown fields
  {
    name: "unknown field with a suggestion",
    object: widget({ replica: 3 }),
    expect: [{ message: 'unknown field "spec.replica"; the API server drops it. Did you mean "replicas"?', path: ["spec", "replica"], source: "unknown-field", severity: 1 }],
  },
  {
    name: "unknown field inside a list item",
    object: widget({ ports: [{ name: "a", nubmer: 1 }] }),
    expect: [{ message: 'unknown field "spec.ports[0].nubmer"; the API server drops it. Did you mean "number"?', path: ["spec", "ports", 0, "nubmer"], source: "unknown-field", severity: 1 }],
  },
  { name: "unknown field without a close sibling", object: widget({ zzzzzzzz: 1 }), expect: [{ message: 'unknown field "spec.zzzzzzzz"; the API server drops it.', path: ["spec", "zzzzzzzz"], source: "unknown-field", severity: 1 }] },
  { name: "unknown top-level field", object: widget({}, undefined, { specs: {} }), expect: [{ message: 'Did you mean "spec"?', path: ["specs"], source: "unknown-field", severity: 1 }] },
  {
    name: "misspelt metadata at the top level",
    object: { apiVersion: "test.example.com/v1", kind: "Widget", metdata: { name: "w" }, spec: {} },
    expect: [
      { message: 'unknown field "metdata"; the API server drops it. Did you mean "metadata"?', path: ["metdata"], source: "unknown-field", severity: 1 },
      { message: "metadata.name: Required value", path: ["metadata", "name"], source: "apiserver" },
    ],
  },
  { name: "status is reset on create, not validated", object: widget({}, undefined, { status: { phase: 1, whatever: true } }) },
  // CEL
  { name: "CEL: rule holds", object: widget({ guarded: { a: 1, b: 2 } }) },
  {
    name: "CEL: rule fails",
    object: widget({ guarded: { a: 3, b: 2 } }),
    expect: [
      { message: 'spec.guarded: Invalid value: "object": a must be less than b', path: ["spec", "guarded"], source: "cel" },
      { message: "spec.guarded.b: Forbidden: b too small", path: ["spec", "guarded", "b"], source: "cel" },
    ],
  },
  { name: "CEL: scalar rule fails", object: widget({ host: "" }), expect: [{ message: 'spec.host: Invalid value: "string": host must not be empty', path: ["spec", "host"], source: "cel" }] },
  { name: "CEL: not run on absent fields", object: widget({ replicas: 1 }) },
  { name: "CEL: not run where the type is wrong", object: widget({ guarded: "oops" }), expect: [{ message: "must be of type object", path: ["spec", "guarded"] }] },
];

describe("structural validation (runtime CRD, fake CEL)", () => {
  const reg = widgetRegistry();
  it.each(cases)("$name", ({ object, expect: expected }) => {
    const problems = reg.validate(object);
    if (!expected) {
      expect(problems).toEqual([]);
      return;
    }
    for (const want of expected) {
      const hit = problems.find((p) => p.message.includes(want.message) && JSON.stringify(p.path) === JSON.stringify(want.path));
      expect(hit, `expected ${JSON.stringify(want)} among ${JSON.stringify(problems, null, 1)}`).toBeDefined();
      if (want.source) expect(hit!.source).toBe(want.source);
      expect(hit!.severity).toBe(want.severity ?? 2);
    }
    expect(problems.length).toBe(expected.length);
  });
});

describe("CEL integration details", () => {
  it("skips rules the evaluator cannot evaluate, counting them", () => {
    const reg = widgetRegistry();
    expect(reg.validate(widget({ guarded: { a: 1, b: 2 } }))).toEqual([]);
    expect(reg.celStats.celSkipped).toBe(1);
    expect(reg.celStats.celEvaluated).toBe(2);
  });

  it("never evaluates transition rules (oldSelf) on create and skips objects without rule-bearing fields", () => {
    const reg = widgetRegistry();
    celCalls.length = 0;
    reg.validate(widget({ replicas: 1, tags: ["a"], labels: { a: "b" } }));
    expect(celCalls).toEqual([]);
    reg.validate(widget({ guarded: { a: 1, b: 2 } }));
    expect(celCalls.some((c) => c.includes("oldSelf"))).toBe(false);
    expect(celCalls.every((c) => c.startsWith("spec.guarded:"))).toBe(true);
  });

  it("runs CEL on the pruned object", () => {
    let seen: unknown;
    const v = compileStructural(widgetSchema, {
      cel: (rule, self) => {
        if (rule.rule === "self.a < self.b") seen = self;
        return { ok: true };
      },
    });
    v.validate(widget({ guarded: { a: 1, b: 2, bogus: 3 } }));
    expect(seen).toEqual({ a: 1, b: 2 });
  });

  // What `self` is at each rule-bearing node: the root sees the envelope (apiVersion, kind,
  // metadata) with the pruned body; nested nodes see their own value.
  const selfCases: { name: string; schema: Record<string, unknown>; object: Record<string, unknown>; expect: Record<string, unknown> }[] = [
    {
      name: "root rule",
      schema: { type: "object", properties: { spec: { type: "object", properties: { a: { type: "integer" } } } }, "x-kubernetes-validations": [{ rule: "r" }] },
      object: { apiVersion: "test.example.com/v1", kind: "Widget", metadata: { name: "w" }, spec: { a: 1, junk: 2 } },
      expect: { "": { spec: { a: 1 }, apiVersion: "test.example.com/v1", kind: "Widget", metadata: { name: "w" } } },
    },
    {
      name: "root map schema",
      schema: { type: "object", additionalProperties: { type: "object", "x-kubernetes-validations": [{ rule: "r" }] } },
      object: { apiVersion: "test.example.com/v1", kind: "Widget", metadata: { name: "w" }, spec: { a: 1 } },
      // The map schema applies to the envelope's fields too (spec's `a` is pruned: no schema declares it).
      expect: { "[spec]": {}, "[apiVersion]": "test.example.com/v1", "[kind]": "Widget", "[metadata]": { name: "w" } },
    },
    {
      name: "nested rules only",
      schema: {
        type: "object",
        properties: {
          spec: {
            type: "object",
            properties: { a: { type: "object", properties: { x: { type: "integer" } }, "x-kubernetes-validations": [{ rule: "r" }] }, b: { type: "string" } },
          },
        },
      },
      object: { apiVersion: "test.example.com/v1", kind: "Widget", metadata: { name: "w" }, spec: { a: { x: 1 }, b: "c" } },
      expect: { "spec.a": { x: 1 } },
    },
  ];
  it.each(selfCases)("binds self at each node: $name", ({ schema, object, expect: want }) => {
    const seen: Record<string, unknown> = {};
    const v = compileStructural(schema, {
      cel: (_rule, self, fieldPath) => {
        seen[fieldPath] = self;
        return { ok: true };
      },
    });
    v.validate(object);
    expect(seen).toEqual(want);
  });
});

describe("bundled Istio schemas", () => {
  it("reports a warmup percentage above 100 like kubectl", () => {
    const reg = new SchemaRegistry();
    const problems = reg.validate({
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name: "r" },
      spec: { host: "ratings", trafficPolicy: { loadBalancer: { warmup: { duration: "300s", minimumPercent: 150 } } } },
    });
    expect(problems.map((p) => p.message)).toContain(
      "spec.trafficPolicy.loadBalancer.warmup.minimumPercent: Invalid value: 150: spec.trafficPolicy.loadBalancer.warmup.minimumPercent in body should be less than or equal to 100",
    );
  });

  it("suggests a sibling for a misspelt field", () => {
    const reg = new SchemaRegistry();
    const problems = reg.validate({
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "vs" },
      spec: { hosts: ["a"], http: [{ route: [{ destination: { host: "a", subsets: "v1" } }] }] },
    });
    expect(problems).toEqual([
      {
        path: ["spec", "http", 0, "route", 0, "destination", "subsets"],
        severity: 1,
        source: "unknown-field",
        message: 'unknown field "spec.http[0].route[0].destination.subsets"; the API server drops it. Did you mean "subset"?',
      },
    ]);
  });

  it("reports an unknown version of a known kind as kubectl does", () => {
    const reg = new SchemaRegistry();
    expect(reg.knows("networking.istio.io/v2", "VirtualService")).toBe(false);
    expect(reg.judges("networking.istio.io/v2", "VirtualService")).toBe(true);
    const problems = reg.validate({ apiVersion: "networking.istio.io/v2", kind: "VirtualService", metadata: { name: "x" }, spec: {} });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: ["apiVersion"], severity: 2, source: "apiserver" });
    expect(problems[0].message).toContain('no matches for kind "VirtualService" in version "networking.istio.io/v2"');
  });

  it("reports an unknown kind of an Istio group with a suggestion", () => {
    const reg = new SchemaRegistry();
    const problems = reg.validate({ apiVersion: "networking.istio.io/v1", kind: "VirtualServce", metadata: { name: "x" } });
    expect(problems[0].message).toBe('no matches for kind "VirtualServce" in version "networking.istio.io/v1"; did you mean "VirtualService"?');
  });

  it("leaves kinds it does not know alone", () => {
    const reg = new SchemaRegistry();
    expect(reg.knows("v1", "Service")).toBe(false);
    expect(reg.validate({ apiVersion: "v1", kind: "Service", metadata: {} })).toEqual([]);
    expect(reg.validate({ apiVersion: "apps/v1", kind: "Deployment", metadata: {} })).toEqual([]);
  });

  it("compiles lazily, once per kind and version", () => {
    const reg = new SchemaRegistry();
    expect(reg.knows("networking.istio.io/v1", "DestinationRule")).toBe(true);
    expect(reg.knows("networking.istio.io/v1beta1", "Gateway")).toBe(true);
    expect(reg.compiled).toBe(0);
    const dr = { apiVersion: "networking.istio.io/v1", kind: "DestinationRule", metadata: { name: "a" }, spec: { host: "a" } };
    expect(reg.validate(dr)).toEqual([]);
    expect(reg.compiled).toBe(1);
    reg.validate(dr);
    expect(reg.compiled).toBe(1);
    reg.validate({ ...dr, apiVersion: "networking.istio.io/v1beta1" });
    expect(reg.compiled).toBe(2);
  });

  it("lets a CRD met in the input take precedence over the bundled schema", () => {
    const reg = new SchemaRegistry();
    const object = { apiVersion: "networking.istio.io/v1", kind: "DestinationRule", metadata: { name: "a" }, spec: { host: "a", custom: 1 } };
    expect(reg.validate(object).map((p) => p.source)).toEqual(["unknown-field"]);
    const errors = reg.addCustomResourceDefinition({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      spec: {
        group: "networking.istio.io",
        names: { kind: "DestinationRule", plural: "destinationrules" },
        scope: "Namespaced",
        versions: [
          {
            name: "v1",
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", required: ["custom"], properties: { custom: { type: "string" }, host: { type: "string" } } } } } },
          },
        ],
      },
    });
    expect(errors).toEqual([]);
    const problems = reg.validate(object);
    expect(problems.map((p) => p.message)).toEqual(['spec.custom: Invalid value: "integer": spec.custom in body must be of type string: "integer"']);
    // The runtime CRD serves only v1: v1beta1 no longer exists.
    expect(reg.validate({ ...object, apiVersion: "networking.istio.io/v1beta1" })[0].message).toContain("no matches for kind");
  });

  // The registry remembers what it looked up for an apiVersion and kind; adding a CRD must be seen
  // by the next lookup of every pair, asked before or not.
  const lookupCases: { apiVersion: string; kind: string; before: boolean; after: boolean }[] = [
    { apiVersion: "test.example.com/v1", kind: "Widget", before: false, after: true },
    { apiVersion: "test.example.com/v2", kind: "Widget", before: false, after: false },
    { apiVersion: "test.example.com/v1", kind: "Gadget", before: false, after: false },
    { apiVersion: "networking.istio.io/v1", kind: "DestinationRule", before: true, after: true },
  ];
  it.each(lookupCases)("sees a CRD added after a lookup: $apiVersion $kind", ({ apiVersion, kind, before, after }) => {
    const reg = new SchemaRegistry({ cel: fakeCel });
    expect(reg.knows(apiVersion, kind)).toBe(before);
    expect(reg.judges(apiVersion, kind)).toBe(before);
    expect(reg.addCustomResourceDefinition(widgetCrd())).toEqual([]);
    expect(reg.knows(apiVersion, kind)).toBe(after);
    expect(reg.judges(apiVersion, kind)).toBe(apiVersion.startsWith("test.") || after);
  });

  it("rejects an unusable CRD", () => {
    const reg = new SchemaRegistry({ bundled: false });
    expect(reg.addCustomResourceDefinition({ kind: "CustomResourceDefinition" })).toEqual(["spec: Required value"]);
    expect(reg.addCustomResourceDefinition({ spec: { names: {} } }).length).toBeGreaterThan(1);
    expect(reg.knows("test.example.com/v1", "Widget")).toBe(false);
  });
});

describe("helpers", () => {
  it("formats field paths like the API server", () => {
    expect(formatFieldPath(["spec", "http", 0, "route", 1, "weight"])).toBe("spec.http[0].route[1].weight");
    expect(formatFieldPath([])).toBe("<root>");
  });

  it("turns int-or-string and nullable into JSON Schema types", () => {
    expect(toAjvSchema({ "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] })).toEqual({ type: ["integer", "string"] });
    expect(toAjvSchema({ type: "string", nullable: true, enum: ["A"] })).toEqual({ type: ["string", "null"], enum: ["A", null] });
    expect(toAjvSchema({ type: "integer", format: "int32" })).toEqual({ type: "integer" });
  });
});
