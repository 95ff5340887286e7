#!/usr/bin/env node
// mesh-lint benchmark: how much slower than just loading the YAML is a full lint, and does it find the
// defects planted in a synthetic mesh? Run after a build (`npm run bench` builds first).
//
//   node scripts/bench.mjs [--sizes 1000,4000] [--seed 1] [--runs K] [--out DIR] [--keep] [--check]
//
// --runs K multiplies every repeat count by K (steadier figures on a busy machine); --out DIR generates into DIR
// and keeps it (default: a temporary directory under os.tmpdir(), removed afterwards unless --keep).
//
// For each size it generates a mesh (scripts/generate-mesh.mjs) into a temporary directory, then measures
//   baseline   reading every file and js-yaml `loadAll`, in this process, one thread (fastest of 3)
//   mesh-lint  `node bin/mesh-lint.js --format json <dir>` wall time (best of 2)
// and, when the CLI supports --timing, the share of each stage. It also measures a small file: a process that
// imports `yaml` and parses it vs `node bin/mesh-lint.js <file>` (best of 5 each). Finally it compares the
// findings with the planted defects, for the kinds whose rule id the CLI knows.
//
// Targets: full run <= 3.0x baseline at 4,000 services; small file <= 2.5x. The bench only reports; with
// --check it exits 1 when a target is missed (or cannot be measured).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { createRequire } from "node:module";
import { loadAll as loadAllEsm } from "js-yaml";
import { generateMesh, writeMesh } from "./generate-mesh.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(ROOT, "bin", "mesh-lint.js");
const TARGET_FULL = 3.0; // at the largest size (4,000 services)
const TARGET_FULL_AT = 4000;
const TARGET_SMALL = 2.5;

// ---------------------------------------------------------------------------------------------
// Options

function parseOptions(argv) {
  const o = { sizes: [1000, 4000], seed: 1, out: null, keep: false, check: false, runs: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--sizes") o.sizes = value().split(",").map(Number);
    else if (a === "--seed") o.seed = Number(value());
    else if (a === "--out") o.out = value();
    else if (a === "--runs") o.runs = Number(value());
    else if (a === "--keep") o.keep = true;
    else if (a === "--check") o.check = true;
    else if (a === "-h" || a === "--help") {
      process.stdout.write("usage: node scripts/bench.mjs [--sizes 1000,4000] [--seed N] [--runs K] [--out DIR] [--keep] [--check]\n");
      process.exit(0);
    } else fail(`unknown argument ${a}`);
  }
  if (!o.sizes.length || o.sizes.some((n) => !Number.isInteger(n) || n < 1)) fail("--sizes expects positive integers");
  if (!Number.isInteger(o.seed)) fail("--seed expects an integer");
  if (!Number.isInteger(o.runs) || o.runs < 1) fail("--runs expects a positive integer");
  return o;
}

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Measuring

/** Runs `node args...` and returns wall time with the output. */
function runNode(args, { cwd = ROOT } = {}) {
  const start = performance.now();
  const r = spawnSync(process.execPath, args, { cwd, encoding: "utf8", maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: "1" } });
  const ms = performance.now() - start;
  return { ms, status: r.status, signal: r.signal, stdout: r.stdout ?? "", stderr: r.stderr ?? "", error: r.error };
}

function best(times, fn) {
  let min = Infinity;
  let last;
  for (let i = 0; i < times; i++) {
    last = fn();
    if (last.ms < min) min = last.ms;
  }
  return { ms: min, last };
}

// js-yaml ships an ESM and a CommonJS build; on Node 20 they parse at very different speeds, so the
// baseline takes whichever is faster (the "fastest plain YAML load").
const loadAllCjs = createRequire(import.meta.url)("js-yaml").loadAll;

/** The baseline: read every file and parse all its documents with js-yaml, in this process. */
function baselineLoad(paths) {
  let best;
  for (const [build, loadAll] of [["esm", loadAllEsm], ["cjs", loadAllCjs]]) {
    const start = performance.now();
    let documents = 0;
    for (const p of paths) documents += loadAll(readFileSync(p, "utf8")).length;
    const ms = performance.now() - start;
    if (!best || ms < best.ms) best = { ms, documents, build };
  }
  return best;
}

/** A CLI run is usable when it exits 0 or 1 and prints JSON. */
function lintJson(dir) {
  const r = runNode([BIN, "--format", "json", dir]);
  if (r.error || (r.status !== 0 && r.status !== 1)) return { ...r, ok: false, why: describeFailure(r) };
  try {
    return { ...r, ok: true, results: JSON.parse(r.stdout) };
  } catch {
    const why = r.stdout.trim() ? `output is not JSON: ${r.stdout.slice(0, 120)}` : describeFailure(r);
    return { ...r, ok: false, why };
  }
}

