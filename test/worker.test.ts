import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { lint, type LintOptions } from "../src/engine/lint.js";
import { loadInput, workerThreshold } from "../src/engine/load-stage.js";
import type { LoadWorkerInput, LoadWorkerMessage, ValidatedMessage } from "../src/engine/load-worker.js";
import { readSourceSync } from "../src/load/read.js";
import { DEFAULT_MESH } from "../src/model/mesh.js";
// @ts-expect-error: a plain JavaScript module without types
import { generateMesh } from "../scripts/generate-mesh.mjs";
import { fixture } from "./helpers.js";

const BIN = resolve(__dirname, "../bin/mesh-lint.js");

/** A small generated mesh (with planted defects) plus files that fail to load in every way. */
function meshFixture(extra: Record<string, string | Buffer> = {}): string {
  const mesh = generateMesh({ services: 12, seed: 7, plant: true }) as { files: { path: string; text: string }[] };
  const files: Record<string, string | Buffer> = {};
  for (const file of mesh.files) files[file.path] = file.text;
  files["mesh/zz-broken/syntax.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n---\nkey: [unclosed\n";
  files["mesh/zz-broken/binary.yaml"] = Buffer.from([0x00, 0x01, 0x02, 0xff]);
  files["mesh/zz-broken/latin1.yaml"] = Buffer.from([0x6b, 0x3a, 0x20, 0xe9, 0x0a]);
  files["mesh/zz-broken/templates/deploy.yaml"] = "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.name }}\n";
  files["mesh/zz-broken/bad-dr.yaml"] =
    "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: r\nspec:\n  host: r\n  trafficPolicy:\n    tls:\n      mode: MUTUAL_TLS\n";
  files["mesh/zz-broken/list.yaml"] =
    "apiVersion: v1\nkind: List\nitems:\n- apiVersion: networking.istio.io/v1\n  kind: Gateway\n  metadata: {name: g}\n  spec: {servers: [{port: {number: 80, name: http, protocol: HTTP}}]}\n- 42\n";
  Object.assign(files, extra);
  return fixture(files);
}

/** The YAML files of the fixture's `mesh` directory, absolute, as discovery lists them. */
function mesh(root: string): string[] {
  const out: string[] = [];
  const walk = (path: string) => {
    if (statSync(path).isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name));
    else if (/\.ya?ml$/.test(path)) out.push(path);
  };
  walk(join(root, "mesh"));
  return out;
}

function options(cwd: string, patterns: string[], threshold: number): LintOptions {
  return {
    cwd,
    patterns,
    contextPatterns: [],
    ignorePatterns: [],
    useIgnoreFiles: true,
    namespace: "default",
    mesh: { ...DEFAULT_MESH },
    ruleSeverities: {},
    crdFiles: [],
    workerThreshold: threshold,
  };
}

