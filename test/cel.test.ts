import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { compileCelRule, evaluateCelRule, type CelOutcome, type CelRule } from "../src/schema/cel.js";

const here = dirname(fileURLToPath(import.meta.url));
const CRD_FILE = resolve(here, "../../shared/istio-crds/crd-all.gen.yaml");
const haveCrds = existsSync(CRD_FILE);

function collectRules(): Map<string, CelRule> {
  const rules = new Map<string, CelRule>();
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) {
      n.forEach(walk);
    } else if (n !== null && typeof n === "object") {
      for (const [k, v] of Object.entries(n)) {
        if (k === "x-kubernetes-validations" && Array.isArray(v)) {
          for (const r of v as CelRule[]) if (!rules.has(r.rule)) rules.set(r.rule, r);
        }
        walk(v);
      }
    }
  };
  for (const doc of parseAllDocuments(readFileSync(CRD_FILE, "utf8"))) walk(doc.toJS());
  return rules;
}

const ev = (rule: string, self: unknown, message?: string): CelOutcome =>
  evaluateCelRule({ rule, message }, self, "spec.x");

describe("Istio CRD CEL rules", () => {
  it.skipIf(!haveCrds)("compiles every distinct x-kubernetes-validations rule", () => {
    const rules = collectRules();
    const failures: string[] = [];
    for (const rule of rules.keys()) {
      const err = compileCelRule(rule);
      if (err !== undefined) failures.push(`${rule}\n  -> ${err}`);
    }
    console.log(`CEL: ${rules.size - failures.length}/${rules.size} distinct CRD rules compile`);
    expect(rules.size).toBeGreaterThan(20);
    expect(failures).toEqual([]);
  });
  if (!haveCrds) console.warn(`skipping CRD rule compilation test: ${CRD_FILE} not found`);
});

describe("evaluateCelRule outcomes and messages", () => {
  it("returns ok for a true rule", () => {
    expect(ev("self > 1", 2)).toEqual({ ok: true });
  });
  it("uses message, then the API server's default", () => {
    expect(ev("self > 1", 0, "too small")).toEqual({ ok: false, message: "too small" });
    expect(ev("self > 1", 0)).toEqual({ ok: false, message: "failed rule: self > 1" });
    expect(evaluateCelRule({ rule: "self > 1", message: "  padded  " }, 0, "x")).toEqual({ ok: false, message: "padded" });
  });
  it("evaluates messageExpression", () => {
    expect(
      evaluateCelRule({ rule: "self > 1", messageExpression: "'got ' + string(self)" }, 0, "x"),
    ).toEqual({ ok: false, message: "got 0" });
    // A failing messageExpression falls back to message / default.
    expect(evaluateCelRule({ rule: "self > 1", messageExpression: "self.nope", message: "m" }, 0, "x")).toEqual({
      ok: false,
      message: "m",
    });
  });
  it("reports uncompilable rules as errors, not failures", () => {
    expect(ev("self >", 1).ok).toBe("error");
    expect(ev("noSuchFunc(self)", 1).ok).toBe("error");
    expect(ev("self.noSuchMethod()", "a").ok).toBe("error");
    expect(ev("other > 1", 1).ok).toBe("error");
    expect(compileCelRule("self.all(k, k.size() > 0)")).toBeUndefined();
  });
  it("reports a non-bool result as error", () => {
    expect(ev("self", 1).ok).toBe("error");
  });
  it("skips transition rules (oldSelf)", () => {
    expect(ev("self == oldSelf", 1)).toEqual({ ok: true });
  });
  it("caches compiled programs (same result across many evaluations)", () => {
    for (let i = 0; i < 1000; i++) expect(ev("0 < self && self <= 65535", i + 1).ok).toBe(true);
  });
  it("missing keys are runtime errors the server rejects", () => {
    const r = ev("self.value != ''", {});
    expect(r.ok).toBe(false);
    expect(r).toEqual({ ok: false, message: "no such key: value evaluating rule: self.value != ''" });
  });
});

