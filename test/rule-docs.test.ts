import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { rules } from "../src/rules/index.js";
import { fixture, lintJson } from "./helpers.js";

/**
 * The examples in each rule's documentation page are its tests (the remark-lint way):
 *
 *   ```yaml mesh-lint-example invalid [install=demo] [namespace=ns] [mesh-config=REGISTRY_ONLY]
 *   ...manifests...
 *   ```
 *   ```text mesh-lint-expect
 *   12:9 error The message, exactly as mesh-lint prints it
 *   ```
 *
 * A `valid` example must get no message from the rule; an `invalid` one exactly the messages of the
 * `mesh-lint-expect` block that follows it (line:column severity message), in order.
 */
const DOCS = join(__dirname, "../docs/rules");

interface Example {
  kind: "valid" | "invalid";
  yaml: string;
  options: Record<string, string>;
  expect: string[];
  line: number;
}

function examples(markdown: string): Example[] {
  const found: Example[] = [];
  const fence = /^```(\w+)\s+mesh-lint-(example|expect)\b(.*)\n([\s\S]*?)^```\s*$/gm;
  for (let match = fence.exec(markdown); match; match = fence.exec(markdown)) {
    const [, , role, attributes, body] = match;
    const line = markdown.slice(0, match.index).split("\n").length;
    if (role === "example") {
      const words = attributes.trim().split(/\s+/).filter(Boolean);
      const kind = words[0] === "invalid" ? "invalid" : "valid";
      const options = Object.fromEntries(words.slice(1).map((word) => word.split("=") as [string, string]));
      found.push({ kind, yaml: body, options, expect: [], line });
    } else if (found.length > 0) {
      found[found.length - 1].expect = body.split("\n").filter((l) => l.trim());
    }
  }
  return found;
}

const pages = readdirSync(DOCS).filter((name) => name.endsWith(".md"));

describe("every rule has a documentation page with examples", () => {
  it.each(rules.map((rule) => rule.meta.id))("%s", (id) => {
    expect(pages).toContain(`${id}.md`);
    const page = readFileSync(join(DOCS, `${id}.md`), "utf8");
    const list = examples(page);
    expect(list.some((e) => e.kind === "valid"), "a correct example").toBe(true);
    expect(list.some((e) => e.kind === "invalid"), "an incorrect example").toBe(true);
  });
});

for (const page of pages) {
  const id = page.replace(/\.md$/, "");
  const markdown = readFileSync(join(DOCS, page), "utf8");
  describe(`docs/rules/${page}`, () => {
    it("names a rule that exists", () => {
      expect(rules.map((rule) => rule.meta.id)).toContain(id);
    });
    const list = examples(markdown);
    it.each(list.map((example) => [`${example.kind} example at line ${example.line}`, example] as const))("%s", async (_, example) => {
      const files: Record<string, string> = { "example.yaml": example.yaml };
      const args = ["example.yaml"];
      if (example.options.install) args.unshift("--install", example.options.install);
      if (example.options.namespace) args.unshift("--namespace", example.options.namespace);
      if (example.options["mesh-config"]) {
        files["mesh.yaml"] = `outboundTrafficPolicy:\n  mode: ${example.options["mesh-config"]}\n`;
        args.unshift("--mesh-config", "mesh.yaml");
      }
      const dir = fixture(files);
      const { results, stderr } = await lintJson(args, { cwd: dir });
      expect(stderr).toBe("");
      const got = results
        .flatMap((result) => result.messages)
        .filter((message) => message.ruleId === id)
        .map((message) => `${message.line}:${message.column} ${message.severity === 2 ? "error" : "warning"} ${message.message}`);
      expect(got).toEqual(example.kind === "valid" ? [] : example.expect);
    });
  });
}