function describeFailure(r) {
  if (r.error) return r.error.message;
  const tail = (r.stderr || r.stdout || "").trim().split("\n").slice(-3).join(" | ");
  return `exit ${r.status ?? r.signal}: ${tail.slice(0, 300)}`;
}

/** Stage timings from `--timing` (JSON on stderr), or null when the CLI does not offer them. */
function stageTimings(dir) {
  const r = runNode([BIN, "--format", "json", "--timing", dir]);
  if (r.status !== 0 && r.status !== 1) return null;
  const lines = r.stderr.trim().split("\n").reverse();
  for (const line of lines) {
    const text = line.trim();
    if (!text.startsWith("{") && !text.startsWith("[")) continue;
    try {
      return normaliseTimings(JSON.parse(text));
    } catch {
      // not the timings line
    }
  }
  return null;
}

/** Accepts `{ timings: {stage: ms} }`, `{ stages: ... }`, `{stage: ms}` or `[{ name|stage, ms|duration }]`. */
function normaliseTimings(value) {
  let v = value;
  if (v && !Array.isArray(v) && typeof v === "object") v = v.timings ?? v.stages ?? v;
  const stages = [];
  if (Array.isArray(v)) {
    for (const s of v) {
      const ms = s?.ms ?? s?.duration ?? s?.time;
      if (typeof ms === "number") stages.push([String(s.name ?? s.stage), ms]);
    }
  } else if (v && typeof v === "object") {
    for (const [name, ms] of Object.entries(v)) if (typeof ms === "number" && name !== "total") stages.push([name, ms]);
  }
  return stages.length ? stages : null;
}

// ---------------------------------------------------------------------------------------------
// Planted defects vs findings

function messagesOf(results, cwd) {
  const out = [];
  for (const file of results ?? []) {
    const filePath = resolve(cwd, file.filePath ?? "");
    for (const m of file.messages ?? []) out.push({ ...m, filePath });
  }
  return out;
}

const sameResource = (a, b) =>
  a && b && a.kind === b.kind && a.name === b.name && (a.namespace === undefined || a.namespace === b.namespace);

/** Does message m report the planted defect d? By resource when the message names one, else by file. */
function reports(m, d, meshDir) {
  if (m.ruleId !== d.kind) return false;
  if (m.resource) return sameResource(m.resource, d.resource);
  return m.filePath === resolve(meshDir, "..", d.file);
}

/** Rule ids the CLI knows: from a SARIF run's rule table (lists rules even without findings). */
function knownRuleIds(sampleFile) {
  const r = runNode([BIN, "--format", "sarif", sampleFile]);
  if (r.status !== 0 && r.status !== 1) return new Set();
  try {
    const sarif = JSON.parse(r.stdout);
    const ids = new Set();
    for (const run of sarif.runs ?? []) for (const rule of run.tool?.driver?.rules ?? []) if (rule.id) ids.add(rule.id);
    return ids;
  } catch {
    return new Set();
  }
}

function checkPlanted(planted, messages, meshDir, ruleIds) {
  const byKind = new Map();
  const missed = [];
  const unchecked = new Map();
  for (const d of planted) {
    if (!ruleIds.has(d.kind)) {
      // No such rule yet; note whether another rule already reports something on the resource.
      const row = unchecked.get(d.kind) ?? { planted: 0, elsewhere: 0, ids: new Set() };
      row.planted++;
      const hits = messages.filter((m) => (m.resource ? sameResource(m.resource, d.resource) : m.filePath === resolve(meshDir, "..", d.file)));
      if (hits.length) row.elsewhere++;
      for (const m of hits) row.ids.add(m.ruleId ?? "(none)");
      unchecked.set(d.kind, row);
      continue;
    }
    const row = byKind.get(d.kind) ?? { found: 0, missed: 0 };
    if (messages.some((m) => reports(m, d, meshDir))) row.found++;
    else {
      row.missed++;
      missed.push(d);
    }
    byKind.set(d.kind, row);
  }
  // Messages on resources nothing was planted on: candidates for false positives.
  const other = new Map();
  let otherSample = null;
  for (const m of messages) {
    const explained = planted.some((d) =>
      m.resource ? sameResource(m.resource, d.resource) : m.filePath === resolve(meshDir, "..", d.file),
    );
    if (explained) continue;
    const key = `${m.ruleId ?? "(none)"} (${m.severity === 2 ? "error" : "warning"})`;
    other.set(key, (other.get(key) ?? 0) + 1);
    otherSample ??= m;
  }
  return { byKind, missed, unchecked, other, otherSample };
}

// ---------------------------------------------------------------------------------------------
// Printing

function table(header, rows) {
  const all = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  // Numbers align right, text left.
  const numeric = header.map((_, i) => i > 0 && all.slice(1).every((r) => /^(?:-|[\d.]+(?:x|%)?)$/.test(r[i])));
  const line = (r) => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(all[0]), widths.map((w) => "-".repeat(w)).join("  "), ...all.slice(1).map(line)].join("\n");
}