type Case = [self: unknown, expected: boolean | "error"];
const table: Record<string, Case[]> = {
  "duration(self) >= duration('1ms')": [
    ["1s", true],
    ["1ms", true],
    ["0.5ms", false],
    ["999us", false],
    ["1h2m3.5s", true],
    ["300ms", true],
    [".5s", true],
    ["1.5h", true],
    ["0", false],
    ["-1s", false],
    ["1000000ns", true],
    ["1µs", false],
  ],
  '!self.contains("*")': [
    ["foo", true],
    ["fo*", false],
    ["", true],
  ],
  'self.all(key, !key.contains("*"))': [
    [{ app: "x" }, true],
    [{ "a*": "x" }, false],
    [{}, true],
  ],
  "self.all(key, key.size() != 0)": [
    [{ a: "1", b: "2" }, true],
    [{ "": "1" }, false],
  ],
  "0 < self && self <= 65535": [
    [1, true],
    [65535, true],
    [0, false],
    [65536, false],
    [-1, false],
  ],
  "(has(self.selector) ? 1 : 0) + (has(self.targetRef) ? 1 : 0) + (has(self.targetRefs) ? 1 : 0) <= 1": [
    [{}, true],
    [{ selector: {} }, true],
    [{ targetRef: { kind: "Gateway" } }, true],
    [{ selector: { matchLabels: { a: "b" } }, targetRefs: [] }, false],
    [{ selector: {}, targetRef: {}, targetRefs: [] }, false],
  ],
  'url(self).getScheme() in ["http", "https"]': [
    ["https://example.com/jwks", true],
    ["http://example.com:8080/jwks?x=1", true],
    ["HTTPS://EXAMPLE.com", true],
    ["ftp://example.com", false],
    ["example.com/jwks", false], // not a request URI: url() errors, server rejects
    ["", false],
  ],
  'isURL(self) ? (url(self).getScheme() in ["", "http", "https", "file", "oci"]) : (isURL("http://" + self) &&\nurl("http://" + self).getScheme() in ["", "http", "https", "file", "oci"])': [
    ["oci://ghcr.io/istio/wasm:1.0", true],
    ["https://example.com/filter.wasm", true],
    ["file:///opt/filter.wasm", true],
    ["ghcr.io/istio/wasm", true],
    ["/opt/filter.wasm", true],
    ["s3://bucket/filter.wasm", false],
    ["localhost:5000/filter", false], // Go parses "localhost" as the scheme
  ],
  'self.startsWith("unix://") ? (self.substring(7, 8) == "/" || self.substring(7, 8) == "@") : true': [
    ["unix:///var/run/sock", true],
    ["unix://@abstract", true],
    ["unix://relative", false],
    ["10.0.0.1", true],
    ["unix://", false], // substring out of range: runtime error, server rejects
  ],
  'self.startsWith("unix://") ? !self.endsWith("/") : true': [
    ["unix:///var/run/", false],
    ["unix:///var/run/sock", true],
    ["1.2.3.4", true],
  ],
  '(has(self.address) ? self.address : "").startsWith("unix://") ? !has(self.ports) : true': [
    [{ address: "unix:///sock" }, true],
    [{ address: "unix:///sock", ports: { http: 80 } }, false],
    [{ address: "1.1.1.1", ports: { http: 80 } }, true],
    [{ ports: { http: 80 } }, true],
  ],
  "self.all(l1, self.exists_one(l2, l1.number == l2.number))": [
    [[{ number: 80 }, { number: 443 }], true],
    [[{ number: 80 }, { number: 80 }], false],
    [[], true],
  ],
  'self.all(key, size(key) < 63 && key.matches("^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$"))': [
    [{ http: 80, "http-alt": 8080 }, true],
    [{ "-bad": 1 }, false],
    [{ "bad-": 1 }, false],
    [{ ["a".repeat(63)]: 1 }, false],
    [{ ["a".repeat(62)]: 1 }, true],
  ],
  "self.all(key, 0 < int(key) && int(key) <= 65535)": [
    [{ "8080": { mode: "STRICT" } }, true],
    [{ "0": {} }, false],
    [{ "70000": {} }, false],
    [{ http: {} }, false], // int("http") is a runtime error: server rejects
    [{ " 80": {} }, false], // Go's ParseInt rejects spaces
  ],
  'has(self.context) ? ((self.context == "WAYPOINT") ? has(self.waypoint) : !has(self.waypoint)) : !has(self.waypoint)': [
    [{ context: "WAYPOINT", waypoint: {} }, true],
    [{ context: "WAYPOINT" }, false],
    [{ context: "SIDECAR_INBOUND", waypoint: {} }, false],
    [{ waypoint: {} }, false],
    [{}, true],
  ],
  "has(self.wasm) != has(self.lua)": [
    [{ wasm: {} }, true],
    [{ lua: {} }, true],
    [{}, false],
    [{ wasm: {}, lua: {} }, false],
  ],
  '!((has(self.addresses) ? self.addresses : []).exists(k, k.contains("/")) && !((has(self.resolution) ? self.resolution : "NONE") in ["STATIC", "NONE"]))': [
    [{ addresses: ["10.0.0.0/8"] }, true],
    [{ addresses: ["10.0.0.0/8"], resolution: "DNS" }, false],
    [{ addresses: ["10.0.0.1"], resolution: "DNS" }, true],
  ],
  '((has(self.resolution) ? self.resolution : "") == "DNS_ROUND_ROBIN") ? ((has(self.endpoints) ? self.endpoints : []).size() <= 1) : true': [
    [{ resolution: "DNS_ROUND_ROBIN", endpoints: [{}, {}] }, false],
    [{ resolution: "DNS_ROUND_ROBIN", endpoints: [{}] }, true],
    [{ resolution: "DNS", endpoints: [{}, {}] }, true],
  ],
  'has(self.portLevelMtls) ? (((has(self.selector) && has(self.selector.matchLabels)) ? self.selector.matchLabels : {}).size() > 0) : true': [
    [{ portLevelMtls: { "80": {} } }, false],
    [{ portLevelMtls: { "80": {} }, selector: { matchLabels: { app: "a" } } }, true],
    [{ portLevelMtls: { "80": {} }, selector: { matchLabels: {} } }, false],
    [{}, true],
  ],
  '((has(self.operation) ? self.operation : "") == "UPSERT") ? (self.value != "") : true': [
    [{ operation: "UPSERT", value: "x" }, true],
    [{ operation: "UPSERT", value: "" }, false],
    [{ operation: "UPSERT" }, false], // no such key: server rejects
    [{ operation: "REMOVE" }, true],
  ],
  'self in ["", "HTTP", "HTTPS"]': [
    ["HTTP", true],
    ["http", false],
  ],
  'self != "*"': [
    ["*", false],
    ["*.example.com", true],
  ],
  "self.size() == 0": [
    ["", true],
    ["ns", false],
  ],
};

