#!/usr/bin/env node
// Mutation fuzzer: takes the YAML documents of real manifests, mutates them (wrong types, missing
// fields, odd strings, duplicated list items), writes each round's mutants to a directory and runs
// mesh-lint on it in-process. Bad input must give messages, never an exception: a round where a
// rule throws, or `graph` / `trace` fail with an internal error, is a crash, kept for replay.
// Run after a build (`npm run build`); deterministic for a seed.
//
//   node scripts/fuzz.mjs [--seed N] [--rounds K] [--mode lint|worker|graph] [--out DIR] [PATH...]
//
// PATHs are files or directories of manifests to mutate (default: examples/). --mode worker lints
// with the validation worker on every run; --mode graph runs `graph` (all formats) and `trace`.
// Crashes are kept under --out (default: a directory in the OS temporary directory), each as the
// files of the round; exit 1 when there was one.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequire } from "node:module";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = (path) => import(pathToFileURL(join(ROOT, "dist", path)).href);
const { lint } = await dist("engine/lint.js");
const { main } = await dist("cli/main.js");
const { DEFAULT_MESH } = await dist("model/mesh.js");
const jsYaml = createRequire(import.meta.url)("js-yaml");

function options(argv) {
  const o = { seed: 1, rounds: 200, mode: "lint", out: undefined, paths: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i] ?? fail(`${a} needs a value`);
    if (a === "--seed") o.seed = Number(value());
    else if (a === "--rounds") o.rounds = Number(value());
    else if (a === "--mode") o.mode = value();
    else if (a === "--out") o.out = resolve(value());
    else if (a.startsWith("-")) fail(`unknown option ${a}`);
    else o.paths.push(resolve(a));
  }
  if (!Number.isInteger(o.seed) || !Number.isInteger(o.rounds) || o.rounds < 1) fail("--seed and --rounds expect integers");
  if (!["lint", "worker", "graph"].includes(o.mode)) fail("--mode is lint, worker or graph");
  if (o.paths.length === 0) o.paths.push(join(ROOT, "examples"));
  return o;
}

function fail(message) {
  process.stderr.write(`fuzz: ${message}\n`);
  process.exit(2);
}

/** The YAML files under the given paths. */
function manifests(paths) {
  const found = [];
  const visit = (path) => {
    if (statSync(path).isDirectory()) for (const name of readdirSync(path).sort()) visit(join(path, name));
    else if (/\.ya?ml$/.test(path)) found.push(path);
  };
  paths.forEach(visit);
  if (found.length === 0) fail("no .yaml or .yml file under the given paths");
  return found;
}

/** A linear congruential generator: the same rounds for the same seed. */
function generator(seed) {
  let state = seed >>> 0 || 1;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  return { next, pick: (list) => list[Math.floor(next() * list.length)] };
}

/** Values of the wrong type or shape for wherever they land. */
const ODD_VALUES = [null, 0, -1, 1.5, 1e12, "", "*", "x", true, [], {}, [null], [{}], { a: 1 }, [1, 2], ["*"], { host: 1 }, "80", 80];
/** Strings that stress host, namespace, regex and port parsing. */
const ODD_STRINGS = ["*", "", ".", "~", "*.*", "a*", "*/*", "./*", "ns/*", "reviews.other.svc.cluster.local", "::1", "[::1]:80", "%", "\\", "a".repeat(300), "ü", "*.svc.cluster.local", "regex(", "/", "GET", "ISTIO_MUTUAL", "STRICT"];

function mutator(random) {
  const mutate = (value) => {
    if (Array.isArray(value)) {
      const r = random.next();
      if (value.length > 0 && r < 0.3) {
        const i = Math.floor(random.next() * value.length);
        value[i] = random.next() < 0.5 ? structuredClone(random.pick(ODD_VALUES)) : mutate(value[i]);
      } else if (value.length > 0 && r < 0.5) value.push(structuredClone(value[0]));
      else value.forEach((item, i) => random.next() < 0.5 && (value[i] = mutate(item)));
      return value;
    }
    if (value !== null && typeof value === "object") {
      for (const key of Object.keys(value)) {
        if (key === "apiVersion" || key === "kind") continue;
        const r = random.next();
        if (r < 0.08) value[key] = structuredClone(random.pick(ODD_VALUES));
        else if (r < 0.12) delete value[key];
        else value[key] = mutate(value[key]);
      }
      return value;
    }
    if (typeof value === "string" && random.next() < 0.15) {
      const odd = random.pick(ODD_STRINGS);
      return random.next() < 0.3 ? `${value}${odd}` : odd;
    }
    return random.next() < 0.1 ? structuredClone(random.pick(ODD_VALUES)) : value;
  };
  return mutate;
}

