import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { lint, type LintOptions } from "../src/engine/lint.js";
import { loadInput, workerThreshold } from "../src/engine/load-stage.js";
import type { ParsedValuesMessage, ValidationWorkerInput, ValidationWorkerMessage, ValidatedMessage } from "../src/engine/validation-worker.js";
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

describe("validation worker: same results as validating inline", () => {
  const dir = meshFixture();

  it("the worker and this thread validate every file between them (forced by the threshold)", async () => {
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

  it("a worker that crashes or answers nonsense costs nothing: its files are validated inline", async () => {
    const scripts = fixture({
      "throws.mjs": 'throw new Error("boom");\n',
      "exits.mjs": "process.exit(3);\n",
      "nonsense.mjs": 'import { parentPort } from "node:worker_threads";\nparentPort.postMessage({ files: [null, 42] });\n',
      "bad-index.mjs":
        'import { parentPort, workerData } from "node:worker_threads";\n' +
        'parentPort.postMessage({ type: "validated", validated: [workerData.files], counts: [1], problems: {} });\n',
      // Claims every file, then dies: nothing is left for the main thread to claim.
      "claims.mjs":
        'import { workerData } from "node:worker_threads";\nimport { writeFileSync } from "node:fs";\n' +
        "Atomics.store(new Int32Array(workerData.claims), 0, workerData.files);\n" +
        'writeFileSync(new URL("./claims.mjs.claimed", import.meta.url), "");\nprocess.exit(3);\n',
      // Claims every file and reports bad document counts: the main thread trusts none of it.
      "miscounts.mjs":
        'import { parentPort, workerData } from "node:worker_threads";\nimport { writeFileSync } from "node:fs";\n' +
        "Atomics.store(new Int32Array(workerData.claims), 0, workerData.files);\n" +
        'writeFileSync(new URL("./miscounts.mjs.claimed", import.meta.url), "");\n' +
        'const all = Array.from({ length: workerData.files }, (_, i) => i);\n' +
        'parentPort.postMessage({ type: "validated", validated: all, counts: all.map(() => 99), problems: {} });\n',
      // Claims nothing and validates nothing: the main thread (few files are left, so it waits for the
      // worker rather than loading the validators) leaves every file to the schema stage.
      "idle.mjs": 'import { parentPort } from "node:worker_threads";\nparentPort.postMessage({ type: "validated", validated: [], counts: [], problems: {} });\n',
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
    const expected: Record<string, number | undefined> = { "claims.mjs": 0, "miscounts.mjs": 0, "idle.mjs": 0 };
    // The worker did nothing and every file is left: with a low bar, this thread validates them all itself.
    const idle = await loadInput({ ...options(dir, ["mesh"], 0), debug: () => {}, workerScript: pathToFileURL(join(scripts, "idle.mjs")), workerLeftovers: 1 });
    expect((await idle.prevalidated()).size).toBe(documents);
    for (const name of ["throws.mjs", "exits.mjs", "nonsense.mjs", "bad-index.mjs", "claims.mjs", "miscounts.mjs", "idle.mjs"]) {
      const script = pathToFileURL(join(scripts, name));
      const loaded = await loadInput({ ...options(dir, ["mesh"], 0), debug: () => {}, workerScript: script });
      if (name === "claims.mjs" || name === "miscounts.mjs") await claimed(name);
      // What the worker claimed and did not validate is left to the schema stage (validated inline there).
      const prevalidated = (await loaded.prevalidated()).size;
      expect(prevalidated, name).toBeLessThanOrEqual(documents);
      if (expected[name] !== undefined) expect(prevalidated, name).toBe(expected[name]);
      expect(loaded.lintFiles, name).toEqual(inline.lintFiles);
      // lint() hands its options to the load stage as they are, the worker's script included.
      const linted = await lint({ ...options(dir, ["mesh"], 0), workerScript: script } as LintOptions);
      expect(linted.results, name).toEqual(inlineLint.results);
    }
  });

  it("the worker alone: validates the values posted to it, with the problems inline validation finds", async () => {
    const script = resolve(__dirname, "../dist/engine/validation-worker.js");
    if (!existsSync(script)) return void console.warn("skipped: dist/engine/validation-worker.js is not built (npm run build)");
    const typed = fixture({
      "typed.yaml":
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typed\n  creationTimestamp: 2024-01-02T03:04:05Z\n" +
        "data:\n  base: &b {a: '1'}\n  copy: *b\n  float: .inf\n---\n# only a comment\n---\n- not an object\n",
    });
    const paths = [...mesh(dir), join(typed, "typed.yaml")];
    const files = paths.map((path) => readSourceSync(path, path, "lint"));
    const values = files.map((file) => file.documents.map((document) => document.value));
    // One file's values are never posted: the worker skips it once the main thread says it is done.
    const missing = 3;
    const run = async (batches: number[][]) => {
      const messages: ValidationWorkerMessage[] = [];
      await new Promise<void>((done, failed) => {
        const worker = new Worker(script, { workerData: { files: paths.length, claims: new SharedArrayBuffer(4) } satisfies ValidationWorkerInput });
        worker.on("message", (message: ValidationWorkerMessage) => messages.push(message));
        worker.once("error", failed);
        worker.once("exit", () => done());
        batches.forEach((batch, k) =>
          worker.postMessage({ type: "values", files: batch.map((index) => ({ index, values: values[index] })), last: k === batches.length - 1 } satisfies ParsedValuesMessage),
        );
      });
      expect(messages).toHaveLength(1);
      return messages[0] as ValidatedMessage;
    };
    const indexes = paths.map((_, i) => i).filter((i) => i !== missing);
    const validated = await run([indexes.slice(0, 5), indexes.slice(5), []]);
    expect(validated.validated).toEqual(indexes);
    expect(validated.counts).toEqual(indexes.map((i) => values[i].length));
    const { SchemaRegistry, validateDocuments } = await import("../src/engine/schema-stage.js");
    const registry = new SchemaRegistry();
    const withProblems = indexes.filter((i) => validateDocuments(values[i], registry).some((found) => found.length > 0));
    expect(withProblems.length).toBeGreaterThan(0);
    expect(Object.keys(validated.problems).map(Number).sort((a, b) => a - b)).toEqual(withProblems);
    for (const i of withProblems) {
      expect(validated.problems[i], paths[i]).toEqual(validateDocuments(values[i], registry).map((found) => (found.length > 0 ? found : null)));
    }
    // Values of every YAML type cross the thread boundary.
    expect(values[paths.length - 1][0].data).toEqual({ base: { a: "1" }, copy: { a: "1" }, float: Infinity });
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
