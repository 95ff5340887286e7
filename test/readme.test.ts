import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { rules } from "../src/rules/index.js";
import { withRulesTable } from "../src/rules/table.js";

describe("README", () => {
  const readme = readFileSync(join(__dirname, "../README.md"), "utf8");
  it("has the rules table the registry generates (run `npm run docs` after changing a rule's meta)", () => {
    expect(withRulesTable(readme, rules)).toBe(readme);
  });
  it("shows the Quick start commands and the test command", () => {
    expect(readme).toContain("npm ci && npx mesh-lint examples/");
    expect(readme).toMatch(/^npm test\b/m);
  });
});