describe("load worker: same results as loading and validating inline", () => {
  const dir = meshFixture();

  it("the worker and this thread parse and validate every file between them (forced by the threshold)", async () => {
    const loaded = await loadInput({ ...options(dir, ["mesh"], 0), debug: () => {} });
    const documents = loaded.lintFiles.reduce((sum, file) => sum + file.documents.length, 0);
    expect((await loaded.prevalidated()).size).toBe(documents);
    const inline = await loadInput({ ...options(dir, ["mesh"], Infinity), debug: () => {} });
    expect((await inline.prevalidated()).size).toBe(0);
    expect(loaded.lintFiles).toEqual(inline.lintFiles);
  });

  it("lint() reports the same messages with and without the worker", async () => {
    const withWorker = await lint(options(dir, ["mesh"], 0));
    const inline = await lint(options(dir, ["mesh"], Infinity));
    expect(withWorker.results).toEqual(inline.results);
    expect(inline.results.some((result) => result.messages.some((message) => message.ruleId === "schema"))).toBe(true);
    expect(inline.results.some((result) => result.messages.some((message) => message.fatal))).toBe(true);
  });

  it("a CustomResourceDefinition in the input replaces the worker's results (validated inline)", async () => {
    const crdDir = meshFixture({
      "mesh/zz-crd.yaml": [
        "apiVersion: apiextensions.k8s.io/v1",
        "kind: CustomResourceDefinition",
        "metadata: {name: destinationrules.networking.istio.io}",
        "spec:",
        "  group: networking.istio.io",
        "  names: {kind: DestinationRule, plural: destinationrules}",
        "  scope: Namespaced",
        "  versions:",
        "  - name: v1",
        "    served: true",
        "    storage: true",
        "    schema:",
        "      openAPIV3Schema:",
        "        type: object",
        "        properties:",
        "          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}",
        "",
      ].join("\n"),
    });
    const withWorker = await lint(options(crdDir, ["mesh"], 0));
    const inline = await lint(options(crdDir, ["mesh"], Infinity));
    expect(withWorker.results).toEqual(inline.results);
    const badDr = inline.results.find((result) => result.filePath.endsWith("bad-dr.yaml"));
    expect(badDr?.messages.filter((message) => message.ruleId === "schema" && /MUTUAL_TLS/.test(message.message))).toEqual([]);
  });

  it("the CLI prints the same report with the worker forced on and off", () => {
    const run = (threshold: string) =>
      spawnSync(process.execPath, [BIN, "--format", "json", "mesh"], {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, MESH_LINT_WORKER_THRESHOLD: threshold },
      });
    const on = run("0");
    const off = run("Infinity");
    expect(off.status).toBe(1);
    expect(on.status).toBe(off.status);
    expect(on.stderr).toBe(off.stderr);
    expect(on.stdout).toBe(off.stdout);
  });

  it("a worker that crashes or answers nonsense costs nothing: its files are loaded and validated inline", async () => {
    const scripts = fixture({
      "throws.mjs": 'throw new Error("boom");\n',
      "exits.mjs": "process.exit(3);\n",
      "nonsense.mjs": 'import { parentPort } from "node:worker_threads";\nparentPort.postMessage({ files: [null, 42] });\n',
      "partial.mjs":
        'import { parentPort, workerData } from "node:worker_threads";\nparentPort.postMessage({ files: workerData.paths.map(() => null) });\n',
      // Claims every file to parse and to validate, then dies: nothing is left for the main thread to claim.
      "claims.mjs":
        'import { workerData } from "node:worker_threads";\nimport { writeFileSync } from "node:fs";\n' +
        "Atomics.store(new Int32Array(workerData.claims), 0, workerData.paths.length);\n" +
        "Atomics.store(new Int32Array(workerData.claims), 1, workerData.paths.length);\n" +
        'writeFileSync(new URL("./claims.mjs.claimed", import.meta.url), "");\nprocess.exit(3);\n',
      // Claims every file, parses none, and reports bad document counts: the main thread trusts none of it.
      "miscounts.mjs":
        'import { parentPort, workerData } from "node:worker_threads";\nimport { writeFileSync } from "node:fs";\n' +
        "Atomics.store(new Int32Array(workerData.claims), 0, workerData.paths.length);\n" +
        "Atomics.store(new Int32Array(workerData.claims), 1, workerData.paths.length);\n" +
        'writeFileSync(new URL("./miscounts.mjs.claimed", import.meta.url), "");\n' +
        'parentPort.postMessage({ type: "parse-done" });\n' +
        'parentPort.postMessage({ type: "validated", validated: workerData.paths.map((_, i) => i), counts: workerData.paths.map(() => 99), problems: {} });\n',
      // Delivers a parsed file that is not the one it claimed: nothing it sent is used.
      "wrong-file.mjs":
        'import { parentPort, workerData } from "node:worker_threads";\n' +
        "const claims = new Int32Array(workerData.claims);\n" +
        "const i = Atomics.add(claims, 0, 1);\n" +
        'parentPort.postMessage({ type: "parsed", files: [{ index: i, file: { path: "/elsewhere.yaml", role: "lint", text: "", documents: [], skipped: [], problems: [] } }] });\n',
    });
    /** Until the script has claimed every file (so that the main thread finds none left). */
    const claimed = async (name: string) => {
      const marker = join(scripts, `${name}.claimed`);
      for (let i = 0; i < 600 && !existsSync(marker); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      rmSync(marker, { force: true });
    };
    const inline = await loadInput({ ...options(dir, ["mesh"], Infinity), debug: () => {} });
    const documents = inline.lintFiles.reduce((sum, file) => sum + file.documents.length, 0);
    const inlineLint = await lint(options(dir, ["mesh"], Infinity));
    for (const name of ["throws.mjs", "exits.mjs", "nonsense.mjs", "partial.mjs", "claims.mjs", "miscounts.mjs", "wrong-file.mjs"]) {
      const script = pathToFileURL(join(scripts, name));
      const loaded = await loadInput({ ...options(dir, ["mesh"], 0), debug: () => {}, workerScript: script });
      if (name === "claims.mjs" || name === "miscounts.mjs") await claimed(name);
      // What the worker claimed and did not validate is left to the schema stage (validated inline there).
      const prevalidated = (await loaded.prevalidated()).size;
      expect(prevalidated, name).toBeLessThanOrEqual(documents);
      if (name === "claims.mjs" || name === "miscounts.mjs") expect(prevalidated, name).toBe(0);
      expect(loaded.lintFiles, name).toEqual(inline.lintFiles);
      // lint() hands its options to the load stage as they are, the worker's script included.
      const linted = await lint({ ...options(dir, ["mesh"], 0), workerScript: script } as LintOptions);
      expect(linted.results, name).toEqual(inlineLint.results);
    }
  });

  it("the worker alone: the files it posts are those this thread would parse, values of every YAML type included", async () => {
    const script = resolve(__dirname, "../dist/engine/load-worker.js");
    if (!existsSync(script)) return void console.warn("skipped: dist/engine/load-worker.js is not built (npm run build)");
    const typed = fixture({
      "typed.yaml":
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typed\n  creationTimestamp: 2024-01-02T03:04:05Z\n" +
        "data:\n  base: &b {a: '1'}\n  copy: *b\n  float: .inf\n---\n# only a comment\n---\n- not an object\n",
    });
    const paths = [...mesh(dir), join(typed, "typed.yaml")];
    const claims = new SharedArrayBuffer(8);
    const messages: LoadWorkerMessage[] = [];
    await new Promise<void>((done, failed) => {
      const worker = new Worker(script, { workerData: { paths, claims } satisfies LoadWorkerInput });
      worker.on("message", (message: LoadWorkerMessage) => messages.push(message));
      worker.once("error", failed);
      worker.once("exit", () => done());
    });
    const parsed = messages.flatMap((message) => (message.type === "parsed" ? message.files : []));
    expect(parsed.map((entry) => entry.index).sort((a, b) => a - b)).toEqual(paths.map((_, i) => i));
    for (const { index, file } of parsed) expect(file, paths[index]).toEqual(readSourceSync(paths[index], paths[index], "lint"));
    const typedFile = parsed.find((entry) => entry.index === paths.length - 1)!.file;
    expect(typedFile.documents[0].value.data).toEqual({ base: { a: "1" }, copy: { a: "1" }, float: Infinity });
    expect(typedFile.skipped.map((skipped) => skipped.reason)).toHaveLength(2);
    // Then it validates every file, with the problems inline validation finds.
    const validated = messages.find((message) => message.type === "validated") as ValidatedMessage;
    expect(validated.validated.sort((a, b) => a - b)).toEqual(paths.map((_, i) => i));
    const inline = await loadInput({ ...options(dir, ["mesh"], Infinity), debug: () => {} });
    const byPath = new Map(inline.lintFiles.map((file) => [file.path, file]));
    const withProblems = Object.keys(validated.problems).map((i) => paths[Number(i)]);
    expect(withProblems.length).toBeGreaterThan(0);
    for (const path of withProblems) expect(byPath.has(path), path).toBe(true);
  });

  it("the threshold comes from the option, else MESH_LINT_WORKER_THRESHOLD, else 64 when a core is idle", () => {
    const idle = () => true;
    const busy = () => false;
    expect(workerThreshold(5, { MESH_LINT_WORKER_THRESHOLD: "0" }, busy)).toBe(5);
    expect(workerThreshold(undefined, { MESH_LINT_WORKER_THRESHOLD: "0" }, busy)).toBe(0);
    expect(workerThreshold(undefined, { MESH_LINT_WORKER_THRESHOLD: "Infinity" }, idle)).toBe(Infinity);
    expect(workerThreshold(undefined, { MESH_LINT_WORKER_THRESHOLD: "many" }, idle)).toBe(64);
    expect(workerThreshold(undefined, {}, idle)).toBe(64);
    expect(workerThreshold(undefined, {}, busy)).toBe(Infinity);
  });
});

describe("generated validators: same problems as ajv compiling at run time", () => {
  it("every bundled kind, on a valid and an invalid object", async () => {
    const { SchemaRegistry } = await import("../src/schema/registry.js");
    const index = JSON.parse(
      (await import("node:fs")).readFileSync(resolve(__dirname, "../schemas/istio/index.json"), "utf8"),
    ) as Record<string, unknown>;
    const precompiled = new SchemaRegistry();
    const compiled = new SchemaRegistry({ precompiled: false });
    for (const key of Object.keys(index)) {
      const [group, version, kind] = key.split("/");
      const objects = [
        { apiVersion: `${group}/${version}`, kind, metadata: { name: "a", namespace: "b" }, spec: {} },
        { apiVersion: `${group}/${version}`, kind, metadata: { name: "a" }, spec: { host: 3, hosts: "x", selector: [1], mode: "NOPE", port: { number: -1 } } },
      ];
      for (const object of objects) expect(precompiled.validate(object), key).toEqual(compiled.validate(object));
    }
  });
});