describe("outcomes on scalar values are remembered per rule", () => {
  // Each rule object is evaluated twice on each value: the second outcome must equal the first,
  // and rules with the same text but other messages keep their own outcomes.
  const cases: { rule: CelRule; values: unknown[]; expect: CelOutcome[] }[] = [
    {
      rule: { rule: "duration(self) >= duration('1ms')" },
      values: ["5s", "0.5ms", "nonsense", "5s"],
      expect: [
        { ok: true },
        { ok: false, message: "failed rule: duration(self) >= duration('1ms')" },
        { ok: false, message: expect.stringContaining("evaluating rule: duration(self) >= duration('1ms')") as unknown as string },
        { ok: true },
      ],
    },
    { rule: { rule: "duration(self) >= duration('1ms')", message: "too short" }, values: ["0.5ms"], expect: [{ ok: false, message: "too short" }] },
    { rule: { rule: "self > 1", messageExpression: "'got ' + string(self)" }, values: [0, 2, 0], expect: [{ ok: false, message: "got 0" }, { ok: true }, { ok: false, message: "got 0" }] },
    { rule: { rule: "self == 1" }, values: [1, "1", true, null], expect: [{ ok: true }, expect.objectContaining({ ok: false }), expect.objectContaining({ ok: false }), expect.objectContaining({ ok: false })] },
  ];
  it.each(cases)("$rule.rule on $values", ({ rule, values, expect: want }) => {
    for (let round = 0; round < 2; round++) {
      expect(values.map((v) => evaluateCelRule(rule, v, "x"))).toEqual(want);
    }
  });
  it("evaluates objects each time (they are not remembered)", () => {
    const rule = { rule: "self.a > 1" };
    const value = { a: 2 };
    expect(evaluateCelRule(rule, value, "x")).toEqual({ ok: true });
    value.a = 0;
    expect(evaluateCelRule(rule, { ...value }, "x")).toEqual({ ok: false, message: "failed rule: self.a > 1" });
  });
});

describe("rule families from the Istio CRDs", () => {
  for (const [rule, cases] of Object.entries(table)) {
    describe(rule.replace(/\n/g, " "), () => {
      for (const [self, expected] of cases) {
        it(`${JSON.stringify(self)} -> ${String(expected)}`, () => {
          const r = evaluateCelRule({ rule }, self, "spec.x");
          expect(r.ok, JSON.stringify(r)).toBe(expected === "error" ? "error" : expected);
        });
      }
    });
  }
});