const fmtMs = (ms) => (Number.isFinite(ms) ? ms.toFixed(0) : "-");
const fmtRatio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : "-");
const log = (s = "") => process.stdout.write(`${s}\n`);

function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ya?ml)$/.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

// ---------------------------------------------------------------------------------------------

function main() {
  const o = parseOptions(process.argv.slice(2));
  if (!existsSync(BIN)) fail(`${relative(process.cwd(), BIN)} not found`);
  const base = o.out ? resolve(o.out) : mkdtempSync(join(tmpdir(), "mesh-lint-bench-"));
  mkdirSync(base, { recursive: true });
  const misses = [];
  log(`mesh-lint bench — node ${process.version}, work dir ${base}`);

  try {
    // --- full runs
    const rows = [];
    const details = [];
    for (const services of o.sizes) {
      const dir = join(base, `mesh-${services}`);
      const mesh = generateMesh({ services, seed: o.seed, plant: true });
      const meshDir = writeMesh(mesh, dir);
      const paths = listFiles(meshDir);

      const baseline = best(3 * o.runs, () => baselineLoad(paths));
      const lint = best(2 * o.runs, () => lintJson(meshDir));
      const ok = lint.last.ok;
      const ratio = ok ? lint.ms / baseline.ms : NaN;
      const timings = ok ? stageTimings(meshDir) : null;
      rows.push({ services, documents: baseline.last.documents, files: paths.length, baseline: baseline.ms, lint: ok ? lint.ms : NaN, ratio, timings });
      details.push({ services, mesh, meshDir, lint: lint.last });
      if (!ok) log(`mesh-lint failed on ${services} services: ${lint.last.why}`);
      if (services === TARGET_FULL_AT && !(ratio <= TARGET_FULL)) {
        misses.push(ok ? `full run at ${services} services: ${fmtRatio(ratio)} > ${TARGET_FULL.toFixed(1)}x` : `full run at ${services} services: not measured`);
      }
    }

    log();
    log(
      `Full run (baseline: read + js-yaml loadAll of every file, in-process, fastest of ${3 * o.runs}; ` +
        `mesh-lint: CLI wall time incl. node start-up, best of ${2 * o.runs})`,
    );
    log(
      table(
        ["services", "documents", "files", "baseline ms", "mesh-lint ms", "ratio", "target"],
        rows.map((r) => [
          r.services,
          r.documents,
          r.files,
          fmtMs(r.baseline),
          fmtMs(r.lint),
          fmtRatio(r.ratio),
          r.services === TARGET_FULL_AT ? `<= ${TARGET_FULL.toFixed(1)}x ${r.ratio <= TARGET_FULL ? "ok" : "MISSED"}` : "",
        ]),
      ),
    );
    const timed = rows.filter((r) => r.timings);
    if (timed.length) {
      log();
      log("Stage shares (from --timing; per-rule times are part of `rules`)");
      const stages = [...new Set(timed.flatMap((r) => r.timings.map(([n]) => n)))].filter((n) => !n.startsWith("rule:"));
      log(
        table(
          ["services", ...stages, "stages ms"],
          timed.map((r) => {
            const map = new Map(r.timings);
            const total = stages.reduce((sum, s) => sum + (map.get(s) ?? 0), 0);
            return [r.services, ...stages.map((s) => (map.has(s) ? `${((100 * map.get(s)) / total).toFixed(1)}%` : "-")), fmtMs(total)];
          }),
        ),
      );
      log();
      log("Slowest rules (ms)");
      const ruleNames = [...new Set(timed.flatMap((r) => r.timings.map(([n]) => n)))].filter((n) => n.startsWith("rule:"));
      const last = new Map(timed[timed.length - 1].timings);
      const top = ruleNames.sort((a, b) => (last.get(b) ?? 0) - (last.get(a) ?? 0)).slice(0, 5);
      log(
        table(
          ["services", ...top.map((n) => n.slice(5))],
          timed.map((r) => {
            const map = new Map(r.timings);
            return [r.services, ...top.map((n) => (map.has(n) ? fmtMs(map.get(n)) : "-"))];
          }),
        ),
      );
    } else if (rows.some((r) => Number.isFinite(r.lint))) {
      log("(stage timings: the CLI printed none with --timing)");
    }

    // --- small file
    const small = smallestExample() ?? writeSmallSample(base);
    const importYaml =
      "import('yaml').then(({ parseAllDocuments }) => { const fs = require('node:fs'); " +
      "const docs = parseAllDocuments(fs.readFileSync(process.argv[1], 'utf8')); " +
      "for (const d of docs) d.toJS(); })";
    const yamlRun = best(5 * o.runs, () => runNode(["-e", importYaml, small]));
    // The timed run uses the default (stylish) format; a JSON run first shows the CLI really works on the file.
    const probe = lintJson(small);
    const smallLint = probe.ok ? best(5 * o.runs, () => runNode([BIN, small])) : { ms: NaN, last: probe };
    const smallOk = probe.ok && (smallLint.last.status === 0 || smallLint.last.status === 1);
    const yamlOk = yamlRun.last.status === 0;
    const smallRatio = smallOk && yamlOk ? smallLint.ms / yamlRun.ms : NaN;
    log();
    log(`Small file: ${display(small)} (best of ${5 * o.runs} process runs each)`);
    log(
      table(
        ["measure", "ms"],
        [
          ["node + import('yaml') + parse", yamlOk ? fmtMs(yamlRun.ms) : `failed: ${describeFailure(yamlRun.last)}`],
          ["node bin/mesh-lint.js <file>", smallOk ? fmtMs(smallLint.ms) : `failed: ${probe.why ?? describeFailure(smallLint.last)}`],
          ["ratio", `${fmtRatio(smallRatio)}  target <= ${TARGET_SMALL.toFixed(1)}x ${smallRatio <= TARGET_SMALL ? "ok" : "MISSED"}`],
        ],
      ),
    );
    if (!(smallRatio <= TARGET_SMALL)) {
      misses.push(Number.isFinite(smallRatio) ? `small file: ${fmtRatio(smallRatio)} > ${TARGET_SMALL.toFixed(1)}x` : "small file: not measured");
    }

    // --- planted defects
    log();
    log("Planted defects (checked for the kinds whose rule id the CLI reports or lists)");
    const known = knownRuleIds(small);
    for (const { services, mesh, meshDir, lint } of details) {
      if (!lint.ok) {
        log(`${services} services: no usable CLI output`);
        continue;
      }
      const messages = messagesOf(lint.results, ROOT);
      const ruleIds = new Set([...known, ...messages.map((m) => m.ruleId).filter(Boolean)]);
      const { byKind, missed, unchecked, other, otherSample } = checkPlanted(mesh.planted, messages, meshDir, ruleIds);
      const rowsP = [...byKind].map(([kind, r]) => [kind, r.found + r.missed, r.found, r.missed]);
      for (const [kind, r] of unchecked) {
        const note = r.elsewhere ? `; ${r.elsewhere} flagged by ${[...r.ids].join(", ")}` : "";
        rowsP.push([kind, r.planted, "-", "-", `no ${kind} rule in the CLI yet${note}`]);
      }
      log(`${services} services: ${messages.length} messages in total`);
      log(table(["kind", "planted", "found", "missed", "note"], rowsP.map((r) => (r.length === 4 ? [...r, ""] : r))));
      if (missed.length) {
        log("  missed:");
        for (const d of missed.slice(0, 20)) {
          log(`    ${d.kind} ${d.resource.kind} ${d.resource.namespace}/${d.resource.name} (${d.file}): ${d.detail}`);
        }
        if (missed.length > 20) log(`    ... and ${missed.length - 20} more`);
      }
      if (other.size) {
        const list = [...other].sort((a, b) => b[1] - a[1]).map(([id, n]) => `${id} ${n}`).join(", ");
        log(`  messages on resources with nothing planted (possible false positives): ${list}`);
        const sample = otherSample;
        log(`    e.g. ${sample.ruleId} ${sample.resource?.kind ?? ""} ${sample.resource?.name ?? ""} ${display(sample.filePath)}:${sample.line}: ${sample.message}`);
      } else {
        log("  no messages on resources with nothing planted");
      }
    }
  } finally {
    if (!o.keep && !o.out) rmSync(base, { recursive: true, force: true });
    else log(`\nkept ${base}`);
  }

  log();
  if (!o.sizes.includes(TARGET_FULL_AT)) log(`(full-run target not measured: it applies at ${TARGET_FULL_AT} services)`);
  if (misses.length) log(`Targets missed: ${misses.join("; ")}`);
  else log("All targets met.");
  return o.check && misses.length ? 1 : 0;
}

function display(p) {
  const r = relative(ROOT, p);
  return r && !r.startsWith("..") ? r : p;
}

function smallestExample() {
  const dir = join(ROOT, "examples");
  if (!existsSync(dir)) return null;
  const files = listFiles(dir).map((p) => ({ p, size: statSync(p).size }));
  files.sort((a, b) => a.size - b.size || a.p.localeCompare(b.p));
  return files[0]?.p ?? null;
}

function writeSmallSample(base) {
  const mesh = generateMesh({ services: 1, seed: 1, plant: false });
  const file = join(base, "small.yaml");
  writeFileSync(file, mesh.files.at(-1).text);
  return file;
}

process.exitCode = main();