/** Runs `main(args)` with stdout and stderr captured; what it printed on stderr. */
async function quietly(args) {
  const out = process.stdout.write;
  const err = process.stderr.write;
  let stderr = "";
  process.stdout.write = () => true;
  process.stderr.write = (chunk) => ((stderr += chunk), true);
  try {
    return { code: await main(args), stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

/** One round on the files of `dir`: throws on a crash. */
async function check(dir, mode, random) {
  if (mode === "graph") {
    const format = random.pick(["json", "yaml", "mermaid", "dot"]);
    const graph = await quietly(["graph", "--format", format, dir]);
    if (graph.code === 2 && /internal error|Error:/.test(graph.stderr)) throw new Error(`graph --format ${format}: ${graph.stderr.slice(0, 400)}`);
    const from = random.pick(["default/productpage-v1", "bookinfo/productpage-v1", "istio-system/istio-ingressgateway", "default/curl"]);
    const url = `http://${random.pick(["reviews:9080/", "productpage/", "httpbin.org/get", "details:9080/x"])}`;
    const trace = await quietly(["trace", "--from", from, url, dir]);
    if (trace.code === 2 && /internal error|TypeError|RangeError/.test(trace.stderr)) throw new Error(`trace: ${trace.stderr.slice(0, 400)}`);
    return;
  }
  const output = await lint({
    cwd: dir,
    patterns: [dir],
    contextPatterns: [],
    ignorePatterns: [],
    useIgnoreFiles: false,
    namespace: "default",
    mesh: { ...DEFAULT_MESH },
    ruleSeverities: {},
    crdFiles: [],
    workerThreshold: mode === "worker" ? 0 : Infinity,
  });
  if (output.failures.length > 0) throw output.failures[0].error;
}

const o = options(process.argv.slice(2));
const files = manifests(o.paths);
const random = generator(o.seed);
const mutate = mutator(random);
const work = mkdtempSync(join(tmpdir(), "mesh-lint-fuzz-"));
const out = o.out ?? join(tmpdir(), `mesh-lint-fuzz-crashes-${o.seed}`);
let crashes = 0;
try {
  for (let round = 0; round < o.rounds; round++) {
    const dir = join(work, `round-${round}`);
    mkdirSync(dir);
    const count = 1 + Math.floor(random.next() * 4);
    for (let i = 0; i < count; i++) {
      let documents;
      try {
        documents = jsYaml.loadAll(readFileSync(random.pick(files), "utf8")).filter((document) => document !== null && document !== undefined);
      } catch {
        continue; // a file that does not parse has nothing to mutate
      }
      const text = documents.map((document) => jsYaml.dump(mutate(document), { noRefs: true })).join("---\n");
      writeFileSync(join(dir, `f${i}.yaml`), text);
    }
    try {
      await check(dir, o.mode, random);
    } catch (error) {
      crashes++;
      const keep = join(out, `round-${round}`);
      mkdirSync(keep, { recursive: true });
      for (const name of readdirSync(dir)) writeFileSync(join(keep, name), readFileSync(join(dir, name)));
      const first = String(error?.stack ?? error).split("\n").slice(0, 4).join(" | ");
      process.stdout.write(`crash in round ${round} (files kept in ${keep}): ${first}\n`);
    }
    rmSync(dir, { recursive: true, force: true });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.stdout.write(`fuzz: seed ${o.seed}, ${o.rounds} rounds (${o.mode}) over ${files.length} file(s): ${crashes} crash(es)\n`);
process.exit(crashes > 0 ? 1 : 0);