describe("Kubernetes server error texts", () => {
  it("invalid durations are rejections mentioning the duration conversion", () => {
    for (const bad of ["abc", "", "1", "1d", "5xxx", "1.2.3s", "+", "-", ".s"]) {
      const r = evaluateCelRule(
        { rule: "duration(self) >= duration('1ms')", message: "must be a valid duration greater than 1ms" },
        bad,
        "spec.timeout",
      );
      expect(r).toEqual({
        ok: false,
        message:
          "type conversion error from 'string' to 'google.protobuf.Duration' evaluating rule: must be a valid duration greater than 1ms",
      });
    }
  });
  it("url() on a non-URL is a rejection mentioning the URL parse error", () => {
    const r = ev('url(self).getScheme() in ["http", "https"]', "example.com/x", "url must have scheme");
    expect(r.ok).toBe(false);
    if (r.ok === false) expect(r.message).toMatch(/^URL parse error during conversion from string: .* evaluating rule: url must have scheme$/);
  });
});

describe("CEL extensions", () => {
  const t = (rule: string, self: unknown = null) => ev(rule, self);
  it.each([
    ["duration('1h2m3.5s') == duration('3723500ms')"],
    ["duration('1m') > duration('59s')"],
    ["duration('-1.5h') < duration('0')"],
    ["url('https://user@[::1]:8443/a%20b?x=1&x=2&y=').getHostname() == '::1'"],
    ["url('https://[::1]:8443/a').getHost() == '[::1]:8443'"],
    ["url('https://example.com:8443/a').getPort() == '8443'"],
    ["url('https://example.com/a%20b').getEscapedPath() == '/a%20b'"],
    ["url('https://example.com/p?x=1&x=2&y=').getQuery() == {'x': ['1', '2'], 'y': ['']}"],
    ["isURL('https://example.com') && !isURL('example.com') && !isURL('')"],
    ["'AbC'.lowerAscii() == 'abc' && 'AbC'.upperAscii() == 'ABC'"],
    ["'a,b,c'.split(',') == ['a', 'b', 'c'] && ['a', 'b'].join('-') == 'a-b'"],
    ["'  x '.trim() == 'x' && 'hello'.indexOf('l') == 2 && 'hello'.lastIndexOf('l') == 3"],
    ["'hello'.replace('l', 'L') == 'heLLo' && 'hello'.substring(1, 3) == 'el'"],
    ["'%s-%d'.format(['a', 1]) == 'a-1'"],
    ["'abc'.matches('b') && !'abc'.matches('^b$')"],
    ["'a1b22'.find('[0-9]+') == '1' && 'a1b22'.findAll('[0-9]+') == ['1', '22']"],
    ["[1, 2, 3].isSorted() && ![3, 1].isSorted() && ['a', 'b'].isSorted()"],
    ["[1, 2, 3].sum() == 6 && [4, 2].min() == 2 && [4, 2].max() == 4"],
    ["[1, 2, 1].indexOf(1) == 0 && [1, 2, 1].lastIndexOf(1) == 2"],
    ["sets.contains([1, 2, 3], [2]) && sets.intersects([1], [1, 5]) && sets.equivalent([1, 2], [2, 1])"],
    ["int('42') == 42 && int('-7') == -7"],
    ["[1, 2].exists_one(x, x == 2) && size('abc') == 3"],
  ])("%s", (rule) => {
    expect(t(rule)).toEqual({ ok: true });
  });
  it("RE2 syntax: a constant non-RE2 pattern (lookahead) is a compile error", () => {
    expect(compileCelRule("self.matches('(?=a)')")).toMatch(/invalid regex/);
    expect(ev("self.matches('(?=a)')", "a").ok).toBe("error");
  });
  it("RE2 syntax: a bad dynamic pattern is a runtime error (rejection)", () => {
    expect(ev("'a'.matches(self)", "(?=a)").ok).toBe(false);
  });
  it("numbers: integral → int, fractional → double, mixed comparisons work", () => {
    expect(ev("self == 150", 150)).toEqual({ ok: true });
    expect(ev("self > 100", 150.5)).toEqual({ ok: true });
    expect(ev("self <= 100.0", 50)).toEqual({ ok: true });
    expect(ev("type(self) == int", 3)).toEqual({ ok: true });
    expect(ev("type(self) == double", 3.5)).toEqual({ ok: true });
  });
  it("schema hint types `number` fields as double", () => {
    const r = evaluateCelRule({ rule: "type(self.p) == double && self.p * 2.0 == 300.0" }, { p: 150 }, "x", {
      schema: { type: "object", properties: { p: { type: "number" } } },
    });
    expect(r).toEqual({ ok: true });
  });
  it("maps from additionalProperties iterate keys", () => {
    expect(ev("self.all(k, k in ['a', 'b']) && self.size() == 2 && self['a'] == 1", { a: 1, b: 2 })).toEqual({ ok: true });
  });
});
