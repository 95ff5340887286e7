import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Discoverer } from "../src/load/discover.js";
import { fixture } from "./helpers.js";

/** A tree with ignore files at several depths, and files each layer does or does not ignore. */
const files: Record<string, string> = {
  ".gitignore": "generated/\n*.skip.yaml\n",
  "a.yaml": "",
  "x.skip.yaml": "",
  "generated/g.yaml": "",
  "m/.mesh-lintignore": "vendor/\nlocal.yaml\n!back.skip.yaml\n",
  "m/back.skip.yaml": "",
  "m/keep.skip.yaml": "",
  "m/local.yaml": "",
  "m/vendor/v.yaml": "",
  "m/deep/.gitignore": "/only-here.yaml\n",
  "m/deep/only-here.yaml": "",
  "m/deep/local.yaml": "",
  "m/deep/inner/only-here.yaml": "",
  "m/deep/inner/c.json": "{}",
  "other/b.yml": "",
  "other/generated.yaml": "",
  // Inside an ignored directory: its own negation cannot re-include it (as in git).
  "generated/.gitignore": "!g.yaml\n",
};

describe("discovery: a directory walk keeps exactly the files that are not ignored when named one by one", () => {
  const root = fixture(files);
  const cases: [string, { cwd: string; ignorePatterns: string[]; useIgnoreFiles: boolean; walk: string }][] = [
    ["ignore files at every depth", { cwd: root, ignorePatterns: [], useIgnoreFiles: true, walk: "." }],
    ["walking a subdirectory", { cwd: root, ignorePatterns: [], useIgnoreFiles: true, walk: "m" }],
    ["extra patterns too", { cwd: root, ignorePatterns: ["other/", "c.json"], useIgnoreFiles: true, walk: "." }],
    ["extra patterns have the last word", { cwd: root, ignorePatterns: ["back.skip.yaml", "!a.yaml"], useIgnoreFiles: true, walk: "." }],
    ["extra patterns only (--no-ignore)", { cwd: root, ignorePatterns: ["b.yml"], useIgnoreFiles: false, walk: "." }],
    ["working directory below the walked one", { cwd: join(root, "m"), ignorePatterns: [], useIgnoreFiles: true, walk: ".." }],
  ];
  it.each(cases)("%s", async (_, { walk, ...options }) => {
    const walked = (await new Discoverer(options).discover([walk])).files.map((file) => file.path);
    const manifests = Object.keys(files).filter((name) => /\.(ya?ml|json)$/.test(name)).map((name) => join(root, name));
    const kept: string[] = [];
    for (const path of manifests) {
      const [named] = (await new Discoverer(options).discover([path])).files;
      if (!named.ignoredExplicitly) kept.push(path);
    }
    expect(walked.sort()).toEqual(kept.filter((path) => path.startsWith(join(options.cwd, walk))).sort());
    // The walk ignores something in each case (the comparison is not vacuous).
    expect(walked.length).toBeLessThan(manifests.filter((path) => path.startsWith(join(options.cwd, walk))).length);
  });

  it("what the layers decide, spelled out", async () => {
    const found = (await new Discoverer({ cwd: root, ignorePatterns: [], useIgnoreFiles: true }).discover(["."])).files.map((file) => file.path.slice(root.length + 1));
    expect(found.sort()).toEqual(["a.yaml", "m/back.skip.yaml", "m/deep/inner/c.json", "m/deep/inner/only-here.yaml", "other/b.yml", "other/generated.yaml"]);
  });

  it.each([
    ["a deeper ignore file's negation re-includes what one above ignores", "m/back.skip.yaml", false],
    ["a pattern above still applies below", "m/keep.skip.yaml", true],
    ["a negation inside an ignored directory does not re-include", "generated/g.yaml", true],
  ])("%s (%s named on the command line)", async (_, name, ignored) => {
    const [named] = (await new Discoverer({ cwd: root, ignorePatterns: [], useIgnoreFiles: true }).discover([join(root, name)])).files;
    expect(Boolean(named.ignoredExplicitly)).toBe(ignored);
  });

  it("extra patterns win over the ignore files, both ways", async () => {
    const found = (await new Discoverer({ cwd: root, ignorePatterns: ["back.skip.yaml", "!x.skip.yaml"], useIgnoreFiles: true }).discover(["."])).files.map((file) => file.path.slice(root.length + 1));
    expect(found).toContain("x.skip.yaml");
    expect(found).not.toContain("m/back.skip.yaml");
  });
});
