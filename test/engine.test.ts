import { describe, expect, it } from "vitest";
import { lint } from "../src/engine/lint.js";
import { DEFAULT_MESH } from "../src/model/mesh.js";
import { rules } from "../src/rules/index.js";
import type { Rule } from "../src/rules/types.js";
import { fixture } from "./helpers.js";

/** A rule with a bug: it reports once, then throws. */
const broken: Rule = {
  meta: { id: "broken", description: "throws", severity: "error", url: "", istioCodes: [], inputs: [], messages: { m: "never shown" } },
  check(context) {
    context.report({ messageId: "m", resource: context.model.resources[0] });
    throw new TypeError("x.charCodeAt is not a function");
  },
};

describe("engine: a rule that throws costs its own messages only", () => {
  it("the other rules' messages are all there, and the failure is returned", async () => {
    const dir = fixture({
      "dr.yaml": "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec:\n  host: r\n  trafficPolicy: {tls: {mode: MUTUAL_TLS}}\n",
    });
    const base = { cwd: dir, patterns: ["."], contextPatterns: [], ignorePatterns: [], useIgnoreFiles: false, namespace: "default", mesh: { ...DEFAULT_MESH }, ruleSeverities: {}, crdFiles: [] };
    const alone = await lint({ ...base, rules });
    const withBroken = await lint({ ...base, rules: [broken, ...rules] });
    expect(withBroken.failures.map((failure) => [failure.ruleId, String(failure.error)])).toEqual([["broken", "TypeError: x.charCodeAt is not a function"]]);
    expect(alone.failures).toEqual([]);
    const messages = (output: typeof alone) => output.results.flatMap((result) => result.messages.map((m) => `${m.line}:${m.column} ${m.ruleId}`));
    expect(messages(withBroken)).toEqual(messages(alone));
    expect(messages(alone).length).toBeGreaterThan(0);
  });
});
